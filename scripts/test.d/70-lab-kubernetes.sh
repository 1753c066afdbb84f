#!/usr/bin/env bash
# The product path on a real multi-node lab, over SSH like `make lab-deploy` (docs/prepare.md, docs/kubernetes.md):
#  1. the example inventories (inventories/examples/*) parse, pass a syntax check of the playbooks and their
#     variables validate against the roles' argument specs (controller only, no hosts needed);
#  2. a fresh lab of 3 control-plane nodes + 1 worker, a data disk on each storage node; playbooks/prepare.yml runs
#     twice with the offline bundle: the first run must succeed, the second (two hosts at a time) change nothing;
#  3. playbooks/cluster.yml from the prepared hosts (the bundle's Kubernetes through the product's roles: HA API
#     endpoint, kubeadm v1beta4, flannel, CoreDNS, local volumes), then tests/kubernetes/cluster_checks.yml (every
#     node Ready on the bundle's version, pod to pod across nodes, Service, DNS, StatefulSet on a local PV); a --check
#     run must predict no change (the real rerun follows the upgrade); the control-plane node holding the VIP is
#     stopped: the API must answer through the VIP again within 30 s, and the node rejoins when started.
# The lab is torn down and the host-global sysctls kubelet writes are restored whatever happens.
# K8S_LAB_NAME / K8S_LAB_SUBNET choose the lab (default k8s4 on 10.213.110.0/24); BUNDLE_DIR runs another bundle
# (e.g. one from playbooks/bundle_from_upstream.yml), K8S_VERSION another of its Kubernetes versions.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
set -o pipefail
unset ANSIBLE_COLLECTIONS_PATHS

log "example inventories"
for inv in inventories/examples/*/; do
  ansible-inventory -i "$inv" --list >/dev/null || { echo "FAIL: $inv does not parse" >&2; exit 1; }
  for pb in prepare cluster scale upgrade remove_node reset objectstore site; do
    ansible-playbook -i "$inv" "playbooks/$pb.yml" --syntax-check >/dev/null || { echo "FAIL: syntax check of $pb.yml with $inv" >&2; exit 1; }
  done
done
specs="$(mktemp -d)"
cat > "$specs/validate.yml" <<'YML'
- name: Validate the example inventories' variables against the roles' argument specs (no connection)
  hosts: all
  gather_facts: false
  tasks:
    - name: Validate
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ (lookup('ansible.builtin.file', roles_dir ~ '/' ~ item ~ '/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"
      loop: [preflight, prerequisites, site_ca, containerd, darksite_bootstrap, kubernetes_node, kubernetes_api_endpoint,
             kubernetes_control_plane, kubernetes_network, kubernetes_storage]
      when: item != 'kubernetes_api_endpoint' or metalstore_api_vip | default('') | length > 0
YML
for inv in inventories/examples/*/; do
  # ansible_facts are unknown without a connection: give the few fact-based defaults a stand-in.
  # The examples keep their secrets in ansible-vault: stand-ins here.
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" "$specs/validate.yml" -e roles_dir="$ROOT/roles" \
    -e vault_registry_pull_password=example-only -e vault_pki_passphrase=example-only \
    -e '{"ansible_facts": {"default_ipv4": {"address": "192.0.2.1"}}}' > "$specs/out" 2>&1 \
    || { cat "$specs/out" >&2; echo "FAIL: $inv does not validate against the argument specs" >&2; exit 1; }
  echo "ok: $inv parses, passes the syntax check and validates"
done
rm -rf "$specs"

[ "$(id -u)" = 0 ] || { echo "skipped (lab part): the lab needs root" >&2; exit 77; }
name="${K8S_LAB_NAME:-k8s4}"
subnet="${K8S_LAB_SUBNET:-10.213.110.0/24}"
export LAB_NAME="$name" LAB_SUBNET="$subnet" LAB_NODES=4 LAB_DISKS=1 LAB_DISK_SIZE=1G
bundle="${BUNDLE_DIR:-$(python3 bundle/build.py)}" || exit 1
[ -f "$bundle/manifest.json" ] || { echo "FAIL: '$bundle' is not a bundle" >&2; exit 1; }
# Install the bundle's oldest Kubernetes release, upgrade to its newest (docs/bundle.md: two patch releases).
read -r version newest < <(python3 -c 'import json,sys; v = json.load(open(sys.argv[1]))["kubernetes_versions"]; print(v[0], v[-1])' "$bundle/manifest.json")
version="${K8S_VERSION:-$version}"
extra=(-e "metalstore_bundle_dir=$bundle" -e "metalstore_kubernetes_version=$version")

