# shellcheck shell=bash
# The object store on the lab's running cluster (docs/objectstore.md), sourced by scripts/test.d/70-lab-kubernetes.sh
# after the Kubernetes life cycle and before its reset, so that CI brings the cluster up once. Uses that stage's
# helpers (run, clean, unchanged, refused) and variables (inv, out, extra).
apt_need awscli s3cmd rclone openssl   # the real S3 clients of tests/objectstore/clients.sh (Debian packages)
log "object store: bad input refused before any change (every problem at once)"
# The cluster checks' StatefulSet claim went with its namespace: its local volume is Released (Retain keeps the data)
# and so not free for a volume server. An operator frees it for reuse by removing the claim reference.
for pv in $(lc kubectl get pv -o json | python3 -c 'import json,sys
print(" ".join(p["metadata"]["name"] for p in json.load(sys.stdin)["items"] if p["status"]["phase"] == "Released"))'); do
  lc kubectl patch pv "$pv" --type=json "-p='[{\"op\":\"remove\",\"path\":\"/spec/claimRef\"}]'" >/dev/null || exit 1
  echo "ok: freed the Released local volume $pv for reuse"
done
# The life cycle removed and reset node 5: while it is still in the inventory's groups the plan refuses to run.
refused os_bad_member "$n5 is in the inventory but not a node of the cluster" playbooks/objectstore.yml || exit 1
lc edit "$inv/hosts.yml" "workers=$n4" "storage=$n2,$n3,$n4" || exit 1
refused os_bad_copies "replication 003 needs 4 storage nodes" playbooks/objectstore.yml -e objectstore_replication=003 || exit 1
# Three problems in one run (every one reported): racks the site does not have, a data class with no free disk, and a
# certificate of the operator's that names another endpoint.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=elsewhere.example \
  -addext subjectAltName=DNS:elsewhere.example -keyout "$out/other.key" -out "$out/other.crt" 2>/dev/null || exit 1
refused os_bad_three "cannot be deployed as configured; nothing was changed" playbooks/objectstore.yml -e objectstore_replication=010 \
  -e objectstore_data_class=no-such-class -e "objectstore_s3_certificate=$out/other.crt" \
  -e "objectstore_s3_private_key=$out/other.key" || exit 1
for m in "keeps copies in 1 other rack(s)" "has no free data disk for a volume server" "does not name"; do
  grep -qF "$m" "$out/os_bad_three.log" || { echo "FAIL: os_bad_three: '$m' missing" >&2; exit 1; }
done
lc kubectl get namespace metalstore-objectstore >/dev/null 2>&1 && { echo "FAIL: a refused run created the namespace" >&2; exit 1; }

# The rolling upgrade further down goes from the SeaweedFS release before the bundle's to the bundle's: the site
# runs the older one first (objectstore_image), pushed into the site registry like the bundle's images.
release=(-e release_version=4.47 -e release_sha256=e5064d45948d66a8d8abe1eb9d421897e9202d3f636b9492e4594e1a16ad10fc)
run os_release tests/objectstore/release_image.yml "${release[@]}" || exit 1
older=(-e objectstore_image=docker.io/chrislusf/seaweedfs:4.47)
log "object store: --check before it exists, deploy (SeaweedFS 4.47), --check unchanged"
run os_check0 playbooks/objectstore.yml "${older[@]}" --check && clean os_check0 4 || exit 1
grep -q "changed=[1-9]" "$out/os_check0.log" || { echo "FAIL: --check predicted no change before the object store exists" >&2; exit 1; }
lc kubectl get namespace metalstore-objectstore >/dev/null 2>&1 && { echo "FAIL: --check created the namespace" >&2; exit 1; }
run os1 playbooks/objectstore.yml "${older[@]}" && clean os1 4 || exit 1
grep -q "S3 endpoint: https://" "$out/os1.log" || { echo "FAIL: the run did not print the endpoint" >&2; exit 1; }
# The real reruns are os4 (after the upgrade) and the edge site's: here the --check prediction only.
run os3 playbooks/objectstore.yml "${older[@]}" --check && unchanged os3 4 || exit 1
echo "ok: object store deployed; --check predicts no change"
refused os_bad_image "cannot be pulled by the nodes" playbooks/objectstore.yml \
  -e objectstore_image=docker.io/chrislusf/seaweedfs:0.0-not-pushed || exit 1
# The upgrade to the bundle's release, predicted: --check reports the change and leaves every pod on 4.47.
run os_check_upgrade playbooks/objectstore.yml --check || exit 1
grep -q "changed=[1-9]" "$out/os_check_upgrade.log" || { echo "FAIL: --check predicted no change for the upgrade" >&2; exit 1; }
seaweedfs_images() { lc kubectl get pods -n metalstore-objectstore -o json | python3 -c 'import json,sys
print(" ".join(sorted({c["image"] for p in json.load(sys.stdin)["items"] for c in p["spec"]["containers"] if "seaweedfs" in c["image"]})))'; }
[ "$(seaweedfs_images)" = docker.io/chrislusf/seaweedfs:4.47 ] || { echo "FAIL: --check changed the pods: $(seaweedfs_images)" >&2; exit 1; }
echo "ok: an image not in the site registry refused; --check predicts the upgrade and changes no pod"

state_dir="$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["all"]["vars"]["metalstore_lab_state_dir"])' "$inv/hosts.yml")"

log "object store: durability with reads and writes running (tests/objectstore/durability.py)"
dur() { python3 tests/objectstore/durability.py --inventory "$inv/hosts.yml" --client-dir "$state_dir/pki/objectstore" \
  --kubectl "$bundle/bin/$newest/kubectl" "$@"; }
dur seed volume-pod node-stop master-leader all-pods || exit 1
log "object store: rolling upgrade 4.47 -> the bundle's release, the playbook killed halfway and rerun, under load"
dur --interrupt command -- ansible-playbook -i "$inv" playbooks/objectstore.yml "${extra[@]}" || exit 1
run os4 playbooks/objectstore.yml && unchanged os4 4 || exit 1
images="$(seaweedfs_images)"
case "$images" in *:4.47*|"") echo "FAIL: after the upgrade the pods run $images" >&2; exit 1;; esac
echo "ok: every SeaweedFS pod runs $images"
dur clean || exit 1

# On the bundle's release, the one the platform supports (SeaweedFS 4.47 refuses DeleteBucket on a bucket emptied of
# every version and delete marker; 4.48 accepts it).
log "object store: real S3 clients over HTTPS with the site CA; refusals"
bash tests/objectstore/clients.sh "$state_dir/pki/objectstore" "$inv" || exit 1
cp ".build/lab/$name/hosts.yml" "$inv/hosts.yml"   # the reset that follows covers every lab node
