"""Lab parameters and their validation. Pure functions: everything is checked before anything is created."""
from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

DEFAULT_NAME = "metalstore"
DEFAULT_NODES = 4
# The API VIP of an HA lab: .10 of the subnet, below the node addresses and above the gateway.
VIP_HOST = 10
# Private, outside podman's (10.88/16), docker's (172.17/16) and Kubernetes' usual pod/service ranges
# (10.244/16, 10.96/12), which these nodes will run later.
DEFAULT_SUBNET = "10.213.0.0/24"
# Subnets handed out to molecule scenarios and other auto-allocated labs, one /24 each.
AUTO_POOL = "10.214.0.0/16"
FIRST_HOST = 11  # node1 = .11, node2 = .12, ...; .1 is the gateway (the host side of the bridge)
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")
DISK_DEVICES = ["vdb", "vdc", "vdd", "vde", "vdf", "vdg", "vdh", "vdi"]


@dataclass
class Node:
    name: str  # container name = hostname = inventory name
    ip: str
    groups: list[str] = field(default_factory=list)
    disks: list[str] = field(default_factory=list)  # device names inside the node: vdb, vdc, ...


@dataclass
class Plan:
    lab: str
    subnet: str
    gateway: str
    network: str
    nodes: list[Node]
    disk_size: str


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise ValueError(f"invalid lab name {name!r}: use 1-32 lowercase letters, digits and '-', starting with a letter")
    return name


def normalise_name(raw: str) -> str:
    """Turn e.g. a molecule scenario name into a valid lab name."""
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
    if len(name) > 32:
        name = name[:23].rstrip("-") + "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return check_name(name)


def parse_subnet(text: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ValueError(f"invalid subnet {text!r}: {exc} (expected e.g. {DEFAULT_SUBNET})") from None
    if net.version != 4:
        raise ValueError(f"subnet {text} is not IPv4")
    if not net.is_private or net.is_loopback or net.is_link_local:
        raise ValueError(f"subnet {text} is not a private range (use 10/8, 172.16/12 or 192.168/16)")
    return net


def capacity(net: ipaddress.IPv4Network) -> int:
    """How many nodes fit: addresses from .FIRST_HOST up to the one before broadcast."""
    return max(0, net.num_addresses - 1 - FIRST_HOST)


def check_collisions(net: ipaddress.IPv4Network, host_networks: dict[str, str], own: set[str] = frozenset()) -> None:
    """host_networks: {cidr: where it comes from}. own: cidrs that belong to this very lab (re-up)."""
    own_nets = [ipaddress.ip_network(o) for o in own]
    for cidr, origin in host_networks.items():
        other = ipaddress.ip_network(cidr, strict=False)
        if other.version != 4 or other.prefixlen == 0 or any(other.subnet_of(o) for o in own_nets):
            continue
        if net.overlaps(other):
            raise ValueError(f"subnet {net} collides with {other} ({origin}); choose another LAB_SUBNET")


def control_plane_count(count: int) -> int:
    """3 control-plane nodes (HA, etcd quorum) from 4 nodes on, else 1."""
    return 3 if count >= 4 else 1


def groups_for(index: int, count: int) -> list[str]:
    """Layout of the collection's inventories. From 4 nodes on (the default lab: 3 control-plane + 1 worker): node1
    bootstraps and runs the control plane, node2-3 run the control plane and hold storage, the rest are workers
    holding storage (storage on three nodes). Fewer: node1 bootstraps and runs the control plane, the others are
    workers holding storage; a single-node lab puts everything on node1."""
    if count == 1:
        return ["bootstrap", "control_plane", "workers", "storage"]
    if index == 0:
        return ["bootstrap", "control_plane"]
    if index < control_plane_count(count):
        return ["control_plane", "storage"]
    return ["workers", "storage"]


def api_vip(subnet: str, count: int) -> str:
    """The lab's API VIP when it has several control-plane nodes, else "" (the first node's apiserver)."""
    return str(parse_subnet(subnet).network_address + VIP_HOST) if control_plane_count(count) > 1 else ""


def make_plan(lab: str, nodes: int, subnet: str, disks: int = 0, disk_size: str = "2G") -> Plan:
    check_name(lab)
    if not isinstance(nodes, int) or nodes < 1:
        raise ValueError(f"invalid node count {nodes!r}: need at least 1")
    if not 0 <= disks <= len(DISK_DEVICES):
        raise ValueError(f"invalid disk count {disks}: 0 to {len(DISK_DEVICES)} data disks per node")
    if not re.fullmatch(r"[1-9][0-9]*[MG]", disk_size):
        raise ValueError(f"invalid disk size {disk_size!r}: e.g. 512M or 2G")
    net = parse_subnet(subnet)
    if nodes > capacity(net):
        raise ValueError(f"{nodes} nodes do not fit in {net}: it holds at most {capacity(net)} "
                         f"(node addresses start at .{FIRST_HOST}); use a larger LAB_SUBNET or fewer LAB_NODES")
    plan_nodes = [
        Node(name=f"{lab}-node{i + 1}", ip=str(net.network_address + FIRST_HOST + i),
             groups=groups_for(i, nodes), disks=DISK_DEVICES[:disks])
        for i in range(nodes)
    ]
    return Plan(lab=lab, subnet=str(net), gateway=str(net.network_address + 1), network=f"{lab}-net", nodes=plan_nodes,
                disk_size=disk_size)


def pick_free_subnet(taken: list[str], pool: str = AUTO_POOL) -> str:
    """First /24 of the pool that overlaps nothing taken (host routes, other labs)."""
    taken_nets = [ipaddress.ip_network(t, strict=False) for t in taken]
    for cand in ipaddress.ip_network(pool).subnets(new_prefix=24):
        if not any(cand.overlaps(t) for t in taken_nets if t.version == 4 and t.prefixlen > 0):
            return str(cand)
    raise ValueError(f"no free /24 left in {pool}")