# kubelet and kube-proxy set global sysctls, which inside a lab node are the host kernel's: restore them.
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops"
declare -A saved
for s in $SYSCTLS; do saved[$s]="$(sysctl -n "$s")"; done
inv="$(mktemp -d "$BUILD/tmp/k8s-lab.XXXXXX")"   # the inventory directory: hosts.yml and group_vars only
out="$inv.out"; mkdir -p "$out"                  # logs and other inventories
cleanup() {
  local rc=$?
  lab/bin/podman unpause --all >/dev/null 2>&1   # a node frozen by a failed dead-node check
  [ -n "${KEEP_LAB:-}" ] || lab/labctl down >/dev/null 2>&1 || { echo "WARNING: lab-down of $name failed" >&2; rc=1; }
  for s in $SYSCTLS; do sysctl -q -w "$s=${saved[$s]}" || rc=1; done
  [ -n "${KEEP_LAB:-}" ] || rm -rf "$inv" "$out"
  exit $rc
}
trap cleanup EXIT
log "lab $name ($subnet): 3 control-plane nodes + 1 worker, a data disk on each; bundle $bundle, Kubernetes $version"
lab/labctl down >/dev/null 2>&1 || true
lab/labctl up || exit 1
# The lab's group_vars with this lab's hosts only (inventories/lab may hold another lab's hosts.yml).
ln -s "$ROOT/inventories/lab/group_vars" "$inv/group_vars"
cp ".build/lab/$name/hosts.yml" "$inv/hosts.yml"
vip="$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["all"]["vars"]["metalstore_api_vip"])' "$inv/hosts.yml")"

run() { # run NAME PLAYBOOK [ARGS...] -> log in $out/NAME.log, prints seconds (INV: another inventory)
  local n=$1 pb=$2 start=$(date +%s); shift 2
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "${INV:-$inv}" "$pb" "${extra[@]}" "$@" > "$out/$n.log" 2>&1
  local rc=$?
  echo "$(basename "$pb") ($n): rc=$rc in $(( $(date +%s) - start ))s" >&2
  [ $rc = 0 ] || { tail -60 "$out/$n.log" >&2; echo "FAIL: $n" >&2; }
  return $rc
}
recap() { grep -E '^\S+ +: ok=' "$out/$1.log"; }
clean() { # clean NAME HOSTS: every host in the recap, nothing failed or unreachable
  [ "$(recap "$1" | wc -l)" = "$2" ] && ! recap "$1" | grep -qE 'unreachable=[1-9]|failed=[1-9]' \
    || { recap "$1" >&2; echo "FAIL: $1 recap is not clean" >&2; return 1; }
}
unchanged() { # unchanged NAME: changed=0 on every host
  clean "$1" "$2" || return 1
  if recap "$1" | grep -vq ' changed=0 '; then
    grep -B8 -E '^changed:' "$out/$1.log" | head -80 >&2
    echo "FAIL: $1 changed something" >&2; return 1
  fi
}

lc() { python3 tests/kubernetes/lifecycle.py --inventory "$inv/hosts.yml" "$@"; }
node_ip() { python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["all"]["hosts"][sys.argv[2]]["ansible_host"])' "$inv/hosts.yml" "$1"; }
n1="$name-node1" n2="$name-node2" n3="$name-node3" n4="$name-node4" n5="$name-node5"

