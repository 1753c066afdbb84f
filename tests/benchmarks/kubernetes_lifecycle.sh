#!/usr/bin/env bash
# Benchmark of the Kubernetes life-cycle playbooks on a lab (docs/performance.md; not a test: it measures and prints).
# One 6-node lab, prepared once (not timed); then, timed: cluster.yml installing 3 control-plane nodes, scale.yml
# adding a 4th node (a cluster of 3), cluster.yml's no-op rerun and upgrade.yml on the 4 nodes, scale.yml adding a
# 5th and a 6th node (a cluster of 5). The nodes join the inventory's groups step by step (the lab's own layout is
# the 6-node one); every step must succeed.
#   bash tests/benchmarks/kubernetes_lifecycle.sh      BENCH_LAB_NAME / BENCH_LAB_SUBNET choose the lab
. "$(dirname "$0")/../../scripts/lib.sh" && cd "$ROOT" && use_venv
set -o pipefail
unset ANSIBLE_COLLECTIONS_PATHS
[ "$(id -u)" = 0 ] || { echo "the lab needs root" >&2; exit 1; }
name="${BENCH_LAB_NAME:-k8sbench}"
export LAB_NAME="$name" LAB_SUBNET="${BENCH_LAB_SUBNET:-10.213.120.0/24}" LAB_NODES=6 LAB_DISKS=1 LAB_DISK_SIZE=1G
bundle="$(python3 bundle/build.py)" || exit 1
read -r old new < <(python3 -c 'import json,sys; v = json.load(open(sys.argv[1]))["kubernetes_versions"]; print(v[0], v[-1])' "$bundle/manifest.json")
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops"
declare -A saved
for s in $SYSCTLS; do saved[$s]="$(sysctl -n "$s")"; done
inv="$(mktemp -d "$BUILD/tmp/k8s-bench.XXXXXX")"; out="$inv.out"; mkdir -p "$out"
cleanup() {
  lab/labctl down >/dev/null 2>&1
  for s in $SYSCTLS; do sysctl -q -w "$s=${saved[$s]}"; done
  rm -rf "$inv" "$out"
}
trap cleanup EXIT
lab/labctl down >/dev/null 2>&1 || true
lab/labctl up >/dev/null || exit 1
ln -s "$ROOT/inventories/lab/group_vars" "$inv/group_vars"
n() { echo "$name-node$1"; }
members() { # members N: the inventory with nodes 1..N in the Kubernetes groups (3 control-plane nodes, then workers)
  local workers=""; for i in $(seq 4 "$1"); do workers+="$(n "$i"),"; done
  python3 tests/kubernetes/lifecycle.py --inventory ".build/lab/$name/hosts.yml" edit "$inv/hosts.yml" \
    "control_plane=$(n 1),$(n 2),$(n 3)" "workers=$workers" "storage=$(n 2),$(n 3),$workers"
}
results=()
step() { # step LABEL PLAYBOOK [ARGS...]: run, record the seconds
  local label=$1 pb=$2 start; shift 2; start=$(date +%s%N)
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" "$pb" -e "metalstore_bundle_dir=$bundle" "$@" > "$out/step.log" 2>&1 \
    || { tail -40 "$out/step.log" >&2; echo "FAIL: $label" >&2; exit 1; }
  local ds=$(( ($(date +%s%N) - start) / 100000000 ))
  results+=("$(printf '%-44s %4d.%d s' "$label" $((ds / 10)) $((ds % 10)))")
  echo "${results[-1]}" >&2
}
members 6
step "(prepare.yml, 6 nodes; not compared)" lab/playbooks/prepare.yml -e "metalstore_kubernetes_version=$old"
members 3
step "cluster.yml install, 3 control-plane nodes" playbooks/cluster.yml -e "metalstore_kubernetes_version=$old"
members 4
step "scale.yml adding node 4 (cluster of 3)" playbooks/scale.yml --limit "$(n 4)" -e "metalstore_kubernetes_version=$old"
step "cluster.yml no-op rerun, 4 nodes" playbooks/cluster.yml -e "metalstore_kubernetes_version=$old"
step "upgrade.yml $old -> $new, 4 nodes" playbooks/upgrade.yml -e "metalstore_kubernetes_version=$new"
members 5
step "scale.yml adding node 5 (cluster of 4)" playbooks/scale.yml --limit "$(n 5)" -e "metalstore_kubernetes_version=$new"
members 6
step "scale.yml adding node 6 (cluster of 5)" playbooks/scale.yml --limit "$(n 6)" -e "metalstore_kubernetes_version=$new"
printf '\nKubernetes life cycle on %s (%s cores, %s): \n' "$name" "$(nproc)" "$(date -u +%F)"
printf '  %s\n' "${results[@]}"
