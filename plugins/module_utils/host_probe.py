# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only inspection of a host for the host_facts module: disks, paths, listening ports, routes, time, kernel
features. Parsers take the text of the /proc files they read, so they are tested without a host."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time


def run(cmd):
    """(rc, stdout, stderr); every probe is bounded (20 s) and a missing tool is rc 127."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)  # pylint: disable=ansible-bad-function
        return proc.returncode, proc.stdout, proc.stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return default


def mountinfo():
    return parse_mountinfo(read("/proc/self/mountinfo"))


def parse_mountinfo(text):
    """[(major:minor, mount point, fstype, source)] from the text of /proc/self/mountinfo."""
    mounts = []
    for line in text.splitlines():
        left, dummy, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 2:
            continue
        target = fields[4].replace("\\040", " ")
        mounts.append((fields[2], target, rfields[0], rfields[1]))
    return mounts


def nearest_existing(path):
    path = os.path.abspath(path)
    while not os.path.exists(path) and path != "/":
        path = os.path.dirname(path)
    return path


def path_state(path, mounts):
    measured = nearest_existing(path)
    vfs = os.statvfs(measured)
    real = os.path.realpath(measured)
    fstype, best = "", -1
    for dummy, target, fst, dummy2 in mounts:
        if (real == target or real.startswith(target.rstrip("/") + "/")) and len(target) > best:
            fstype, best = fst, len(target)
    return {"measured": measured, "avail_mb": vfs.f_bavail * vfs.f_frsize // 1048576, "fstype": fstype}


def disk_state(device, mounts):
    state = {"exists": os.path.exists(device), "block": False, "signatures": {}, "mounted_at": []}
    if not state["exists"]:
        return state
    real = os.path.realpath(device)
    mode = os.stat(real)
    state["block"] = stat.S_ISBLK(mode.st_mode)
    state["realpath"] = real
    if not state["block"]:
        return state
    signatures, error = blkid(real)
    state["signatures"] = signatures
    if error:
        state["probe_error"] = error  # could not read the device: never report it as empty
    # The disk itself and its partitions, by major:minor (works without udev and inside containers).
    ids = {"%d:%d" % (os.major(mode.st_rdev), os.minor(mode.st_rdev))}
    sysdir = "/sys/dev/block/%d:%d" % (os.major(mode.st_rdev), os.minor(mode.st_rdev))
    state["partitions"] = {}
    try:
        for child in sorted(os.listdir(sysdir)):
            if os.path.exists(os.path.join(sysdir, child, "partition")):
                dev = read(os.path.join(sysdir, child, "dev")).strip()
                ids.add(dev)
                if not state["signatures"].get("PTTYPE"):
                    state["signatures"]["PTTYPE"] = "unknown"
                node = device_node(dev)
                number = read(os.path.join(sysdir, child, "partition")).strip()
                state["partitions"][number] = {"device": node, "signatures": blkid(node)[0] if node else {}}
    except OSError:
        pass
    state["mounted_at"] = sorted({m[1] for m in mounts if m[0] in ids})
    state["mounts"] = sorted(({"target": m[1], "fstype": m[2]} for m in mounts if m[0] in ids),
                             key=lambda m: m["target"])
    return state


def blkid(path):
    """({signature: value}, error or None) of one block device."""
    rc, out, err = run(["blkid", "-p", "-o", "export", path])
    signatures = {}
    if rc == 0:
        for line in out.splitlines():
            key, dummy, value = line.partition("=")
            if key in ("TYPE", "PTTYPE", "LABEL", "UUID", "PART_ENTRY_TYPE"):
                signatures[key] = value
    error = (err.strip() or "blkid exited with %d" % rc).splitlines()[0] if rc not in (0, 2) or err.strip() else None
    return signatures, error


def device_node(dev):
    """/dev/<name> of the block device MAJOR:MINOR, or None (no udev: the node may not exist)."""
    try:
        major, minor = (int(x) for x in dev.split(":"))
        for name in sorted(os.listdir("/dev")):
            path = os.path.join("/dev", name)
            st = os.stat(path)
            if stat.S_ISBLK(st.st_mode) and os.major(st.st_rdev) == major and os.minor(st.st_rdev) == minor:
                return path
    except (OSError, ValueError):
        pass
    return None


def kernel_state(name, probes):
    module_support = os.path.exists("/proc/modules")
    mod = name.replace("-", "_")
    loaded = module_support and any(line.split(" ", 1)[0] == mod for line in read("/proc/modules").splitlines())
    release = os.uname().release
    builtin_list = read("/lib/modules/%s/modules.builtin" % release)
    builtin = any(line.rsplit("/", 1)[-1] in (name + ".ko", mod + ".ko") for line in builtin_list.splitlines())
    builtin = builtin or (not loaded and os.path.isdir("/sys/module/" + mod))
    filesystems = read("/proc/filesystems").split()
    probe = any((p[3:] in filesystems) if p.startswith("fs:") else os.path.exists(p) for p in probes)
    loadable = False
    if module_support and not (loaded or builtin or probe):
        loadable = run(["modprobe", "-n", "-q", name])[0] == 0
    return {"loaded": loaded, "builtin": builtin, "probe": probe, "loadable": loadable,
            "module_support": module_support}


def parse_proc_net(text, proto, inodes):
    """Add {socket inode: {"port/proto"}} for listening TCP (state 0A) / bound UDP (07) sockets of a /proc/net file."""
    listen_state = "0A" if proto == "tcp" else "07"
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 10 or cols[3] != listen_state:
            continue
        port = int(cols[1].rsplit(":", 1)[1], 16)
        inodes.setdefault(cols[9], set()).add("%d/%s" % (port, proto))
    return inodes


def listening_sockets():
    """{"port/proto": [process names]} for listening TCP and bound UDP sockets, without needing ss."""
    inodes = {}
    for proto, files in (("tcp", ("/proc/net/tcp", "/proc/net/tcp6")), ("udp", ("/proc/net/udp", "/proc/net/udp6"))):
        for path in files:
            parse_proc_net(read(path), proto, inodes)
    owners = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        fd_dir = "/proc/%s/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        comm = None
        for fd in fds:
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                comm = comm or read("/proc/%s/comm" % pid).strip() or "pid " + pid
                for key in inodes[link[8:-1]]:
                    owners.setdefault(key, set()).add(comm)
    result = {key: sorted(names) for key, names in owners.items()}
    for keys in inodes.values():
        for key in keys:
            result.setdefault(key, ["unknown process"])
    return result


def time_state():
    rc, out, dummy = run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if rc == 0 and out.strip() in ("yes", "no"):
        if out.strip() == "yes":
            return True, "timedatectl"
    rc, out, dummy = run(["chronyc", "-n", "tracking"])
    if rc == 0:
        for line in out.splitlines():
            if line.startswith("Leap status"):
                status = line.split(":", 1)[1].strip()
                return status != "Not synchronised", "chrony: leap status " + status
    return False, "no synchronised time service (timedatectl/chronyc)"


def addresses():
    rc, out, dummy = run(["ip", "-j", "addr", "show"])
    if rc != 0:
        return None
    found = []
    for iface in json.loads(out or "[]"):
        found.extend(a.get("local") for a in iface.get("addr_info", []) if a.get("local"))
    return found


def routes():
    found = []
    for family in ("-4", "-6"):
        rc, out, dummy = run(["ip", "-j", family, "route", "show"])
        if rc == 0 and out.strip():
            found.extend({"dst": r.get("dst"), "dev": r.get("dev", ""), "gateway": r.get("gateway", "")}
                         for r in json.loads(out))
    return found


def swap_mb(text):
    """Swap in use or configured, in MiB, from the text of /proc/swaps."""
    return sum(int(line.split()[2]) for line in text.splitlines()[1:] if len(line.split()) > 2) // 1024


def capeff(status_text):
    return next((line.split()[1] for line in status_text.splitlines() if line.startswith("CapEff:")), "0")


SECTIONS = ("identity", "paths", "disks", "kernel", "ports", "time", "network")


def gather(sections, paths=(), disks=(), kernel_modules=None, controller_time=None):
    """The host's state for the requested sections; changes nothing."""
    out = {}
    mounts = mountinfo() if {"paths", "disks"} & set(sections) else []
    if "identity" in sections:
        hostname = socket.gethostname()
        try:
            resolved = sorted({ai[4][0] for ai in socket.getaddrinfo(hostname, None)})
        except OSError:
            resolved = []
        out.update(hostname=hostname, hostname_addresses=resolved, capeff=capeff(read("/proc/self/status")),
                   swap_mb=swap_mb(read("/proc/swaps")))
    if "paths" in sections:
        out["paths"] = {p: path_state(p, mounts) for p in paths}
    if "disks" in sections:
        out["disks"] = {d: disk_state(d, mounts) for d in disks}
    if "kernel" in sections:
        out["kernel"] = {n: kernel_state(n, probes or []) for n, probes in (kernel_modules or {}).items()}
    if "ports" in sections:
        out["listening"] = listening_sockets()
    if "time" in sections:
        synced, source = time_state()
        out.update(time_synchronized=synced, time_source=source,
                   clock_skew_seconds=(time.time() - float(controller_time)) if controller_time is not None else None)
    if "network" in sections:
        out.update(addresses=addresses(), routes=routes())
    return out
