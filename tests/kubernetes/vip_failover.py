"""API VIP failover on the lab (run by scripts/test.d/70-lab-kubernetes.sh): stop the control-plane node that holds
the VIP, measure until the API answers through the VIP again (must be <= 30 s) and kubectl works, start the node
again and wait until it is Ready with its apiserver back in service.

  vip_failover.py --inventory HOSTS.yml --vip VIP --kubectl PATH [--port 7443]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PODMAN = os.path.join(ROOT, "lab", "bin", "podman")
BUDGET_S = 30


def ssh(inv, host, *cmd):
    hv = inv["all"]["hosts"][host]
    argv = ["ssh", "-i", inv["all"]["vars"]["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5",
            f"root@{hv['ansible_host']}", *cmd]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def kubectl(args, kubeconfig, timeout="2s"):
    return subprocess.run([ARGS.kubectl, f"--kubeconfig={kubeconfig}", f"--request-timeout={timeout}", *args],
                          capture_output=True, text=True, check=False)


def holder(inv, cps, vip):
    held = [h for h in cps if f" {vip}/" in ssh(inv, h, "ip", "-4", "-o", "addr", "show").stdout]
    if len(held) != 1:
        sys.exit(f"FAIL: the VIP {vip} is held by {held or 'no node'} (want exactly one control-plane node)")
    return held[0]


def main():
    inv = yaml.safe_load(open(ARGS.inventory, encoding="utf-8"))
    cps = list(inv["all"]["children"]["control_plane"]["hosts"])
    with tempfile.TemporaryDirectory() as tmp:
        conf = yaml.safe_load(ssh(inv, cps[0], "cat", "/etc/kubernetes/admin.conf").stdout)
        conf["clusters"][0]["cluster"]["server"] = f"https://{ARGS.vip}:{ARGS.port}"
        kubeconfig = os.path.join(tmp, "admin.conf")
        with open(os.open(kubeconfig, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="utf-8") as f:
            yaml.safe_dump(conf, f)
        if kubectl(["get", "--raw", "/readyz"], kubeconfig).returncode != 0:
            sys.exit("FAIL: the API does not answer through the VIP before the failover")
        first = holder(inv, cps, ARGS.vip)
        print(f"VIP {ARGS.vip} held by {first}; stopping it")
        t0 = time.monotonic()
        subprocess.run([PODMAN, "stop", first], check=True, capture_output=True)
        stopped = time.monotonic() - t0
        answered = None
        while time.monotonic() - t0 < BUDGET_S + 30:
            if kubectl(["get", "--raw", "/readyz"], kubeconfig).returncode == 0:
                answered = time.monotonic() - t0
                break
            time.sleep(0.5)
        if answered is None:
            sys.exit(f"FAIL: the API did not answer through the VIP within {BUDGET_S + 30} s of stopping {first}")
        nodes = kubectl(["get", "nodes", "-o", "name"], kubeconfig, "10s")
        second = holder(inv, [h for h in cps if h != first], ARGS.vip)
        print(f"API answered through the VIP {answered:.1f} s after the stop began (the stop took {stopped:.1f} s); "
              f"VIP now on {second}; kubectl get nodes: rc={nodes.returncode}, {len(nodes.stdout.split())} nodes")
        if answered > BUDGET_S or nodes.returncode != 0:
            sys.exit(f"FAIL: failover took {answered:.1f} s (budget {BUDGET_S} s) or kubectl failed: {nodes.stderr}")
        t1 = time.monotonic()
        subprocess.run([PODMAN, "start", first], check=True, capture_output=True)
        ready = kubectl(["wait", "--for=condition=Ready", f"node/{first}", "--timeout=240s"], kubeconfig, "250s")
        if ready.returncode != 0:
            sys.exit(f"FAIL: {first} did not become Ready again after its start: {ready.stderr}")
        own = None
        while time.monotonic() - t1 < 240:
            if "ok" in ssh(inv, first, "curl", "-sk", "--max-time", "2", "https://127.0.0.1:6443/readyz").stdout:
                own = time.monotonic() - t1
                break
            time.sleep(1)
        if own is None:
            sys.exit(f"FAIL: {first}'s apiserver is not ready 240 s after the node started")
        print(f"ok: {first} rejoined (Ready, its apiserver ready {own:.0f} s after the start)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--port", type=int, default=7443)
    ARGS = ap.parse_args()
    main()
