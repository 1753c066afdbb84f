"""Helpers of the life-cycle tests on the lab (scripts/test.d/70-lab-kubernetes.sh): kubectl runs on a
control-plane node over SSH (test code), the probe runs on the controller against the lab's own addresses.

  lifecycle.py --inventory HOSTS.yml workload                  deploy the serving workload, print its URL
  lifecycle.py --inventory HOSTS.yml probe URL STOPFILE OUT    GET URL every 0.1 s until STOPFILE exists; OUT: JSON
  lifecycle.py --inventory HOSTS.yml nodes                     JSON {node: [kubeletVersion, ready]}
  lifecycle.py --inventory HOSTS.yml etcd-members              the number of etcd members
  lifecycle.py --inventory HOSTS.yml memory NODE               JSON {total_mib, processes_mib}: RSS on the node
  lifecycle.py --inventory HOSTS.yml volume-node               the node of the cluster checks' bound local volume
  lifecycle.py --inventory HOSTS.yml services NODE...          JSON {node: kubelet/containerd/haproxy start times}
  lifecycle.py --inventory HOSTS.yml leftovers NODE...         exit 1 listing what a reset left on the nodes
  lifecycle.py --inventory HOSTS.yml fingerprint NODE...       JSON {node: hash of packages, units, configuration}
  lifecycle.py --inventory HOSTS.yml kubectl ARG...            kubectl on the first control-plane node
  lifecycle.py --inventory HOSTS.yml edit OUT GROUP=HOST,...   a copy of the inventory with other group members
                                                              (vars.NAME=VALUE: another variable; hosts in no group dropped)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

import yaml

KUBECTL = ["/usr/local/bin/kubectl", "--kubeconfig=/etc/kubernetes/admin.conf"]
WORKLOAD = """
apiVersion: v1
kind: Namespace
metadata: {name: lifecycle}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: serve, namespace: lifecycle}
spec:
  replicas: 3
  selector: {matchLabels: {app: serve}}
  template:
    metadata: {labels: {app: serve}}
    spec:
      # Spread over the nodes; on eviction keep serving until the endpoints and kube-proxy forgot the pod.
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
           labelSelector: {matchLabels: {app: serve}}}
      terminationGracePeriodSeconds: 15
      containers:
        - name: serve
          image: IMAGE
          command: [/bin/sh, -c, "mkdir -p /www && echo ok > /www/index.html && exec /bin/httpd -f -p 8080 -h /www"]
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
          lifecycle: {preStop: {exec: {command: [/bin/sleep, "5"]}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: serve, namespace: lifecycle}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: serve}}
---
apiVersion: v1
kind: Service
metadata: {name: serve, namespace: lifecycle}
spec:
  type: NodePort
  selector: {app: serve}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
