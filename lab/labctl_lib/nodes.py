"""Bring a lab up, tear it down, show it."""
from __future__ import annotations

import ipaddress
import json
import shutil
import time
from pathlib import Path

from . import disks, hostnet, image, inventory
from . import podman as pm
from .plan import FIRST_HOST, Plan, check_collisions, make_plan, parse_subnet, pick_free_subnet
from .util import REPO, LabError, Timer, lab_home, locked, log, run

LABEL = "metalstore.lab"
# How every node runs (labctl and molecule's create step alike): a private cgroup namespace with podman's systemd
# mode off; the image's entrypoint (lab-init) prepares the node's own cgroup tree and execs systemd. podman's
# systemd mode would bind-mount the host's name=systemd hierarchy into a private namespace, and the node's
# systemd would then remove other containers' cgroups. pids: podman's default 2048 is too few for a Kubernetes node.
NODE_RUN_OPTS = ["--systemd", "false", "--cgroupns", "private", "--env", "container=podman", "--tmpfs", "/run",
                 "--tmpfs", "/tmp", "--stop-signal", "SIGRTMIN+3", "--pids-limit", "-1"]
SSH_OPTS = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=2", "-o", "LogLevel=ERROR"]


def _own_subnets(lab: str) -> set[str]:
    if not pm.available():
        return set()
    return {s["subnet"] for n in pm.lab_networks(lab) for s in (n.get("subnets") or [])}


def check_host(plan: Plan) -> None:
    """Fail before creating anything if the subnet collides with the host or another lab."""
    own = _own_subnets(plan.lab)
    if own and plan.subnet not in own:
        raise LabError(f"lab {plan.lab!r} already exists with subnet {', '.join(sorted(own))}; "
                       f"run `make lab-down LAB_NAME={plan.lab}` before changing LAB_SUBNET")
    # Other labs' networks first: "podman network other-net" says more than the route of its bridge.
    taken: dict[str, str] = {}
    if pm.available():
        for n in pm.networks():
            if (n.get("labels") or {}).get(LABEL) != plan.lab:
                for s in n.get("subnets") or []:
                    taken.setdefault(s["subnet"], f"podman network {n['name']}")
    for cidr, origin in hostnet.host_networks().items():
        taken.setdefault(cidr, origin)
    try:
        check_collisions(parse_subnet(plan.subnet), taken, own)
    except ValueError as exc:
        raise LabError(str(exc)) from None


def ssh_key(lab: str) -> Path:
    key = inventory.state_dir(lab) / "id_ed25519"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"metalstore-lab-{lab}", "-f", str(key)])
    return key


def create_network(lab: str, network: str, subnet: str, gateway: str) -> None:
    if pm.podman("network", "exists", network, check=False).returncode != 0:
        hostnet.remember_ip_forward()
        # No aardvark DNS: nodes find each other through /etc/hosts, like hosts on a site without DNS.
        pm.podman("network", "create", "--subnet", subnet, "--gateway", gateway, "--disable-dns",
                  "--label", f"{LABEL}={lab}", network)
    hostnet.add_fence(lab, subnet)


def wait_systemd(names: list[str], timeout: float = 90) -> None:
    """Wait until systemd finished booting in every node; a degraded node is an error worth seeing."""
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        for name in list(pending):
            state = pm.podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
            if state == "running":
                pending.remove(name)
            elif state == "degraded":
                failed = pm.podman("exec", name, "systemctl", "--failed", "--no-legend", check=False).stdout
                raise LabError(f"{name}: systemd is degraded, failed units:\n{failed}")
        if pending and time.monotonic() > deadline:
            raise LabError(f"systemd did not finish booting in {timeout:.0f}s on: {', '.join(pending)}")
        if pending:
            time.sleep(0.5)


def install_key(name: str, pubkey: str) -> None:
    pm.podman("exec", "-i", name, "sh", "-c",
              "umask 077; mkdir -p /root/.ssh; cat > /root/.ssh/authorized_keys", input_text=pubkey)


