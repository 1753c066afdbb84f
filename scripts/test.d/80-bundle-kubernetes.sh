#!/usr/bin/env bash
# Proof that the offline bundle is real (docs/bundle.md): a one-node lab prepared by playbooks/prepare.yml (containerd
# 2.x from the bundle, the bundle's images in the dark-site registry), then tests/bundle/k8s_single_node.yml: the
# Kubernetes binaries (roles/kubernetes_node), kubeadm init v1beta4, flannel and CoreDNS from the bundle, and the checks
# (versions, node Ready, Service through kube-proxy, DNS names, StatefulSet data on a local PV). Then teardown.
# BUNDLE_DIR proves another bundle (e.g. one from playbooks/bundle_from_upstream.yml); BUNDLE_PROOF_VERSION picks the
# Kubernetes version (default: the bundle's newest). BUNDLE_LAB_NAME / BUNDLE_LAB_SUBNET choose the lab.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
set -euo pipefail
unset ANSIBLE_COLLECTIONS_PATHS
[ "$(id -u)" = 0 ] || { echo "skipped: the lab needs root (rootful podman, loop devices)" >&2; exit 77; }

LAB="${BUNDLE_LAB_NAME:-bundlek8s}"
SUBNET="${BUNDLE_LAB_SUBNET:-10.213.77.0/24}"
export LAB_NAME="$LAB" LAB_NODES=1 LAB_SUBNET="$SUBNET" LAB_DISKS=0

# kubelet and kube-proxy set global sysctls, which inside a lab node are the host kernel's: restore them.
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops"
declare -A saved
for s in $SYSCTLS; do saved[$s]="$(sysctl -n "$s")"; done
inv="$(mktemp -d "$BUILD/tmp/bundlek8s.XXXXXX")"

teardown() {
  local rc=$? t
  t=$(date +%s)
  lab/bin/podman exec "$LAB-node1" timeout 60 kubeadm reset -f >/dev/null 2>&1 || true
  lab/labctl down >/dev/null || rc=1
  for s in $SYSCTLS; do sysctl -q -w "$s=${saved[$s]}" || rc=1; done
  if lab/labctl status >/dev/null 2>&1; then echo "lab $LAB still present after teardown" >&2; rc=1; fi
  rm -rf "$inv"
  log "teardown: $(( $(date +%s) - t ))s"
  exit $rc
}
trap teardown EXIT

t=$(date +%s)
BUNDLE_DIR="${BUNDLE_DIR:-$(python3 bundle/build.py)}"
[ -f "$BUNDLE_DIR/manifest.json" ] || { echo "FAIL: '$BUNDLE_DIR' is not a bundle" >&2; exit 1; }
VERSION="${BUNDLE_PROOF_VERSION:-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kubernetes_versions"][-1])' "$BUNDLE_DIR/manifest.json")}"
log "bundle: $BUNDLE_DIR, Kubernetes $VERSION ($(( $(date +%s) - t ))s)"

t=$(date +%s)
lab/labctl down >/dev/null 2>&1 || true
lab/labctl up
ln -s "$ROOT/inventories/lab/group_vars" "$inv/group_vars"
cp ".build/lab/$LAB/hosts.yml" "$inv/hosts.yml"
log "lab node up: $(( $(date +%s) - t ))s"

extra=(-e "metalstore_bundle_dir=$BUNDLE_DIR" -e "metalstore_kubernetes_version=$VERSION")
t=$(date +%s)
ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" playbooks/prepare.yml "${extra[@]}" > "$inv/prepare.log" 2>&1 \
  || { tail -50 "$inv/prepare.log" >&2; echo "FAIL: prepare.yml" >&2; exit 1; }
grep -E '^\S+ +: ok=' "$inv/prepare.log"
log "prepare.yml (containerd from the bundle, registry loaded): $(( $(date +%s) - t ))s"

t=$(date +%s)
ansible-playbook -i "$inv" tests/bundle/k8s_single_node.yml "${extra[@]}"
log "Kubernetes from the bundle + checks: $(( $(date +%s) - t ))s"
