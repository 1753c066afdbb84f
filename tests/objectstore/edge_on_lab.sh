#!/usr/bin/env bash
# The edge site and its cloud-location checks (tests/objectstore/edge_checks.sh with EDGE_CONNECTORS=1) on the
# `make lab-deploy` lab, by hand: about 10 minutes instead of stage 70's full hour. RESETS THE LAB first (every
# node; the edge site is then made on node 1 and reset at the end). Logs in $OUT (default .build/tmp/edge-on-lab).
#   make lab-deploy && bash tests/objectstore/edge_on_lab.sh
# Uses stage 70's own helpers (run, clean, unchanged, refused, lc, node_ip, other_inventory), read from it.
. "$(dirname "$0")/../../scripts/lib.sh" && cd "$ROOT" && use_venv
set -o pipefail
unset ANSIBLE_COLLECTIONS_PATHS
[ -f inventories/lab/hosts.yml ] || die "no lab: run make lab-deploy first"
name="${LAB_NAME:-metalstore}" subnet="${LAB_SUBNET:-10.213.0.0/24}"
bundle="$(python3 bundle/build.py)" || exit 1
newest="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kubernetes_versions"][-1])' "$bundle/manifest.json")"
extra=(-e "metalstore_bundle_dir=$bundle" -e "metalstore_kubernetes_version=$newest")
out="${OUT:-$BUILD/tmp/edge-on-lab}" inv="$out/inventory"
rm -rf "$out" && mkdir -p "$inv" || exit 1
ln -s "$ROOT/inventories/lab/group_vars" "$inv/group_vars"
cp inventories/lab/hosts.yml "$inv/hosts.yml"
eval "$(awk '/^(run|recap|clean|unchanged|refused|lc|node_ip|other_inventory)\(\) \{/ {p=1}
             p {print}
             p && (/^\}/ || /^[a-z_]+\(\) \{.*\}$/) {p=0}' scripts/test.d/70-lab-kubernetes.sh)"
type run recap clean unchanged refused lc node_ip other_inventory >/dev/null || die "stage 70's helpers not found"
n1="$name-node1"
state_dir="$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["all"]["vars"]["metalstore_lab_state_dir"])' "$inv/hosts.yml")"
hosts="$(python3 -c 'import sys,yaml; print(len(yaml.safe_load(open(sys.argv[1]))["all"]["hosts"]))' "$inv/hosts.yml")"
log "reset the lab's $hosts nodes, then the edge site on $n1"
run reset playbooks/reset.yml -e kubernetes_reset_confirm=yes && clean reset "$hosts" || exit 1
EDGE_CONNECTORS=1
. tests/objectstore/edge_checks.sh
log "edge site and cloud-location checks passed (logs in $out)"