log "prepare.yml --check on the fresh nodes: succeeds, predicts changes, changes nothing"
fresh="$(lc fingerprint "$n1" "$n2" "$n3" "$n4")" || exit 1
run prepare0 lab/playbooks/prepare.yml --check && clean prepare0 4 || exit 1
if recap prepare0 | grep -q ' changed=0 '; then recap prepare0 >&2; echo "FAIL: --check predicted no change on a fresh host" >&2; exit 1; fi
[ "$(lc fingerprint "$n1" "$n2" "$n3" "$n4")" = "$fresh" ] || { echo "FAIL: prepare.yml --check changed a fresh node" >&2; exit 1; }
log "prepare.yml, first run"
run prepare1 lab/playbooks/prepare.yml && clean prepare1 4 || exit 1
log "prepare.yml, second run, two hosts at a time (prepare_serial=2, as in the datacenter example; must change nothing)"
run prepare2 lab/playbooks/prepare.yml -e prepare_serial=2 && unchanged prepare2 4 || exit 1
recap prepare2
log "the prepared state (tests/lab/prepare_checks.yml), and prepare.yml --check predicting no change"
run prepare_checks tests/lab/prepare_checks.yml && clean prepare_checks 4 || exit 1
run prepare3 playbooks/prepare.yml --check && unchanged prepare3 4 || exit 1

refused() { # refused NAME MESSAGE PLAYBOOK [ARGS...]: the run fails with MESSAGE and no host changed (INV: another inventory)
  local n=$1 msg=$2 pb=$3; shift 3
  if ANSIBLE_NOCOLOR=1 ansible-playbook -i "${INV:-$inv}" "$pb" "${extra[@]}" "$@" > "$out/$n.log" 2>&1; then
    echo "FAIL: $n: $(basename "$pb") $* was accepted" >&2; return 1
  fi
  grep -qF -- "$msg" "$out/$n.log" || { tail -30 "$out/$n.log" >&2; echo "FAIL: $n: no '$msg' in the refusal" >&2; return 1; }
  if recap "$n" | grep -v ' changed=0 ' >&2; then echo "FAIL: $n changed a host before refusing" >&2; return 1; fi
  echo "ok: $n refused: $(grep -F -- "$msg" "$out/$n.log" | head -1 | sed 's/^[[:space:]"]*//' | cut -c1-220)"
}
log "bad input before the cluster exists: every problem at once, nothing changed"
other_inventory() { mkdir -p "$out/$1" && ln -sfn "$ROOT/inventories/lab/group_vars" "$out/$1/group_vars" && lc edit "$out/$1/hosts.yml" "${@:2}"; }
other_inventory even "control_plane=$n1,$n2" || exit 1
INV="$out/even" refused bad_even "3 problem(s)" playbooks/cluster.yml \
  -e "metalstore_api_vip=$(node_ip "$n4")" \
  -e metalstore_kubernetes_version=v1.36.99 || exit 1
for m in "etcd needs an odd number" "already answers although no cluster exists" "is not in the bundle"; do
  grep -qF "$m" "$out/bad_even.log" || { echo "FAIL: bad_even: '$m' missing" >&2; exit 1; }
done
other_inventory single "control_plane=$n1" || exit 1
INV="$out/single" refused bad_single "HA needs 3" playbooks/cluster.yml -e metalstore_api_vip=192.0.2.10 || exit 1
grep -qF "is outside the node networks" "$out/bad_single.log" || { echo "FAIL: bad_single: VIP outside not reported" >&2; exit 1; }

log "cluster.yml --check on prepared hosts without a cluster (must succeed and predict the install)"
run cluster0 playbooks/cluster.yml --check && clean cluster0 4 || exit 1
if recap cluster0 | grep -q ' changed=0 '; then recap cluster0 >&2; echo "FAIL: --check predicted no change on a host" >&2; exit 1; fi
lc leftovers "$n1" "$n2" "$n3" "$n4" >/dev/null || { lc leftovers "$n1" "$n2" "$n3" "$n4" >&2; echo "FAIL: --check left cluster state" >&2; exit 1; }

log "cluster.yml from the prepared hosts"
run cluster1 playbooks/cluster.yml && clean cluster1 4 || exit 1
log "cluster checks"
ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" tests/kubernetes/cluster_checks.yml "${extra[@]}" > "$out/checks.log" 2>&1 \
  || { tail -60 "$out/checks.log" >&2; echo "FAIL: cluster checks" >&2; exit 1; }
sed -n '/TASK \[Summary\]/,/^$/p' "$out/checks.log" | grep -E '^ +- ' || true
# The real rerun of cluster.yml is cluster4, on the upgraded cluster: here its --check prediction only.
log "cluster.yml --check on the converged cluster (must predict no change)"
run cluster3 playbooks/cluster.yml --check && unchanged cluster3 4 || exit 1

