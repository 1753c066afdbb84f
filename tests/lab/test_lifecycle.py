"""The lab for real (stage 60, root): two labs side by side, Ansible reaches every node, re-running "up" is a
no-op, a colliding lab is refused before anything exists, and "down" removes everything it created and says so.

Runs only with LAB_LIFECYCLE=1. LAB_TEST_PREFIX (default "ci") and LAB_TEST_SUBNETS (two /24s, default
"10.213.250.0/24 10.213.251.0/24") keep concurrent checkouts on one machine apart.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LABCTL = str(ROOT / "lab" / "labctl")
PODMAN = str(ROOT / "lab" / "bin" / "podman")
PREFIX = os.environ.get("LAB_TEST_PREFIX", "ci")
SUBNET_A, SUBNET_B = os.environ.get("LAB_TEST_SUBNETS", "10.213.250.0/24 10.213.251.0/24").split()
LAB_A, LAB_B, LAB_C = f"{PREFIX}-lab-a", f"{PREFIX}-lab-b", f"{PREFIX}-lab-c"
LAB_HOME = Path(os.environ.get("METALSTORE_LAB_HOME") or "/var/lib/metalstore-lab")

pytestmark = pytest.mark.skipif(os.environ.get("LAB_LIFECYCLE") != "1" or os.geteuid() != 0,
                                reason="real lab test: set LAB_LIFECYCLE=1 and run as root (stage 60)")


def sh(*cmd, check=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True, check=False, cwd=ROOT)
    if check:
        assert r.returncode == 0, f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def labctl(*args, check=True):
    t0 = time.monotonic()
    r = sh(LABCTL, *args, check=check)
    r.seconds = time.monotonic() - t0
    return r


def fence_chain(lab):
    return "MSLAB-" + hashlib.sha256(lab.encode()).hexdigest()[:10].upper()


def leftovers(lab, subnet):
    """Everything of LAB still on the machine; empty when it is completely gone."""
    found = []
    label = f"label=metalstore.lab={lab}"
    found += [f"container {n}" for n in sh(PODMAN, "ps", "-a", "--filter", label, "--format", "{{.Names}}").stdout.split()]
    found += [f"volume {v}" for v in sh(PODMAN, "volume", "ls", "--filter", label, "--format", "{{.Name}}").stdout.split()]
    nets = json.loads(sh(PODMAN, "network", "ls", "--format", "json").stdout or "[]")
    found += [f"network {n['name']}" for n in nets
              if n["name"] == f"{lab}-net" or any(s["subnet"] == subnet for s in n.get("subnets") or [])]
    for table in ("filter", "nat"):
        found += [f"iptables {table}: {ln}" for ln in sh("iptables-save", "-t", table).stdout.splitlines()
                  if fence_chain(lab) in ln or subnet in ln]
    disk_dir = LAB_HOME / "disks" / lab
    found += [f"loop device {ln}" for ln in sh("losetup", "-a").stdout.splitlines() if str(disk_dir) + "/" in ln]
    if disk_dir.exists():
        found.append(f"disk directory {disk_dir}")
    state = ROOT / ".build" / "lab" / lab
    if state.exists():
        found.append(f"state directory {state}")
    return found


def ping(lab, count):
    inv = ROOT / ".build" / "lab" / lab / "hosts.yml"
    t0 = time.monotonic()
    r = sh("ansible", "-i", str(inv), "all", "-m", "ansible.builtin.ping", "-e", "ansible_ssh_timeout=10")
    assert r.stdout.count("SUCCESS") == count, r.stdout
    return time.monotonic() - t0


def container_ids(lab):
    return sh(PODMAN, "ps", "--filter", f"label=metalstore.lab={lab}", "--format", "{{.ID}} {{.StartedAt}}").stdout


def report(msg):
    print(f"[lab timing] {msg}", file=sys.stderr)


@pytest.fixture(scope="module")
def labs():
    for lab in (LAB_A, LAB_B, LAB_C):
        labctl("down", "--name", lab, check=False)
    for lab, subnet in ((LAB_A, SUBNET_A), (LAB_B, SUBNET_B)):
        assert not leftovers(lab, subnet), f"not a clean start: {leftovers(lab, subnet)}"
    yield
    for lab in (LAB_A, LAB_B, LAB_C):
        labctl("down", "--name", lab, check=False)


def test_two_labs_up_and_reachable(labs):
    a = labctl("up", "--name", LAB_A, "--nodes", "3", "--subnet", SUBNET_A, "--disks", "1", "--disk-size", "64M")
    report(f"up {LAB_A} (3 nodes, 1 disk each): {a.seconds:.1f}s")
    b = labctl("up", "--name", LAB_B, "--nodes", "1", "--subnet", SUBNET_B)
    report(f"up {LAB_B} (1 node): {b.seconds:.1f}s")
    report(f"ansible ping {LAB_A}: {ping(LAB_A, 3):.1f}s")
    ping(LAB_B, 1)
    # Every name is prefixed by the lab's name.
    names = sh(PODMAN, "ps", "--filter", f"label=metalstore.lab={LAB_A}", "--format", "{{.Names}}").stdout.split()
    assert sorted(names) == [f"{LAB_A}-node{i}" for i in (1, 2, 3)]
    # Each node has a cgroup namespace of its own (PID 1 at /init.scope of it, like on a host) and systemd runs.
    r = sh(PODMAN, "exec", f"{LAB_A}-node1", "sh", "-c",
           "grep -c '^[0-9]*:name=systemd:/init.scope$' /proc/1/cgroup; systemctl is-system-running",
           check=False)
    assert r.stdout.split() == ["1", "running"], r.stdout + r.stderr
    # Restarting one lab's node leaves every other node's cgroups alone (podman exec needs them).
    sh(PODMAN, "restart", "-t", "10", f"{LAB_B}-node1")
    for n in (1, 2, 3):
        r = sh(PODMAN, "exec", f"{LAB_A}-node{n}", "systemctl", "is-system-running", check=False)
        assert r.stdout.strip() == "running", f"{LAB_A}-node{n} after restarting {LAB_B}-node1: {r.stdout}{r.stderr}"


def test_up_again_is_a_no_op(labs):
    before = container_ids(LAB_A)
    r = labctl("up", "--name", LAB_A, "--nodes", "3", "--subnet", SUBNET_A, "--disks", "1", "--disk-size", "64M")
    report(f"up {LAB_A} again (no-op): {r.seconds:.1f}s")
    assert "nothing to do" in r.stderr
    assert container_ids(LAB_A) == before


def test_colliding_lab_is_refused_before_anything_exists(labs):
    r = labctl("up", "--name", LAB_C, "--nodes", "1", "--subnet", SUBNET_A, check=False)
    assert r.returncode == 2 and f"collides with {SUBNET_A} (podman network {LAB_A}-net)" in r.stderr, r.stderr
    assert not leftovers(LAB_C, "none")
    r = labctl("up", "--name", LAB_A, "--nodes", "3", "--subnet", SUBNET_B, check=False)
    assert r.returncode == 2 and "already exists with subnet" in r.stderr, r.stderr


def test_down_removes_everything_and_reports_it(labs):
    r = labctl("down", "--name", LAB_A)
    report(f"down {LAB_A}: {r.seconds:.1f}s")
    out = r.stdout
    for item in [f"container {LAB_A}-node{i}" for i in (1, 2, 3)] + [f"volume {LAB_A}-node1-containerd",
                                                                     f"network {LAB_A}-net ({SUBNET_A}",
                                                                     f"iptables chain filter/{fence_chain(LAB_A)}",
                                                                     f"inventory {ROOT}/.build/lab/{LAB_A}/hosts.yml"]:
        assert f"removed {item}" in out, out
    assert out.count("removed loop device") == 3, out
    assert not leftovers(LAB_A, SUBNET_A)
    # The other lab is untouched.
    ping(LAB_B, 1)
    again = labctl("down", "--name", LAB_A)
    assert "nothing to remove" in again.stderr
    labctl("down", "--name", LAB_B)
    assert not leftovers(LAB_B, SUBNET_B)
