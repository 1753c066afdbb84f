#!/usr/bin/env bash
# Proof that the offline bundle is real (docs/bundle.md): a dedicated one-node lab (LAB_NAME=bundlek8s), Kubernetes
# from the from-source bundle (kubeadm, containerd, images imported with ctr), five checks (node Ready, object-store
# Deployment Ready, Service via kube-proxy, DNS in a pod, StatefulSet data kept on a local PV), then teardown.
# ≈ 4–6 min with a cached bundle.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
set -euo pipefail
unset ANSIBLE_COLLECTIONS_PATHS

LAB="${BUNDLE_LAB_NAME:-bundlek8s}"
SUBNET="${BUNDLE_LAB_SUBNET:-10.213.77.0/24}"
NODE="$LAB-node1"
CACHE="${BUNDLE_CACHE:-/var/cache/metalstore/bundle}"
# Packages the node needs on top of the lab image, copied in as .debs (lab nodes are offline).
NODE_DEBS="containerd runc containernetworking-plugins conntrack ipset iptables socat ethtool"

[ -x lab/labctl ] || { echo "lab/labctl missing (issue 3 not merged)" >&2; exit 77; }

# kubelet and kube-proxy set global sysctls, which inside a lab node are the host kernel's: restore them.
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops"
declare -A saved
for s in $SYSCTLS; do saved[$s]="$(sysctl -n "$s")"; done

teardown() {
  local rc=$?
  t=$(date +%s)
  lab/bin/podman exec "$NODE" timeout 60 kubeadm reset -f >/dev/null 2>&1 || true
  LAB_NAME=$LAB lab/labctl down || rc=1
  for s in $SYSCTLS; do sysctl -q -w "$s=${saved[$s]}" || rc=1; done
  if LAB_NAME=$LAB lab/labctl status >/dev/null 2>&1; then echo "lab $LAB still present after teardown" >&2; rc=1; fi
  log "teardown: $(( $(date +%s) - t ))s"
  exit $rc
}
trap teardown EXIT

t=$(date +%s)
# BUNDLE_DIR: prove another bundle (e.g. one built by playbooks/bundle_from_upstream.yml) instead of the
# from-source one; it is verified by bundle_load on the node like any other.
BUNDLE_DIR="${BUNDLE_DIR:-$(bundle/build-from-source.sh)}"
[ -f "$BUNDLE_DIR/manifest.json" ] || { echo "FAIL: '$BUNDLE_DIR' is not a bundle" >&2; exit 1; }
log "bundle: $BUNDLE_DIR ($(( $(date +%s) - t ))s)"

t=$(date +%s)
# The node gets a private cgroup namespace (labctl's default, stated here): runc inside a node sharing the
# host's cgroup namespace resolves pod cgroup paths against the host's hierarchy and pod containers fail.
LAB_NAME=$LAB LAB_NODES=1 LAB_SUBNET=$SUBNET LAB_CGROUPNS=private LAB_DISKS=0 lab/labctl up
log "lab node up: $(( $(date +%s) - t ))s"

# The packages the node lacks, with their dependencies, downloaded once into the machine cache.
t=$(date +%s)
# A fresh machine may have no package lists yet (apt-cache would then silently list nothing).
# shellcheck disable=SC2086
apt-cache show $NODE_DEBS >/dev/null 2>&1 || apt-get update -qq
# shellcheck disable=SC2086
wanted="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
  --no-enhances $NODE_DEBS 2>/dev/null | grep -v -e '^ ' -e '^<' | sort -u)"
have="$(lab/bin/podman exec "$NODE" dpkg-query -W -f='${Package}\n' | sort -u)"
missing="$(comm -23 <(echo "$wanted") <(echo "$have") | tr '\n' ' ')"
DEBS="$CACHE/node-debs/$(echo "$missing" | sha256sum | cut -c1-12)"
if [ ! -f "$DEBS/.complete" ]; then
  rm -rf "$DEBS"; mkdir -p "$DEBS"
  # shellcheck disable=SC2086
  (cd "$DEBS" && { apt-get download $missing 2>/dev/null || { apt-get update -qq && apt-get download $missing; }; })
  touch "$DEBS/.complete"
fi
log "node packages ($missing): $(( $(date +%s) - t ))s"

t=$(date +%s)
ansible-playbook -i ".build/lab/$LAB/hosts.yml" tests/bundle/k8s_single_node.yml \
  -e "bundle_proof_bundle=$BUNDLE_DIR" -e "bundle_proof_debs=$DEBS"
log "Kubernetes from the bundle + five checks: $(( $(date +%s) - t ))s"