"""


class Lab:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.inv = yaml.safe_load(f)
        self.cp = sorted(self.inv["all"]["children"]["control_plane"]["hosts"])

    def ip(self, host):
        return self.inv["all"]["hosts"][host]["ansible_host"]

    def ssh(self, host, cmd, stdin=None, check=True):
        argv = ["ssh", "-i", self.inv["all"]["vars"]["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5",
                f"root@{self.ip(host)}", cmd]
        r = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
        if check and r.returncode != 0:
            sys.exit(f"FAIL: {host}: {cmd}: {r.stderr.strip() or r.stdout.strip()}")
        return r.stdout

    def kubectl(self, args, stdin=None):
        return self.ssh(self.cp[0], " ".join(KUBECTL + args), stdin=stdin)


def workload(lab, _args):
    image = lab.kubectl(["-n", "cluster-checks", "get", "ds", "echo", "-o", "jsonpath='{.spec.template.spec.containers[0].image}'"])
    lab.kubectl(["apply", "-f", "-"], stdin=WORKLOAD.replace("IMAGE", image.strip()))
    lab.kubectl(["-n", "lifecycle", "rollout", "status", "deploy/serve", "--timeout=120s"])
    url = f"http://{lab.ip(lab.cp[0])}:30080/"
    # The rollout is done before kube-proxy has programmed the new NodePort (it refused requests for ~16 s in the
    # first runs): wait, bounded, until the port answers, so the probe counts only what the upgrade costs.
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                r.read()
            break
        except Exception as e:  # noqa: BLE001 - any failure means not ready yet
            if time.monotonic() > deadline:
                sys.exit(f"FAIL: {url} does not answer 90 s after the rollout: {e}")
            time.sleep(0.5)
    print(url)


def probe(_lab, args):
    ok = failed = 0
    errors, windows = {}, []  # windows: [first, last] second of each run of failures
    start = time.monotonic()
    while not os.path.exists(args.stopfile):
        try:
            with urllib.request.urlopen(args.url, timeout=2) as r:
                r.read()
            ok += 1
        except Exception as e:  # noqa: BLE001 - every failure counts, by kind
            failed += 1
            kind = type(e).__name__ + ": " + str(e)[:80]
            errors[kind] = errors.get(kind, 0) + 1
            second = round(time.monotonic() - start)
            if not windows or second - windows[-1][1] > 2:
                windows.append([second, second])
            windows[-1][1] = second
        time.sleep(0.1)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"requests": ok + failed, "failed": failed, "errors": errors, "failure_windows_s": windows,
                   "seconds": round(time.monotonic() - start)}, f)


def nodes(lab, _args):
    items = json.loads(lab.kubectl(["get", "nodes", "-o", "json"]))["items"]
    print(json.dumps({n["metadata"]["name"]: [n["status"]["nodeInfo"]["kubeletVersion"],
                                              any(c["type"] == "Ready" and c["status"] == "True"
                                                  for c in n["status"]["conditions"])] for n in items}))


def wait_not_ready(lab, args):
    """Wait until NODE is NotReady in the API (its kubelet stopped reporting); print the seconds it took.

    Asks the first control-plane node's own kube-apiserver, not the VIP: until haproxy's health checks take a
    frozen node's apiserver out (fall 2 x 2 s), a request through the VIP can be sent to it and hang (CI
    2026-12-04: 'TLS handshake timeout') - the few seconds a client of a freshly dead node sees, not what this
    waits for."""
    own = ["--server=https://%s:6443" % lab.ip(lab.cp[0])]
    t0 = time.monotonic()
    while time.monotonic() - t0 < args.timeout:
        items = json.loads(lab.kubectl(own + ["get", "nodes", "-o", "json"]))["items"]
        ready = {n["metadata"]["name"]: any(c["type"] == "Ready" and c["status"] == "True"
                                            for c in n["status"]["conditions"]) for n in items}
        if not ready.get(args.node, False):
            print(f"{time.monotonic() - t0:.0f}")
            return
        time.sleep(2)
    sys.exit(f"FAIL: {args.node} still Ready {args.timeout} s later")


def etcd_members(lab, _args):
    # etcd's own API (its gRPC gateway) with the health-check client certificate kubeadm made.
    out = lab.ssh(lab.cp[0], "curl -sS --fail --cacert /etc/kubernetes/pki/etcd/ca.crt "
                  "--cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key "
                  "-X POST -d '{}' https://127.0.0.1:2379/v3/cluster/member/list")
    print(len(json.loads(out)["members"]))


def memory(lab, args):
    """Resident memory of every process on the node (RSS summed: shared pages count in each process, an upper bound)."""
    by = {}
    for line in lab.ssh(args.node, "ps -eo rss=,comm=").splitlines():
        rss, comm = line.split(None, 1)
        by[comm] = by.get(comm, 0) + int(rss)
    top = dict(sorted(((c, round(k / 1024)) for c, k in by.items()), key=lambda x: -x[1])[:12])
    print(json.dumps({"total_mib": round(sum(by.values()) / 1024), "processes_mib": top}))


def volume_node(lab, _args):
    pvs = json.loads(lab.kubectl(["get", "pv", "-o", "json"]))["items"]
    bound = [pv["metadata"]["labels"]["metalstore.io/node"] for pv in pvs
             if pv["status"]["phase"] == "Bound" and (pv["spec"].get("claimRef") or {}).get("namespace") == "cluster-checks"]
    print(bound[0] if bound else "")


def services(lab, args):
    out = {}
    for node in args.nodes:
        out[node] = lab.ssh(node, "systemctl show -p ExecMainStartTimestampMonotonic --value kubelet containerd haproxy keepalived",
                            check=False).split()
    print(json.dumps(out))


LEFTOVERS = r"""
set -u
pgrep -a -x 'kubelet|kube-apiserver|kube-controller|kube-scheduler|kube-proxy|etcd|flanneld|coredns|haproxy|keepalived' | sed 's/^/process: /'
ctr -n k8s.io containers ls -q 2>/dev/null | sed 's/^/container: /'
awk '$2 ~ "^(/var/lib/kubelet|/run/netns|/run/containerd/io.containerd.grpc.v1.cri)/" {print "mount: " $2}' /proc/mounts
ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(cni0|flannel|veth)' | sed 's/^/interface: /'
for s in iptables-nft-save ip6tables-nft-save iptables-legacy-save ip6tables-legacy-save; do
  command -v $s >/dev/null && $s 2>/dev/null | grep -E '^:(KUBE-|FLANNEL|CNI-)|flanneld' | sed "s/^/$s: /"
