# shellcheck shell=bash
# Cloud locations on the lab's running object store (docs/connectors.md): a bucket placed on an S3 cloud and one on
# GCS, each with its write-back worker, and a bucket replicated to two locations at once (deletes copied to one
# only), converged together by the role. The clouds are two more SeaweedFS and fake-gcs-server (with its token
# endpoint) on the lab's gateway address (the host side of the lab bridge, which the pods reach through their node),
# each with its own keys. Then a key rotation, and all undone.
# Sourced by tests/objectstore/edge_checks.sh on the edge site (CONN_INV: its inventory, CONN_HOSTS: its number of
# hosts; a playbook run there costs a third of one on the HA site); uses the stage's helpers and variables (run,
# clean, unchanged, refused, lc, out, subnet, state_dir). One playbook run per step that needs it.
conn_inv="${CONN_INV:-$inv}" conn_hosts="${CONN_HOSTS:-4}"
crun() { INV="$conn_inv" run "$@"; }
log "connectors: a placed bucket and a bucket replicated to two locations, with their workers"
conn() { python3 tests/objectstore/connectors.py --client-dir "$state_dir/pki/objectstore" --cloud-dir "$out/cloud" "$@"; }
conn2() { python3 tests/objectstore/connectors.py --client-dir "$state_dir/pki/objectstore" --cloud-dir "$out/cloud2" "$@"; }
conng() { python3 tests/objectstore/connectors.py --client-dir "$state_dir/pki/objectstore" --cloud-dir "$out/gcs" "$@"; }
cfail() { conn cloud-stop; conn2 cloud-stop; conng cloud-stop; exit 1; }
# lc kubectl joins its arguments for the node's shell: arguments with spaces or parentheses carry their own quotes.
workers() { # the workers' Deployments and Secrets, one line; fails when kubectl does
  local w; w="$(lc kubectl get deployment,secret -n metalstore-objectstore -l "'app.kubernetes.io/component in (writeback,replica)'" -o name)" || return 1
  sort <<<"$w" | tr '\n' ' ' | sed 's/^ $//'; }
none_left() { local w; w="$(workers)" || { echo "FAIL: cannot list the workers" >&2; return 1; }
  [ -z "$w" ] || { echo "FAIL: $1: $w" >&2; return 1; }; }
edit_vars() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(d, open(sys.argv[1], "w"))' "$@"; }
gateway="$(python3 -c 'import ipaddress, sys; print(next(ipaddress.ip_network(sys.argv[1]).hosts()))' "$subnet")"
conn cloud-start "$gateway" && conn2 cloud-start "$gateway" && conng gcs-start "$gateway" || cfail
# Buckets in this order: placed (S3), replicated, gplaced (GCS).
conn vars "$out/placed.json" lab-cloud placed && conn2 add-location "$out/placed.json" lab-cloud-2 || cfail
edit_vars "$out/placed.json" 'd["objectstore_buckets"].append({"name": "replicated", "replicate_to": [
  {"location": "lab-cloud", "bucket": "replicated-a", "copy_deletes": False},
  {"location": "lab-cloud-2", "copy_deletes": True}]})' || cfail
conng add-gcs-location "$out/placed.json" lab-gcs gplaced || cfail

