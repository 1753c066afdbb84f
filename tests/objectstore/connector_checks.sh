# shellcheck shell=bash
# A bucket placed on a cloud location (docs/connectors.md) on the lab's running object store: the cloud is a second
# SeaweedFS on the lab's gateway address (the host side of the lab bridge, which the pods reach through their node).
# Then a bucket replicated to two locations at once (the second cloud another SeaweedFS there), a key rotation, the
# role's refusals of bad replication input, and the replicas removed.
# Sourced by tests/objectstore/lab_checks.sh; uses the stage's helpers and variables (run, clean, unchanged,
# refused, lc, out, subnet, state_dir).
log "connectors: a bucket placed on an S3 cloud on the lab's gateway, with its write-back worker"
conn() { python3 tests/objectstore/connectors.py --client-dir "$state_dir/pki/objectstore" --cloud-dir "$out/cloud" "$@"; }
conn2() { python3 tests/objectstore/connectors.py --client-dir "$state_dir/pki/objectstore" --cloud-dir "$out/cloud2" "$@"; }
cfail() { conn cloud-stop; conn2 cloud-stop; exit 1; }
workers() { lc kubectl get deployment -n metalstore-objectstore -l app.kubernetes.io/component=writeback -o name; }
gateway="$(python3 -c 'import ipaddress, sys; print(next(ipaddress.ip_network(sys.argv[1]).hosts()))' "$subnet")"
conn cloud-start "$gateway" || cfail
conn vars "$out/placed.json" lab-cloud placed || cfail
refused conn_private "is on a private" playbooks/objectstore.yml \
  -e "@$out/placed.json" -e objectstore_allow_private_endpoints=false || cfail
w="$(workers)" || cfail
[ -z "$w" ] || { echo "FAIL: a refused run created a write-back worker: $w" >&2; cfail; }
run conn0 playbooks/objectstore.yml -e "@$out/placed.json" --check && clean conn0 4 || cfail
grep -q "Bucket placed would be placed on lab-cloud, which this run would create" "$out/conn0.log" \
  || { echo "FAIL: --check did not predict the placement on the new location" >&2; cfail; }
w="$(workers)" || cfail
[ -z "$w" ] || { echo "FAIL: --check created a write-back worker: $w" >&2; cfail; }
run conn1 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn1 4 || cfail
run conn2 playbooks/objectstore.yml -e "@$out/placed.json" && unchanged conn2 4 || cfail
run conn3 playbooks/objectstore.yml -e "@$out/placed.json" --check && unchanged conn3 4 || cfail
[ "$(workers)" = deployment.apps/seaweedfs-writeback-placed ] || { echo "FAIL: no write-back worker for placed" >&2; cfail; }
echo "ok: location and placement converged through a master pod's admin shell; rerun and --check change nothing"
# A worker started right after the filers rolled (the opt-in above restarts them) once took 110 s to copy its first
# object (2026-12-04, by hand on the lab; cause not found - docs/connectors.md): wait for a first object, and say how long.
conn write placed warmup 1 && conn arrived placed warmup 240 || cfail
conn write placed burst 50 && conn arrived placed burst 120 || cfail
# Only the worker copies to the cloud, and it resumes from the offset it keeps in the filer: objects written while
# it is stopped stay on the site, and all arrive once it runs again.
wb=(deployment/seaweedfs-writeback-placed -n metalstore-objectstore)
lc kubectl scale "${wb[@]}" --replicas=0 >/dev/null || cfail
lc kubectl wait pod -n metalstore-objectstore -l app.kubernetes.io/component=writeback --for=delete --timeout=90s >/dev/null || cfail
conn write placed restart 20 && sleep 5 && conn absent placed restart || cfail
lc kubectl scale "${wb[@]}" --replicas=1 >/dev/null || cfail
conn arrived placed restart 180 || cfail
conn latency placed 100 || cfail
conn deleted placed burst 10 60 || cfail
# Unplacing removes the worker first, then unmounts; the cloud keeps every object.
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["objectstore_buckets"][0]["location"] = ""
json.dump(d, open(sys.argv[1], "w"))' "$out/placed.json" || cfail
run conn4 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn4 4 || cfail
w="$(workers)" || cfail
[ -z "$w" ] || { echo "FAIL: the unplaced bucket's write-back worker is still there: $w" >&2; cfail; }
conn arrived placed restart 10 || cfail
run conn5 playbooks/objectstore.yml -e "@$out/placed.json" && unchanged conn5 4 || cfail
echo "ok: unplaced - the worker removed, the bucket unmounted, the cloud kept its objects; rerun changes nothing"

