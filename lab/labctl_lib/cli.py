"""Command line: labctl prereqs|image|up|down|status|plan|net-up|disk|wait. Parameters default to LAB_* env."""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import disks, image, nodes, plan
from . import podman as pm
from .util import LabError, Timer, log


def _env_int(name: str, default: int) -> int | str:
    raw = os.environ.get(name) or str(default)
    return int(raw) if raw.isdigit() else raw


def _lab_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", default=os.environ.get("LAB_NAME") or plan.DEFAULT_NAME)


def _plan_args(p: argparse.ArgumentParser) -> None:
    _lab_args(p)
    p.add_argument("--nodes", default=_env_int("LAB_NODES", plan.DEFAULT_NODES))
    p.add_argument("--subnet", default=os.environ.get("LAB_SUBNET") or plan.DEFAULT_SUBNET)
    p.add_argument("--disks", default=_env_int("LAB_DISKS", 0))
    p.add_argument("--disk-size", default=os.environ.get("LAB_DISK_SIZE") or "2G")


def _plan(args) -> plan.Plan:
    def as_int(value, what):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise LabError(f"invalid {what} {value!r}: expected a whole number") from None
    return nodes.plan_from_args(args.name, as_int(args.nodes, "node count"), args.subnet,
                                as_int(args.disks, "disk count"), args.disk_size)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="labctl", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("prereqs", help="install podman & co. (apt) and write the lab's isolated podman config")
    pi = sub.add_parser("image", help="build/import the node image if missing or its recipe changed")
    pi.add_argument("--force", action="store_true", help="rebuild from debootstrap even if cached")
    pi.add_argument("--remove", action="store_true", help="remove the node image (cached tarball stays)")
    _plan_args(sub.add_parser("plan", help="validate parameters and print the plan; creates nothing"))
    _plan_args(sub.add_parser("up", help="bring the lab up (no-op when already up)"))
    _lab_args(sub.add_parser("down", help="remove everything the lab created and list it"))
    _lab_args(sub.add_parser("status", help="show nodes, addresses, systemd state, disks"))
    pn = sub.add_parser("net-up", help="(molecule) network with a free /24 and COUNT node addresses; prints JSON")
    _lab_args(pn)
    pn.add_argument("--count", type=int, default=0)
    pd = sub.add_parser("disk", help="(molecule) attach a loop-device data disk; prints the host device")
    _lab_args(pd)
    pd.add_argument("--node", required=True)
    pd.add_argument("--device", required=True, help="name inside the node, e.g. vdb")
    pd.add_argument("--size", default="2G")
    pd.add_argument("--container", help="also create /dev/DEVICE in this (running) container")
    pr = sub.add_parser("node", help="(molecule) start one node on a lab network made by net-up (the same way as up)")
    _lab_args(pr)
    pr.add_argument("--node", required=True, help="container name")
    pr.add_argument("--hostname")
    pr.add_argument("--ip", required=True)
    pr.add_argument("--image")
    pr.add_argument("--host", action="append", default=[], help="NAME=IP of a peer (written to /etc/hosts)")
    pr.add_argument("--volume", action="append", default=[])
    pr.add_argument("--env", action="append", default=[])
    pr.add_argument("--label", action="append", default=[])
    pr.add_argument("--extra", action="append", default=[], help="more podman run options")
    pw = sub.add_parser("wait", help="(molecule) wait for systemd to finish booting in containers")
    pw.add_argument("containers", nargs="+")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.cmd == "prereqs":
            pm.ensure_prereqs()
        elif args.cmd == "image":
            if args.remove:
                print("\n".join(image.remove_image()) or "no node image")
            else:
                print(image.ensure_image(force=args.force))
        elif args.cmd == "plan":
            p = _plan(args)
            nodes.check_host(p)
            print(json.dumps({"lab": p.lab, "subnet": p.subnet,
                              "nodes": [n.__dict__ for n in p.nodes]}, indent=2))
        elif args.cmd == "up":
            nodes.up(_plan(args))
        elif args.cmd == "down":
            t = Timer()
            plan.check_name(args.name)
            removed = nodes.down(args.name)
            log(f"lab {args.name!r} down in {t}; removed {len(removed)} item(s)" if removed
                else f"lab {args.name!r}: nothing to remove")
            for item in removed:
                print(f"  removed {item}", flush=True)
        elif args.cmd == "status":
            return nodes.status(args.name)
        elif args.cmd == "net-up":
            print(json.dumps(nodes.net_up(plan.check_name(args.name), args.count)))
        elif args.cmd == "disk":
            loop = disks.attach(plan.check_name(args.name), args.node, args.device, args.size)
            if args.container:
                disks.expose(args.container, loop, args.device)
            print(loop)
        elif args.cmd == "node":
            lab = plan.check_name(args.name)
            pm.ensure_prereqs()
            if pm.podman("container", "exists", args.node, check=False).returncode == 0:
                pm.podman("start", args.node)
            else:
                peers = dict(h.split("=", 1) for h in args.host)
                nodes.start_node(lab, f"{lab}-net", args.node, args.ip, args.image or image.ensure_image(), peers,
                                 args.hostname, args.volume, args.env, args.extra, args.label)
        elif args.cmd == "wait":
            nodes.wait_systemd(args.containers)
    except (LabError, ValueError) as exc:
        print(f"labctl: error: {exc}", file=sys.stderr)
        return 2
    return 0