log "API VIP failover"
python3 tests/kubernetes/vip_failover.py --inventory "$inv/hosts.yml" --vip "$vip" --kubectl "$bundle/bin/$version/kubectl"

log "bad input on the running cluster: refused before any host changes"
refused bad_limit "this step needs $n1, $n2, $n3" playbooks/upgrade.yml -e "metalstore_kubernetes_version=$newest" --limit "$n4" || exit 1
refused bad_quorum "below the quorum of 2" playbooks/remove_node.yml -e "kubernetes_remove_nodes=$n2,$n3" || exit 1

log "upgrade.yml $version -> $newest, a workload (3 replicas, PodDisruptionBudget) serving throughout"
# The cluster checks' client pod has no controller: kubectl drain rightly refuses to lose it.
lc kubectl delete pod probe -n cluster-checks --wait=true >/dev/null || exit 1
url="$(lc workload)" || exit 1
rm -f "$out/probe.stop"
lc probe "$url" "$out/probe.stop" "$out/probe.json" & probe_pid=$!
run upgrade1 playbooks/upgrade.yml -e "metalstore_kubernetes_version=$newest" && clean upgrade1 4; rc=$?
touch "$out/probe.stop"; wait $probe_pid
[ $rc = 0 ] || exit 1
python3 - "$out/probe.json" <<'PY' || exit 1
import json, sys
p = json.load(open(sys.argv[1]))
print(f"upgrade traffic: {p['requests']} requests in {p['seconds']} s, {p['failed']} failed", p["errors"] or "",
      p["failure_windows_s"] or "")
# Reported, and bounded: the workload keeps serving (no outage over 30 s, at most 5 % of requests failed). One run
# of 2026-12-02 lost one 4 s window during the control-plane upgrade, cause not yet found (docs/kubernetes.md).
longest = max([b - a + 1 for a, b in p["failure_windows_s"]] or [0])
sys.exit(0 if p["requests"] > 100 and p["failed"] <= 0.05 * p["requests"] and longest <= 30
         else f"FAIL: the workload did not keep serving during the upgrade (longest outage {longest} s)")
PY
extra=(-e "metalstore_bundle_dir=$bundle" -e "metalstore_kubernetes_version=$newest")
lc nodes | python3 -c 'import json,sys; n = json.load(sys.stdin); bad = {k: v for k, v in n.items() if v != [sys.argv[1], True]}
sys.exit(f"FAIL: not every node Ready on {sys.argv[1]}: {bad}" if bad or len(n) != 4 else print("ok: 4 nodes Ready on " + sys.argv[1]))' "$newest" || exit 1
log "upgrade.yml again, and cluster.yml on the new version (both must change nothing)"
run upgrade2 playbooks/upgrade.yml && unchanged upgrade2 4 || exit 1
run cluster4 playbooks/cluster.yml && unchanged cluster4 4 || exit 1
refused bad_downgrade "downgrades are not supported" playbooks/upgrade.yml -e "metalstore_kubernetes_version=$version" || exit 1

log "scale.yml --limit a new worker: it joins, the existing nodes are not touched"
before="$(lc services "$n1" "$n2" "$n3" "$n4")" || exit 1
LAB_NODES=5 lab/labctl up >/dev/null || exit 1
cp ".build/lab/$name/hosts.yml" "$inv/hosts.yml"
run scale1 lab/playbooks/scale.yml --limit "$n5" && clean scale1 1 || exit 1
[ "$(lc services "$n1" "$n2" "$n3" "$n4")" = "$before" ] || { echo "FAIL: scale.yml restarted a service on an existing node" >&2; exit 1; }
lc nodes | python3 -c 'import json,sys; n = json.load(sys.stdin)
sys.exit(None if n.get(sys.argv[1]) == [sys.argv[2], True] else f"FAIL: {sys.argv[1]} not Ready: {n}")' "$n5" "$newest" || exit 1
echo "ok: $n5 joined; kubelet, containerd, haproxy and keepalived on the existing nodes kept running"