def wait_ssh(ip: str, key: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if run(["ssh", *SSH_OPTS, "-i", str(key), f"root@{ip}", "true"], check=False).returncode == 0:
            return
        if time.monotonic() > deadline:
            raise LabError(f"no SSH to root@{ip} after {timeout:.0f}s")
        time.sleep(0.5)


def start_node(lab: str, network: str, name: str, ip: str, ref: str, hosts: dict[str, str],
               hostname: str | None = None, volumes: list[str] = (), env: list[str] = (), extra: list[str] = (),
               labels: list[str] = ()) -> None:
    """Start one lab node: the one way nodes are made (`labctl up` and molecule's create step both use it)."""
    vol = f"{name}-containerd"
    if pm.podman("volume", "exists", vol, check=False).returncode != 0:
        pm.podman("volume", "create", "--label", f"{LABEL}={lab}", vol)
    args = ["run", "-d", "--name", name, "--hostname", hostname or name, "--label", f"{LABEL}={lab}",
            "--network", network, "--ip", ip, "--dns", "none",
            "--privileged", "--pull", "never", *NODE_RUN_OPTS,
            # containerd's snapshots cannot live on overlayfs (the container's root): give it a real directory.
            "--volume", f"{vol}:/var/lib/containerd"]
    for other, other_ip in sorted(hosts.items()):
        if other != (hostname or name):
            args += ["--add-host", f"{other}:{other_ip}"]
    for v in volumes:
        args += ["--volume", v]
    for e in env:
        args += ["--env", e]
    for label in labels:
        args += ["--label", label]
    pm.podman(*args, *extra, ref)


def run_node(plan: Plan, node, ref: str) -> None:
    start_node(plan.lab, plan.network, node.name, node.ip, ref, {n.name: n.ip for n in plan.nodes})


def up(plan: Plan) -> None:
    t = Timer()
    check_host(plan)
    pm.ensure_prereqs()
    existing = {c["Names"][0]: c for c in pm.ps(plan.lab)}
    wanted = {n.name for n in plan.nodes}
    extra = sorted(set(existing) - wanted)
    if extra:
        raise LabError(f"lab {plan.lab!r} has nodes not in this plan ({', '.join(extra)}); "
                       f"run `make lab-down LAB_NAME={plan.lab}` first to change LAB_NODES")
    key = ssh_key(plan.lab)
    running = {n for n, c in existing.items() if c.get("State") == "running"}
    if running == wanted:
        path = inventory.write(plan, key)
        log(f"lab {plan.lab!r} is already up ({len(wanted)} nodes, {plan.subnet}); nothing to do. Inventory: {path}")
        if any(c.get("Image") != image.image_ref() for c in existing.values()):
            log("note: the node image recipe changed since these nodes were created; "
                "`make lab-down lab-up` re-creates them from the new image")
        return
    ref = image.ensure_image()
    with locked(lab_home() / "network.lock"):
        create_network(plan.lab, plan.network, plan.subnet, plan.gateway)
    for node in plan.nodes:
        if node.name in running:
            continue
        if node.name in existing:
            pm.podman("start", node.name)
        else:
            run_node(plan, node, ref)
    for node in plan.nodes:
        for dev in node.disks:
            disks.expose(node.name, disks.attach(plan.lab, node.name, dev, plan.disk_size), dev)
    names = [n.name for n in plan.nodes]
    wait_systemd(names)
    pub = key.with_suffix(".pub").read_text(encoding="utf-8")
    for node in plan.nodes:
        install_key(node.name, pub)
        wait_ssh(node.ip, key)
    path = inventory.write(plan, key)
    log(f"lab {plan.lab!r} up in {t}: {len(names)} nodes on {plan.subnet}; inventory {path}")
    for node in plan.nodes:
        disks_txt = f"  disks: {', '.join('/dev/' + d for d in node.disks)}" if node.disks else ""
        print(f"  {node.name:<24} {node.ip:<15} {','.join(node.groups)}{disks_txt}", flush=True)


def down(lab: str) -> list[str]:
    """Remove everything the lab created; return what was removed."""
    removed: list[str] = []
    names_seen: list[str] = []
    if pm.available():
        names = names_seen = [c["Names"][0] for c in pm.ps(lab)]
        if names:
            pm.podman("rm", "-f", "-t", "5", *names)
            removed += [f"container {n}" for n in names]
        for vol in pm.lab_volumes(lab):
            pm.podman("volume", "rm", "-f", vol)
            removed.append(f"volume {vol}")
        for net in pm.lab_networks(lab):
            pm.podman("network", "rm", "-f", net["name"])
            subnets = ", ".join(s["subnet"] for s in net.get("subnets") or [])
            removed.append(f"network {net['name']} ({subnets}, bridge {net.get('network_interface', '?')})")
    removed += disks.detach_all(lab)
    if Path("/usr/sbin/iptables").exists() or Path("/sbin/iptables").exists():
        removed += hostnet.remove_fence(lab)
        removed += hostnet.remove_netavark_leftovers()
    removed += hostnet.restore_ip_forward()
    # ansible.cfg caches facts under .build/facts: stale facts of a previous lab with the same names mislead.
    for name in names_seen:
        (REPO / ".build" / "facts" / name).unlink(missing_ok=True)
    inv = inventory.inventory_path(lab)
    if inv.exists():
        inv.unlink()
        removed.append(f"inventory {inv}")
    state = inventory.state_dir(lab)
    if state.exists():
        shutil.rmtree(state)
        removed.append(f"lab key and state {state}")
        if not any(state.parent.iterdir()):
            state.parent.rmdir()
    return removed


def status(lab: str) -> int:
    if not pm.available():
        print(f"lab {lab!r}: not set up on this machine")
        return 1
    containers = pm.ps(lab)
    nets = pm.lab_networks(lab)
    if not containers and not nets:
        print(f"lab {lab!r}: down")
        return 1
    for n in nets:
        print(f"network {n['name']}: {', '.join(s['subnet'] for s in n.get('subnets') or [])} "
              f"(bridge {n.get('network_interface', '?')})")
    for c in sorted(containers, key=lambda c: c["Names"][0]):
        name = c["Names"][0]
        sysstate = pm.podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip() \
            if c.get("State") == "running" else "-"
        ip = pm.container_ip(name, nets[0]["name"]) if nets and c.get("State") == "running" else "-"
        print(f"  {name:<24} {ip:<15} {c.get('State'):<8} systemd={sysstate}")
    for d in disks.all_lab_loops():
        if f"/disks/{lab}/" in d["back-file"]:
            print(f"  disk {d['name']} <- {d['back-file']}")
    print(f"inventory: {inventory.inventory_path(lab)}")
    return 0


def net_up(lab: str, count: int = 0) -> dict:
    """A lab network with an automatically chosen free /24 (molecule scenarios); returns its facts."""
    pm.ensure_prereqs()
    ref = image.ensure_image()
    with locked(lab_home() / "network.lock"):
        nets = pm.lab_networks(lab)
        if nets:
            subnet = nets[0]["subnets"][0]["subnet"]
        else:
            taken = list(hostnet.host_networks()) + pm.existing_subnets()
            subnet = pick_free_subnet(taken)
        net = ipaddress.ip_network(subnet)
        gateway = str(net.network_address + 1)
        create_network(lab, f"{lab}-net", subnet, gateway)
    ips = [str(net.network_address + FIRST_HOST + i) for i in range(count)]
    return {"network": f"{lab}-net", "subnet": subnet, "gateway": gateway, "image": ref, "ips": ips}


def plan_from_args(lab: str, nodes: int, subnet: str, disks_per_node: int, disk_size: str) -> Plan:
    try:
        return make_plan(lab, nodes, subnet, disks_per_node, disk_size)
    except ValueError as exc:
        raise LabError(str(exc)) from None


def dump(obj) -> str:
    return json.dumps(obj)