# Bad input, every problem at once in the plan, nothing changed: private endpoints without the site's opt-in (also a
# GCS key's token endpoint), a replica without copy_deletes, a bucket both placed and replicated, a GCS key file
# (the role takes the key itself), a GCS endpoint that is no URL.
cp "$out/placed.json" "$out/bad.json" && chmod 600 "$out/bad.json"
edit_vars "$out/bad.json" 'd["objectstore_allow_private_endpoints"] = False; d["objectstore_buckets"][1]["replicate_to"][1].pop("copy_deletes")
d["objectstore_buckets"][1]["location"] = "lab-cloud"
d["objectstore_locations"].append({"name": "lab-gcs-file", "type": "gcs", "gcs": {"project_id": "lab-project-1", "credentials_file": "/k.json"}})
d["objectstore_gcs_endpoint"] = "gcs.lab:4443"' || cfail
INV="$conn_inv" refused conn_bad "needs copy_deletes: true or false" playbooks/objectstore.yml -e "@$out/bad.json" || cfail
for m in "either placed on a location or replicated" "lab-cloud: endpoint" "lab-cloud-2: endpoint" \
         "lab-gcs: gcs.credentials' token_uri: endpoint" "lab-gcs-file: gcs.credentials_file is not taken by the role" \
         "objectstore_gcs_endpoint gcs.lab:4443 is not an http(s) URL"; do
  grep -qF "$m" "$out/conn_bad.log" || { echo "FAIL: conn_bad: '$m' missing" >&2; cfail; }
done
none_left "a refused run created workers" || cfail

crun conn0 playbooks/objectstore.yml -e "@$out/placed.json" --check && clean conn0 "$conn_hosts" || cfail
for m in "Bucket placed would be placed on lab-cloud, which this run would create" \
         "Bucket replicated would be replicated to lab-cloud-2, which this run would create"; do
  grep -qF "$m" "$out/conn0.log" || { echo "FAIL: --check did not predict: $m" >&2; cfail; }
done
none_left "--check created workers" || cfail
crun conn1 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn1 "$conn_hosts" || cfail
crun conn2 playbooks/objectstore.yml -e "@$out/placed.json" && unchanged conn2 "$conn_hosts" || cfail
want="deployment.apps/seaweedfs-replica-replicated-lab-cloud deployment.apps/seaweedfs-replica-replicated-lab-cloud-2 deployment.apps/seaweedfs-writeback-gplaced deployment.apps/seaweedfs-writeback-placed secret/seaweedfs-replica-replicated-lab-cloud secret/seaweedfs-replica-replicated-lab-cloud-2 "
[ "$(workers)" = "$want" ] || { echo "FAIL: workers: $(workers)" >&2; cfail; }

echo "ok: locations, placement and replicas converged (--check predicted them, a rerun changes nothing, no secret printed)"

# The placed bucket: the first object right after the opt-in's rollout on its own (a worker whose clients held the
# rolled filers' old pod IPs took 110 s for it on 2026-12-04; filers have stable names since), then a burst.
conn write placed warmup 1 && conn arrived placed warmup 60 || cfail
conn write placed burst 50 && conn arrived placed burst 120 || cfail
# Only the worker copies to the cloud, and it resumes from the offset it keeps in the filer: objects written while
# it is stopped stay on the site, and all arrive once it runs again.
wb=(deployment/seaweedfs-writeback-placed -n metalstore-objectstore)
lc kubectl scale "${wb[@]}" --replicas=0 >/dev/null || cfail
lc kubectl wait pod -n metalstore-objectstore -l app.kubernetes.io/component=writeback,metalstore.io/bucket=placed --for=delete --timeout=90s >/dev/null || cfail
conn write placed restart 20 && sleep 5 && conn absent placed restart || cfail
lc kubectl scale "${wb[@]}" --replicas=1 >/dev/null || cfail
conn arrived placed restart 180 || cfail
conn latency placed 100 || cfail
conn deleted placed burst 10 60 || cfail
# Objects someone else writes straight into the cloud bucket: listed by the site once its listing is older than the
# placement's refresh (5 s here), and read through it.
conn from-cloud placed others 10 60 || cfail

# The bucket placed on GCS: its worker and the engine's pods authenticate with the key the engine stores (tokens
# from the key's token_uri) and reach the GCS endpoint the role set; writes and deletes reach the cloud.
conng write gplaced burst 20 && conng arrived gplaced burst 120 || cfail
conng write gplaced del 5 && conng arrived gplaced del 60 && conng deleted gplaced del 5 60 || cfail
# Tokens granted to the key for the engine's pods (the Go client; the controller's module calls are Python's urllib).
grep -q "^granted credentials@[^ ]* [^ ]* Go-http-client" "$out/gcs/grants.log" && ! grep -q "^refused" "$out/gcs/grants.log" \
  || { echo "FAIL: no token for the pods, or a key refused: $(sort "$out/gcs/grants.log" | uniq -c | tr '\n' ' ')" >&2; cfail; }

