# shellcheck shell=bash
# The edge profile (inventories/examples/edge, docs/objectstore.md) on the lab's first node once the HA cluster is
# reset: one node in every group, no VIP. The real S3 clients ran on the HA site (clients.sh): the edge site serves
# the same endpoint code. Sourced by scripts/test.d/70-lab-kubernetes.sh; uses its helpers and variables (run,
# clean, unchanged, lc, node_ip, other_inventory, inv, out, n1, state_dir).
log "edge profile: $n1 alone runs Kubernetes and the whole object store (no VIP, replication 000)"
other_inventory edge "bootstrap=$n1" "control_plane=$n1" "workers=$n1" "storage=$n1" "vars.metalstore_api_vip=" || exit 1
edge() { INV="$out/edge" run "$@"; }
# reset.yml leaves the local volumes' contents (the operator's data, docs/kubernetes.md). The HA cluster's object
# store kept Raft state in this node's system volumes: an edge site made on the same node starts from empty ones,
# or its single metadata member would wait for the old peers (seen once: which volume it binds is not fixed).
ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -i "$state_dir/id_ed25519" \
  "root@$(node_ip "$n1")" '[ ! -d /var/lib/metalstore/system ] || find /var/lib/metalstore/system -mindepth 2 -maxdepth 2 -exec rm -rf {} +' \
  || { echo "FAIL: could not empty $n1's system volumes" >&2; exit 1; }
edge edge_prepare lab/playbooks/prepare.yml && clean edge_prepare 1 || exit 1   # its data disk: now a storage node
edge edge_cluster playbooks/cluster.yml && clean edge_cluster 1 || exit 1
edge edge_os1 playbooks/objectstore.yml && clean edge_os1 1 || exit 1
grep -q "S3 endpoint: https://$(node_ip "$n1")" "$out/edge_os1.log" || { echo "FAIL: the edge endpoint is not on $n1's address" >&2; exit 1; }
edge edge_os2 playbooks/objectstore.yml && unchanged edge_os2 1 || exit 1
# Every process on the node once it serves S3 (Kubernetes, containerd, the object store, and the site's registry and
# package mirror that an edge node carries itself): reported against the issue's goal of 2 GiB, and bounded at 3 GiB
# so that a regression fails (docs/performance.md).
lc memory "$n1" | python3 -c 'import json,sys
m = json.load(sys.stdin); total, by = m["total_mib"], m["processes_mib"]
goal = "met" if total <= 2048 else "not met"
print(f"edge memory: {total} MiB RSS on the node (goal 2048 MiB: {goal}); by process (MiB): {by}")
sys.exit(f"FAIL: the edge node uses {total} MiB, over the 3072 MiB bound" if total > 3072 else 0)' || exit 1
# The cloud-location checks (554 s in stage 70 of 2026-12-08) run here only with EDGE_CONNECTORS=1: with them the CI
# comes to about 82 minutes, over its 70-minute goal (docs/performance.md). tests/objectstore/edge_on_lab.sh runs this
# file with them on the `make lab-deploy` lab.
if [ -n "${EDGE_CONNECTORS:-}" ]; then
  CONN_INV="$out/edge" CONN_HOSTS=1
  . tests/objectstore/connector_checks.sh
fi
edge edge_reset playbooks/reset.yml -e kubernetes_reset_confirm=yes && clean edge_reset 1 || exit 1
lc leftovers "$n1" || exit 1
