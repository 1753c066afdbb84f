"""Host side of the lab network: route collision checks, the egress fence, netavark leftovers, ip_forward."""
from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path

from .util import lab_home, run

IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")


def host_networks() -> dict[str, str]:
    """Every IPv4 network the host already routes or has an address in: {cidr: origin}."""
    found: dict[str, str] = {}
    routes = json.loads(run(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout or "[]")
    for r in routes:
        dst = r.get("dst", "")
        if dst in ("default", "") or r.get("type") in ("broadcast", "local") and dst.startswith("127."):
            continue
        found.setdefault(dst if "/" in dst else f"{dst}/32", f"route via {r.get('dev', '?')}")
    for link in json.loads(run(["ip", "-j", "-4", "addr"]).stdout or "[]"):
        for a in link.get("addr_info", []):
            found.setdefault(f"{a['local']}/{a['prefixlen']}", f"address on {link.get('ifname', '?')}")
    return found


def fence_chain(lab: str) -> str:
    return "MSLAB-" + hashlib.sha256(lab.encode()).hexdigest()[:10].upper()


def _ipt(*args: str, check: bool = True):
    return run(["iptables", "-w", *args], check=check)


def add_fence(lab: str, subnet: str) -> None:
    """Nodes talk to each other and to the host, but nothing they send is forwarded anywhere else:
    the lab stays offline like a dark site while keeping a default route (kubelet needs one)."""
    chain = fence_chain(lab)
    if _ipt("-n", "-L", chain, check=False).returncode != 0:
        _ipt("-N", chain)
    _ipt("-F", chain)
    _ipt("-A", chain, "-s", subnet, "-d", subnet, "-j", "RETURN")
    _ipt("-A", chain, "-s", subnet, "-j", "REJECT", "-m", "comment", "--comment", f"metalstore lab {lab}: no egress")
    if _ipt("-C", "FORWARD", "-j", chain, check=False).returncode != 0:
        _ipt("-I", "FORWARD", "1", "-j", chain)


def remove_fence(lab: str) -> list[str]:
    chain = fence_chain(lab)
    if _ipt("-n", "-L", chain, check=False).returncode != 0:
        return []
    while _ipt("-D", "FORWARD", "-j", chain, check=False).returncode == 0:
        pass
    _ipt("-F", chain)
    _ipt("-X", chain)
    return [f"iptables chain filter/{chain}"]


def _rules(table: str) -> list[str]:
    return run(["iptables-save", "-t", table]).stdout.splitlines()


def netavark_idle() -> bool:
    """No bridge network of netavark (any user, any storage) is active: no per-network chains, no rules."""
    nat, flt = _rules("nat"), _rules("filter")
    per_network = [ln for ln in nat if re.match(r"^:NETAVARK-[0-9A-F]{10,} ", ln)]
    forward_rules = [ln for ln in flt if ln.startswith("-A NETAVARK_FORWARD ")]
    dnat_rules = [ln for ln in nat if ln.startswith("-A NETAVARK-HOSTPORT-DNAT ")]
    return not (per_network or forward_rules or dnat_rules)


def remove_netavark_leftovers() -> list[str]:
    """netavark keeps its shared chains after the last network goes; remove them once nothing uses them."""
    if not netavark_idle():
        return []
    removed = []
    for table, chains in (("filter", ["NETAVARK_FORWARD"]),
                          ("nat", ["NETAVARK-HOSTPORT-DNAT", "NETAVARK-HOSTPORT-MASQ", "NETAVARK-HOSTPORT-SETMARK"])):
        for line in _rules(table):
            m = re.match(r"^-A (\S+) (.*-j (NETAVARK\S+))$", line)
            if m and m.group(3) in chains and not m.group(1).startswith("NETAVARK"):
                _ipt("-t", table, "-D", m.group(1), *shlex.split(m.group(2)), check=False)
        for chain in chains:
            if _ipt("-t", table, "-n", "-L", chain, check=False).returncode == 0:
                _ipt("-t", table, "-F", chain)
                _ipt("-t", table, "-X", chain)
                removed.append(f"iptables chain {table}/{chain}")
    return removed


def remember_ip_forward() -> None:
    """netavark turns on IPv4 forwarding; keep the host's original value to restore after the last lab."""
    saved = lab_home() / "ip_forward.orig"
    if not saved.exists():
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(IP_FORWARD.read_text(encoding="utf-8").strip(), encoding="utf-8")


def restore_ip_forward() -> list[str]:
    saved = lab_home() / "ip_forward.orig"
    if not saved.exists() or not netavark_idle():
        return []
    orig = saved.read_text(encoding="utf-8").strip()
    saved.unlink()
    if IP_FORWARD.read_text(encoding="utf-8").strip() != orig:
        IP_FORWARD.write_text(orig, encoding="utf-8")
        return [f"net.ipv4.ip_forward restored to {orig}"]
    return []