done
ip -o route show to root POD_CIDR | sed 's/^/route: /'
nft list tables 2>/dev/null | grep -E 'kube' | sed 's/^/nft: /'
for f in /etc/kubernetes /var/lib/kubelet /var/lib/etcd /etc/cni/net.d/10-flannel.conflist /run/flannel \
         /usr/local/bin/kubelet /etc/haproxy/haproxy.cfg /etc/keepalived/keepalived.conf; do
  if mountpoint -q $f; then [ -n "$(ls -A $f)" ] && echo "files in: $f"; elif [ -e $f ]; then echo "file: $f"; fi
done
ip -o addr show | grep -F ' VIP/' | sed 's/^/vip: /'
true
"""


POD_CIDR = "10.244.0.0/16"  # the lab's (site_defaults' default)


def leftovers(lab, args):
    vip = lab.inv["all"]["vars"].get("metalstore_api_vip") or "none"
    found = []
    for node in args.nodes:
        found += [f"{node}: {line}" for line in lab.ssh(node, LEFTOVERS.replace("VIP", vip).replace("POD_CIDR", POD_CIDR)).splitlines() if line.strip()]
    if found:
        print("\n".join(found))
        sys.exit(1)
    print(f"ok: nothing left on {', '.join(args.nodes)} (processes, containers, mounts, interfaces, chains, state, VIP)")


# What prepare.yml changes (missing paths are part of it: ls reports them); check mode must leave it as it is.
FINGERPRINT = r"""
{ dpkg-query -W -f='${Package}=${Version}\n'; ls -la /etc /etc/systemd/system /usr/local/bin /srv /etc/apt/sources.list.d \
    /var/lib/metalstore /etc/containerd /etc/metalstore /etc/cni/net.d /etc/kubernetes 2>&1; cat /etc/hosts /etc/fstab; true; } | sha256sum
"""


def fingerprint(lab, args):
    print(json.dumps({node: lab.ssh(node, FINGERPRINT).split()[0] for node in args.nodes}))


def kubectl(lab, args):
    print(lab.kubectl(args.args), end="")


def edit(lab, args):
    """Another inventory of the lab: GROUP=HOST,... sets a group, vars.NAME=VALUE a variable (empty: removed).
    Hosts left in no group are dropped, so that the new inventory names its site only."""
    inv = lab.inv["all"]
    for spec in args.groups:
        key, value = spec.split("=", 1)
        if key.startswith("vars."):
            inv["vars"].pop(key[5:], None)
            if value:
                inv["vars"][key[5:]] = value
            continue
        inv["children"][key]["hosts"] = {h: None for h in value.split(",") if h}
    grouped = {h for g in inv["children"].values() for h in g.get("hosts") or {}}
    inv["hosts"] = {h: v for h, v in inv["hosts"].items() if h in grouped}
    with open(args.out, "w", encoding="utf-8") as f:
        yaml.safe_dump(lab.inv, f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--inventory", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("workload")
    pr = sub.add_parser("probe")
    pr.add_argument("url")
    pr.add_argument("stopfile")
    pr.add_argument("out")
    sub.add_parser("nodes")
    sub.add_parser("etcd-members")
    w = sub.add_parser("wait-not-ready")
    w.add_argument("node")
    w.add_argument("timeout", type=int)
    sub.add_parser("volume-node")
    sub.add_parser("memory").add_argument("node")
    for name in ("services", "leftovers", "fingerprint"):
        sub.add_parser(name).add_argument("nodes", nargs="+")
    sub.add_parser("kubectl").add_argument("args", nargs=argparse.REMAINDER)
    ed = sub.add_parser("edit")
    ed.add_argument("out")
    ed.add_argument("groups", nargs="+")
    args = p.parse_args()
    {"workload": workload, "probe": probe, "nodes": nodes, "etcd-members": etcd_members, "wait-not-ready": wait_not_ready,
     "volume-node": volume_node,
     "memory": memory,
     "services": services, "leftovers": leftovers, "kubectl": kubectl, "edit": edit,
     "fingerprint": fingerprint}[args.cmd](Lab(args.inventory), args)


if __name__ == "__main__":
    main()
