# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic behind the preflight, prerequisites and container-runtime roles.

Every check returns *all* of its findings instead of stopping at the first one, so the preflight role can print one
summary listing every problem on every host. Nothing here touches a host: the role gathers raw data read-only and
these filters judge it. Documentation for each filter lives next to this file (``<filter>.yml``).
"""

from __future__ import annotations

import fnmatch
import re

from ansible.errors import AnsibleFilterError

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - reported when a filter is used
    HAS_NETADDR = False

# Bit numbers from linux/capability.h (stable ABI).
CAPABILITIES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]

DEFAULT_ROUTE_IGNORE_INTERFACES = ["cni*", "flannel*", "cali*", "cilium*", "kube-*", "vxlan*", "tunl*", "weave*",
                                   "lo"]


def _require_netaddr():
    if not HAS_NETADDR:
        raise AnsibleFilterError("the metalstore.platform preflight filters need the 'netaddr' Python package on the "
                                 "controller (pip install netaddr)")


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _parse_network(text):
    """Return (IPNetwork, None) or (None, error message)."""
    try:
        net = netaddr.IPNetwork(str(text).strip())
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None, "'%s' is not a valid network (expected CIDR like 10.0.0.0/24)" % (text,)
    if net.ip != net.network:
        return None, "'%s' has host bits set (did you mean %s?)" % (text, net.cidr)
    return net, None


def cidr_conflicts(named, routes=None, route_names=None, ignore_interfaces=None):
    """List every overlap between the named networks, and between them and the host's routes.

    named: mapping of a human name (e.g. "pod network") to one CIDR or a list of CIDRs. Networks with different names
    must not overlap. routes: the host's routes (``ip -j route`` objects with ``dst`` and ``dev``); each one that overlaps
    a network named in route_names (default: every name) is a conflict, except default routes and routes through an
    interface matching ignore_interfaces (shell patterns; CNI/kube interfaces by default, which are ours after a deploy).
    """
    _require_netaddr()
    if not isinstance(named, dict):
        raise AnsibleFilterError("cidr_conflicts expects a mapping of name -> CIDR(s), got %s" % type(named).__name__)
    problems = []
    parsed = []  # (name, cidr text, IPNetwork)
    for name, cidrs in named.items():
        for cidr in _as_list(cidrs):
            net, err = _parse_network(cidr)
            if err:
                problems.append("%s: %s" % (name, err))
            else:
                parsed.append((name, str(cidr), net))
    for i, (name_a, text_a, net_a) in enumerate(parsed):
        for name_b, text_b, net_b in parsed[i + 1:]:
            if name_a == name_b or net_a.version != net_b.version:
                continue
            if net_a.first <= net_b.last and net_b.first <= net_a.last:
                problems.append("%s %s overlaps %s %s" % (name_a, text_a, name_b, text_b))
    checked = set(named) if route_names is None else set(_as_list(route_names))
    patterns = DEFAULT_ROUTE_IGNORE_INTERFACES if ignore_interfaces is None else _as_list(ignore_interfaces)
    for route in routes or []:
        dst, dev = route.get("dst"), route.get("dev", "")
        if not dst or dst == "default" or any(fnmatch.fnmatch(dev or "", p) for p in patterns):
            continue
        try:
            rnet = netaddr.IPNetwork(dst)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            continue
        if rnet.prefixlen == 0:
            continue
        for name, text, net in parsed:
            if name not in checked or net.version != rnet.version:
                continue
            if rnet in net and route.get("gateway"):
                # A part of the network routed through another host: the cluster's own pod route (flannel
                # host-gw sends each node's pod subnet to that node), not a foreign network.
                continue
            if net.first <= rnet.last and rnet.first <= net.last:
                problems.append("%s %s overlaps the host route %s dev %s" % (name, text, dst, dev or "?"))
    return problems


def ip_in_networks(address, networks):
    """True when address (optionally with /prefix) lies in at least one of the networks."""
    _require_netaddr()
    try:
        ip = netaddr.IPAddress(str(address).split("/", 1)[0])
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False
    for cidr in _as_list(networks):
        try:
            if ip in netaddr.IPNetwork(str(cidr)):
                return True
        except (netaddr.AddrFormatError, ValueError, TypeError):
            continue
    return False


def linux_capabilities(capeff):
    """Decode a CapEff/CapPrm hex mask (from /proc/<pid>/status) into capability names."""
    try:
        mask = int(str(capeff).strip(), 16)
    except ValueError as exc:
        raise AnsibleFilterError("linux_capabilities: '%s' is not a hex capability mask" % (capeff,)) from exc
    names = [name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1]
    names.extend("CAP_%d" % bit for bit in range(len(CAPABILITIES), 64) if mask >> bit & 1)
    return names


_REF_RE = re.compile(r"^(?P<name>[^@]+?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z0-9_+.-]+:[0-9a-fA-F]+))?$")


def oci_reference(ref):
    """Split an image reference into registry, repository, tag and digest, normalised like docker does."""
    match = _REF_RE.match(str(ref).strip())
    if not match:
        raise AnsibleFilterError("'%s' is not an image reference" % (ref,))
    name, tag, digest = match.group("name"), match.group("tag"), match.group("digest")
    first, dummy, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "docker.io", name
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
    if registry == "docker.io" and "/" not in repository:
        repository = "library/" + repository
    if repository != repository.lower():
        raise AnsibleFilterError("'%s': repository names must be lowercase" % (ref,))
    if not tag and not digest:
        tag = "latest"
    return {"registry": registry, "repository": repository, "tag": tag or "", "digest": digest or "",
            "full": "%s/%s%s%s" % (registry, repository, ":" + tag if tag else "", "@" + digest if digest else "")}


def oci_mirror_path(ref, mirror):
    """Where an upstream image lives in the site registry: <mirror>/<upstream registry>/<repository>[:tag][@digest].

    containerd's hosts.toml maps each upstream registry onto that prefix (override_path), so nodes keep pulling the
    original names and upstream registries never collide in the mirror.
    """
    parts = oci_reference(ref)
    return "%s/%s/%s%s%s" % (str(mirror).rstrip("/"), parts["registry"], parts["repository"],
                             ":" + parts["tag"] if parts["tag"] else "", "@" + parts["digest"] if parts["digest"] else "")


def oci_manifest_urls(ref, mirror="", mirrored=()):
    """The manifest URLs a node's containerd tries for an image, in its order (roles/containerd hosts.toml).

    A mirrored registry's images are looked for in the site registry first (under /v2/<registry>/...), then
    upstream; the site registry's own images only there; any other registry directly. HEAD on these tells whether
    a pull can succeed before anything is rolled out.
    """
    parts = oci_reference(ref)
    reference = parts["digest"] or parts["tag"]
    mirror = str(mirror or "").rstrip("/")
    upstream = "registry-1.docker.io" if parts["registry"] == "docker.io" else parts["registry"]
    if mirror and parts["registry"] == mirror:
        return ["https://%s/v2/%s/manifests/%s" % (mirror, parts["repository"], reference)]
    urls = []
    if mirror and parts["registry"] in (mirrored or ()):
        urls.append("https://%s/v2/%s/%s/manifests/%s" % (mirror, parts["registry"], parts["repository"], reference))
    urls.append("https://%s/v2/%s/manifests/%s" % (upstream, parts["repository"], reference))
    return urls


def duplicate_values(mapping):
    """Return {value: [keys...]} for every value shared by more than one key (e.g. hostnames across hosts)."""
    seen = {}
    for key, value in (mapping or {}).items():
        if value in (None, ""):
            continue
        seen.setdefault(value, []).append(key)
    return {value: sorted(keys) for value, keys in seen.items() if len(keys) > 1}


def _size(mb):
    return "%.1f GiB" % (mb / 1024.0) if mb >= 1024 else "%d MiB" % mb


def _kernel_feature_present(state):
    return bool(state.get("loaded") or state.get("builtin") or state.get("probe"))


KUBELET_PODS = "/var/lib/kubelet/pods/"


def _prepared_as_declared(disk, state):
    """The disk holds what the prerequisites role makes of it: the declared filesystem, on partition 1 (partition:
    true, the default) or on the whole disk, and where it is mounted, at the declared mount point."""
    fstype = disk.get("fstype", "xfs")
    if disk.get("partition", True):
        part = (state.get("partitions") or {}).get("1") or {}
        found = (part.get("signatures") or {}).get("TYPE")
    else:
        found = (state.get("signatures") or {}).get("TYPE")
    # kubelet bind-mounts a local PersistentVolume's directory into each pod using it: those mounts are the disk's
    # own mount seen again, not another use of the disk.
    mounts = [m for m in state.get("mounts") or [] if not str(m.get("target", "")).startswith(KUBELET_PODS)]
    if found is None and mounts:  # no device node to probe (no udev): trust the mount table
        found = next((m["fstype"] for m in mounts if m["target"] == disk.get("mount")), None)
    return found == fstype and all(m["target"] == disk.get("mount") for m in mounts)


def preflight_host_problems(data, config):
    """Judge one host. data: gathered state (see roles/preflight/files/preflight_gather.py plus a few Ansible facts);
    config: what the inventory requires. Returns {"problems": [...], "warnings": [...]} with one line per finding."""
    if not isinstance(data, dict) or not isinstance(config, dict):
        raise AnsibleFilterError("preflight_host_problems expects two mappings (gathered data, config)")
    problems, warnings = [], []
    groups = set(_as_list(config.get("group_names")))

    # Operating system.
    distro, version = data.get("distribution", "?"), str(data.get("distribution_version", "?"))
    major = str(data.get("distribution_major_version", version.split(".", 1)[0]))
    supported = config.get("supported_os") or []
    if supported and not any(distro == s.get("distribution") and major in [str(v) for v in _as_list(s.get("versions"))]
                             for s in supported):
        allowed = ", ".join("%s %s" % (s.get("distribution"), "/".join(str(v) for v in _as_list(s.get("versions"))))
                            for s in supported)
        problems.append("[os] %s %s is not supported (supported: %s)" % (distro, version, allowed))

    # CPU and memory: the largest minimum of every group the host is in.
    need_cpu, need_mem, why = 0, 0, []
    for group, minimum in (config.get("minimums") or {}).items():
        if group in groups:
            need_cpu = max(need_cpu, int(minimum.get("cpus", 0)))
            need_mem = max(need_mem, int(minimum.get("memory_mb", 0)))
            why.append(group)
    cpus, mem = int(data.get("cpus") or 0), int(data.get("memory_mb") or 0)
    if cpus < need_cpu:
        problems.append("[cpu] %d CPUs, %s needs at least %d" % (cpus, "/".join(sorted(why)), need_cpu))
    if mem < need_mem:
        problems.append("[memory] %s RAM, %s needs at least %s" % (_size(mem), "/".join(sorted(why)), _size(need_mem)))

    # Free disk space on key paths (measured on the nearest existing parent).
    gathered_paths = data.get("paths") or {}
    for item in config.get("free_disk") or []:
        path, need = item["path"], int(item.get("min_mb", 0))
        state = gathered_paths.get(path)
        if state is None:
            problems.append("[disk] %s: no data gathered" % path)
            continue
        if int(state.get("avail_mb", 0)) < need:
            problems.append("[disk] %s (on %s): %s free, needs %s" % (
                path, state.get("measured", path), _size(int(state["avail_mb"])), _size(need)))
        if item.get("forbid_overlay") and state.get("fstype") == "overlay":
            problems.append("[disk] %s is on overlayfs (%s): it needs a real filesystem or volume" % (
                path, state.get("measured", path)))

    # Declared data disks: must exist; must be empty unless wipe: true or already prepared as declared.
    gathered_disks = data.get("disks") or {}
    for disk in config.get("data_disks") or []:
        dev = disk.get("device")
        state = gathered_disks.get(dev) or {}
        if not state.get("exists"):
            problems.append("[data disk] %s does not exist" % dev)
            continue
        if not state.get("block"):
            problems.append("[data disk] %s is not a block device" % dev)
            continue
        signatures = state.get("signatures") or {}
        mounts = _as_list(state.get("mounted_at"))
        if state.get("probe_error"):
            problems.append("[data disk] %s could not be inspected (%s); refusing to touch it" % (
                dev, state["probe_error"]))
            continue
        if not signatures:
            if mounts:
                problems.append("[data disk] %s is mounted at %s" % (dev, ", ".join(mounts)))
            continue
        if _prepared_as_declared(disk, state):
            continue
        if disk.get("wipe"):
            if mounts:
                problems.append("[data disk] %s has wipe: true but is mounted at %s" % (dev, ", ".join(mounts)))
            else:
                warnings.append("[data disk] %s holds %s and WILL BE WIPED (wipe: true)" % (
                    dev, _describe_signatures(signatures)))
            continue
        problems.append("[data disk] %s is not empty (%s)%s; refusing to touch it (set wipe: true to erase it)" % (
            dev, _describe_signatures(signatures), " and mounted at " + ", ".join(mounts) if mounts else ""))

    # Time.
    skew = data.get("clock_skew_seconds")
    max_skew = config.get("max_clock_skew_seconds")
    if skew is not None and max_skew is not None and abs(float(skew)) > float(max_skew):
        problems.append("[time] clock differs from the controller by %.0f s (max %s s)" % (float(skew), max_skew))
    synced = data.get("time_synchronized")
    if synced is not True:
        msg = "[time] clock is not synchronised (%s)" % (data.get("time_source") or "no time sync service found")
        (problems if config.get("require_time_sync") else warnings).append(msg)

    # Hostname.
    hostname = data.get("hostname") or ""
    if not hostname:
        problems.append("[hostname] host has no hostname")
    elif not data.get("hostname_addresses"):
        problems.append("[hostname] '%s' does not resolve on the host" % hostname)

    # Node IP in the declared networks.
    node_ip, networks = config.get("node_ip"), _as_list(config.get("node_networks"))
    if networks:
        if not node_ip:
            problems.append("[network] no node IP known (set ansible_host or metalstore_node_ip)")
        elif not ip_in_networks(node_ip, networks):
            problems.append("[network] node IP %s is outside the declared node networks (%s)" % (
                node_ip, ", ".join(str(n) for n in networks)))
        elif data.get("addresses") is not None and str(node_ip).split("/", 1)[0] not in data.get("addresses"):
            problems.append("[network] node IP %s is not configured on any interface of the host" % node_ip)
    elif "node_networks" in config:
        problems.append("[variables] metalstore_node_networks is not set: declare the CIDRs the node IPs live in")

    # Ports: free, or held by the process that is supposed to hold them (our own services on a re-run).
    listening = data.get("listening") or {}
    for item in config.get("ports") or []:
        wanted_groups = set(_as_list(item.get("groups")))
        if wanted_groups and not wanted_groups & groups:
            continue
        key = "%s/%s" % (item["port"], item.get("proto", "tcp"))
        holders = _as_list(listening.get(key))
        owners = set(_as_list(item.get("owners")))
        strangers = sorted(h for h in holders if h not in owners)
        if strangers:
            problems.append("[ports] %s is in use by %s (needed for %s)" % (
                key, ", ".join(strangers), item.get("purpose", "the platform")))

    # Networks: pod/service/node must not overlap each other or the host's routes.
    named = {}
    for label, key in (("pod network", "pod_cidr"), ("service network", "service_cidr")):
        if config.get(key):
            named[label] = config[key]
    if networks:
        named["node network"] = networks
    for extra_name, extra in (config.get("extra_networks") or {}).items():
        named[extra_name] = extra
    route_names = [n for n in named if n != "node network"]
    for msg in cidr_conflicts(named, data.get("routes") or [], route_names, config.get("route_ignore_interfaces")):
        problems.append("[cidr] " + msg)

    # Swap.
    if int(data.get("swap_mb") or 0) > 0:
        msg = "[swap] %s of swap is active (prerequisites turns it off)" % _size(int(data["swap_mb"]))
        (problems if config.get("swap_must_be_off") else warnings).append(msg)

    # Kernel features: loaded, built in or loadable.
    kernel = data.get("kernel") or {}
    for name in _as_list(config.get("kernel_modules")):
        state = kernel.get(name) or {}
        if _kernel_feature_present(state):
            continue
        if state.get("loadable"):
            warnings.append("[kernel] %s is not loaded (prerequisites loads it)" % name)
            continue
        problems.append("[kernel] %s is neither loaded, built in nor loadable%s" % (
            name, "" if state.get("module_support", True) else " (this kernel has no module support)"))
    return {"problems": problems, "warnings": warnings}


def _describe_signatures(signatures):
    parts = []
    if signatures.get("PTTYPE"):
        parts.append("%s partition table" % signatures["PTTYPE"])
    if signatures.get("TYPE"):
        parts.append("%s filesystem%s" % (signatures["TYPE"],
                                          " labelled '%s'" % signatures["LABEL"] if signatures.get("LABEL") else ""))
    return " and ".join(parts) or "a signature"


def preflight_report(results, title="Preflight"):
    """Render {host: {"problems": [...], "warnings": [...]}} (or {host: [...problems]}) as one readable summary."""
    lines, n_problems, failing = [], 0, 0
    for host in sorted(results or {}):
        entry = results[host]
        if isinstance(entry, dict):
            problems, warnings = _as_list(entry.get("problems")), _as_list(entry.get("warnings"))
        else:
            problems, warnings = _as_list(entry), []
        if not problems and not warnings:
            continue
        failing += 1 if problems else 0
        n_problems += len(problems)
        lines.append("%s:" % host)
        lines.extend("  FAIL %s" % p for p in problems)
        lines.extend("  warn %s" % w for w in warnings)
    if n_problems:
        head = "%s: %d problem(s) on %d of %d host(s); nothing was changed." % (
            title, n_problems, failing, len(results or {}))
    else:
        head = "%s: all checks passed on %d host(s)." % (title, len(results or {}))
    return "\n".join([head] + lines)


class FilterModule(object):
    def filters(self):
        return {
            "cidr_conflicts": cidr_conflicts,
            "ip_in_networks": ip_in_networks,
            "linux_capabilities": linux_capabilities,
            "oci_reference": oci_reference,
            "oci_mirror_path": oci_mirror_path,
            "oci_manifest_urls": oci_manifest_urls,
            "duplicate_values": duplicate_values,
            "preflight_host_problems": preflight_host_problems,
            "preflight_report": preflight_report,
        }