# The replicated bucket: every object in both clouds; deletes reach only the location with copy_deletes.
ra=(--cloud-bucket replicated-a)
conn write replicated rep 50 && conn "${ra[@]}" arrived replicated rep 180 || cfail
conn2 --sums "$out/cloud/sums.json" arrived replicated rep 180 || cfail
conn2 --sums "$out/cloud/sums.json" deleted replicated rep 10 60 || cfail
sleep 5  # as long again for the other worker to (wrongly) copy the deletes
conn "${ra[@]}" kept replicated rep 10 || cfail
conn "${ra[@]}" latency replicated 100 || cfail

# A key rotation at the cloud, made in the inventory: the location's key changes, the replica rolls onto the new key
# only (its Secret holds no other), and data keeps flowing to both kinds of worker.
rolled() { lc kubectl get deployment seaweedfs-replica-replicated-lab-cloud -n metalstore-objectstore \
  -o "jsonpath='{.metadata.generation} {.spec.template.metadata.annotations.metalstore\\.io/config}'"; }
before="$(rolled)" || cfail
conn rotate "$out/placed.json" lab-cloud || cfail
# --check first: the engine still holds the old key (at a real cloud perhaps revoked already), so the replica's
# cloud bucket is not asked in its name; the new key is checked by the location module.
crun conn3c playbooks/objectstore.yml -e "@$out/placed.json" --check && clean conn3c "$conn_hosts" || cfail
grep -qF "Cloud bucket replicated-a of location lab-cloud is not checked in check mode" "$out/conn3c.log" \
  || { echo "FAIL: conn3c: the cloud bucket was asked with the old key" >&2; cfail; }
crun conn3 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn3 "$conn_hosts" || cfail
after="$(rolled)" || cfail
[ "$before" != "$after" ] || { echo "FAIL: the replica did not roll onto the rotated key ($after)" >&2; cfail; }
conn write replicated rotated 20 && conn "${ra[@]}" arrived replicated rotated 180 || cfail
conn write placed rotated 20 && conn arrived placed rotated 180 || cfail
echo "ok: after the key rotation data keeps flowing to the placed bucket's cloud and the replica"

# Undone: unplacing removes the worker, then unmounts; the replicas' workers and Secrets go (also a Secret whose
# worker is already gone); the clouds keep every object.
edit_vars "$out/placed.json" 'd["objectstore_buckets"][0]["location"] = ""; d["objectstore_buckets"][1]["replicate_to"] = []
d["objectstore_buckets"][2]["location"] = ""' || cfail
# One replica's Deployment gone beforehand, its Secret left (what a run that failed between applying the two
# leaves): the Secret goes as well.
lc kubectl delete deployment seaweedfs-replica-replicated-lab-cloud-2 -n metalstore-objectstore --wait=true >/dev/null || cfail
crun conn4 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn4 "$conn_hosts" || cfail
none_left "workers left after unplacing and removing the replicas" || cfail
conn arrived placed restart 10 && conn "${ra[@]}" arrived replicated rotated 10 && conng arrived gplaced burst 10 || cfail
echo "ok: unplaced and unreplicated - workers and Secrets removed, the clouds kept their objects"
gkey_line="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["private_key"].split("\n")[2])' "$out/gcs/credentials.json")"
if grep -qF -e cloud-admin-secret-for-tests-only -e cloud-rotated-secret-for-tests-only -e "$gkey_line" "$out"/conn*.log; then
  echo "FAIL: a cloud secret in the output of the connector runs" >&2; cfail
fi
conn cloud-stop
conn2 cloud-stop
conng cloud-stop