log "remove_node.yml: refused for a node whose local volume is in use, then a worker, then a control-plane node"
vnode="$(lc volume-node)" || exit 1
refused bad_volume "holds local volumes in use" playbooks/remove_node.yml -e "kubernetes_remove_nodes=$vnode" || exit 1
run remove1 playbooks/remove_node.yml -e "kubernetes_remove_nodes=$n5" && clean remove1 5 || exit 1
lc leftovers "$n5" || exit 1
lc kubectl delete namespace cluster-checks lifecycle --wait=true >/dev/null || exit 1
run remove2 playbooks/remove_node.yml -e "kubernetes_remove_nodes=$n3" && clean remove2 5 || exit 1
lc leftovers "$n3" || exit 1
[ "$(lc etcd-members)" = 2 ] || { echo "FAIL: etcd does not have 2 members after removing $n3" >&2; exit 1; }
lc nodes | python3 -c 'import json,sys; n = json.load(sys.stdin); sys.exit(None if sorted(n) == sorted(sys.argv[1:]) else f"FAIL: nodes {sorted(n)}")' "$n1" "$n2" "$n4" || exit 1
echo "ok: $n5 and $n3 removed, etcd has 2 members"
refused bad_scale_limit "this step needs $n1, $n2" playbooks/scale.yml --limit "$n3" || exit 1
run scale2 playbooks/scale.yml --limit "$n1,$n2,$n3" && clean scale2 3 || exit 1
[ "$(lc etcd-members)" = 3 ] || { echo "FAIL: etcd does not have 3 members after re-adding $n3" >&2; exit 1; }
echo "ok: $n3 re-added as a control-plane node, etcd has 3 members"

log "remove_node.yml of a dead control-plane node (kubernetes_remove_unreachable): refused while Ready, then etcd forgets it"
dead=(-e "kubernetes_remove_nodes=$n2" -e kubernetes_remove_unreachable=true)
refused bad_alive "$n2 is Ready" playbooks/remove_node.yml "${dead[@]}" || exit 1
# The node dies by freezing every process of it (podman pause): a stop/start would reboot it, and a lab node's
# data-disk mount then waits for a device unit that never comes (no udev). Its kubelet, haproxy and keepalived are
# stopped first, the lab's stand-in for the documented rule that a removed host is reset before it rejoins: thawed,
# they would otherwise re-register the Node and claim the VIP.
lab/bin/podman exec "$n2" systemctl stop kubelet haproxy keepalived || exit 1
lab/bin/podman pause "$n2" >/dev/null || exit 1
t="$(lc wait-not-ready "$n2" 180)" || exit 1
echo "  $n2 frozen; NotReady in the API after $t s"
run remove3 playbooks/remove_node.yml "${dead[@]}" && clean remove3 5 || exit 1
[ "$(lc etcd-members)" = 2 ] || { echo "FAIL: etcd does not have 2 members after removing the dead $n2" >&2; exit 1; }
lc nodes | python3 -c 'import json,sys; n = json.load(sys.stdin); sys.exit(None if sorted(n) == sorted(sys.argv[1:]) else f"FAIL: nodes {sorted(n)}")' "$n1" "$n3" "$n4" || exit 1
echo "ok: the dead $n2 removed without connecting to it, etcd has 2 members"
lab/bin/podman unpause "$n2" >/dev/null || exit 1
run reset3 playbooks/reset.yml -e kubernetes_reset_confirm=yes --limit "$n2" && clean reset3 1 || exit 1
lc leftovers "$n2" || exit 1
run scale3 playbooks/scale.yml --limit "$n1,$n2,$n3" && clean scale3 3 || exit 1
[ "$(lc etcd-members)" = 3 ] || { echo "FAIL: etcd does not have 3 members after re-adding $n2" >&2; exit 1; }
echo "ok: $n2 back after a reset, re-added as a control-plane node, etcd has 3 members"

. tests/objectstore/lab_checks.sh

log "reset.yml: refused without confirmation; then nothing left on any node, and a rerun changes nothing"
refused bad_reset "kubernetes_reset_confirm=yes" playbooks/reset.yml || exit 1
run reset1 playbooks/reset.yml -e kubernetes_reset_confirm=yes && clean reset1 5 || exit 1
lc leftovers "$n1" "$n2" "$n3" "$n4" "$n5" || exit 1
run reset2 playbooks/reset.yml -e kubernetes_reset_confirm=yes && unchanged reset2 5 || exit 1

. tests/objectstore/edge_checks.sh