log "connectors: a bucket replicated to two locations at once (deletes copied to one only), a key rotation"
replicas() { lc kubectl get deployment,secret -n metalstore-objectstore -l app.kubernetes.io/component=replica -o name | sort | tr '\n' ' '; }
edit_vars() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(d, open(sys.argv[1], "w"))' "$@"; }
conn2 cloud-start "$gateway" || cfail
conn2 add-location "$out/placed.json" lab-cloud-2 || cfail
edit_vars "$out/placed.json" 'd["objectstore_buckets"].append({"name": "replicated", "replicate_to": [
  {"location": "lab-cloud", "bucket": "replicated-a", "copy_deletes": False},
  {"location": "lab-cloud-2", "copy_deletes": True}]})' || cfail
cp "$out/placed.json" "$out/bad.json" && chmod 600 "$out/bad.json"
edit_vars "$out/bad.json" 'd["objectstore_buckets"][1]["replicate_to"][1].pop("copy_deletes"); d["objectstore_buckets"][1]["location"] = "lab-cloud"' || cfail
refused conn_bad_replica "needs copy_deletes: true or false" playbooks/objectstore.yml -e "@$out/bad.json" || cfail
grep -qF "either placed on a location or replicated" "$out/conn_bad_replica.log" || { echo "FAIL: placed and replicated not refused" >&2; cfail; }
[ -z "$(replicas)" ] || { echo "FAIL: a refused run created replication workers: $(replicas)" >&2; cfail; }
run conn6 playbooks/objectstore.yml -e "@$out/placed.json" --check && clean conn6 4 || cfail
[ -z "$(replicas)" ] || { echo "FAIL: --check created replication workers: $(replicas)" >&2; cfail; }
run conn7 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn7 4 || cfail
run conn8 playbooks/objectstore.yml -e "@$out/placed.json" && unchanged conn8 4 || cfail
want="deployment.apps/seaweedfs-replica-replicated-lab-cloud deployment.apps/seaweedfs-replica-replicated-lab-cloud-2 secret/seaweedfs-replica-replicated-lab-cloud secret/seaweedfs-replica-replicated-lab-cloud-2 "
[ "$(replicas)" = "$want" ] || { echo "FAIL: replication workers: $(replicas)" >&2; cfail; }
if grep -qF -e "cloud-admin-secret-for-tests-only" "$out"/conn[678].log; then echo "FAIL: a cloud secret in the output" >&2; cfail; fi
echo "ok: two replication workers with their Secrets; rerun changes nothing; no secret printed"
ra=(--cloud-bucket replicated-a)
conn write replicated rep 50 && conn "${ra[@]}" arrived replicated rep 180 || cfail
conn2 --sums "$out/cloud/sums.json" arrived replicated rep 180 || cfail
conn2 --sums "$out/cloud/sums.json" deleted replicated rep 10 60 || cfail
sleep 5  # as long again for the other worker to (wrongly) copy the deletes
conn "${ra[@]}" kept replicated rep 10 || cfail
conn rotate "$out/placed.json" lab-cloud || cfail
run conn9 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn9 4 || cfail
conn write replicated rotated 20 && conn "${ra[@]}" arrived replicated rotated 180 || cfail
run conn10 playbooks/objectstore.yml -e "@$out/placed.json" && unchanged conn10 4 || cfail
echo "ok: after the key rotation the replica runs with the new key only and data keeps flowing"
# The replicas removed from the inventory's bucket: workers and Secrets go, the clouds keep their objects.
edit_vars "$out/placed.json" 'd["objectstore_buckets"][1]["replicate_to"] = []' || cfail
run conn11 playbooks/objectstore.yml -e "@$out/placed.json" && clean conn11 4 || cfail
[ -z "$(replicas)" ] || { echo "FAIL: replicas left after their removal: $(replicas)" >&2; cfail; }
conn "${ra[@]}" arrived replicated rotated 10 || cfail
echo "ok: replicas removed; the clouds kept their objects"
conn cloud-stop
conn2 cloud-stop
