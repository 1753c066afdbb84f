#!/usr/bin/env bash
# Real S3 clients against the platform's endpoint, from the controller, over HTTPS with the site CA
# (docs/objectstore.md). Every check must hold; the script stops at the first that does not.
#   tests/objectstore/clients.sh CLIENT_DIR INVENTORY      CLIENT_DIR: objectstore_client_dir (endpoint, ca.crt, aws-*)
# A bucket is created with metalstore.platform.bucket; 200 objects of mixed sizes (two multipart uploads) go up
# with awscli, are listed and come back with the same checksums; s3cmd and rclone list and round-trip an object;
# anonymous requests and plaintext HTTP are refused; from a node, gRPC without a client certificate is refused
# and the filer's HTTP port answers 401 without a token.
set -o pipefail
dir=$1 inv=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
url="$(cat "$dir/endpoint")"; ca="$dir/ca.crt"; host="${url#https://}"; host="${host%%/*}"
hostport="$host"; [[ "$host" == *:* && "$host" != *] ]] || hostport="$host:443"   # plaintext goes to the S3 port
key="$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$dir/aws-credentials")"
secret="$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$dir/aws-credentials")"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
export AWS_CONFIG_FILE="$dir/aws-config" AWS_SHARED_CREDENTIALS_FILE="$dir/aws-credentials" AWS_PROFILE=metalstore
aws=(/usr/bin/aws --endpoint-url "$url" --ca-bundle "$ca")   # endpoint_url in the config needs awscli >= 2.13; Debian 12 has 2.9
bucket="checks-$(date +%s)"

# The bucket, through the collection's module (same endpoint, CA and credentials).
AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" ANSIBLE_NOCOLOR=1 ansible localhost -o \
  -m metalstore.platform.bucket -a "name=$bucket endpoint_url=$url ca_bundle=$ca versioning=enabled" > "$work/module" 2>&1 \
  || { cat "$work/module" >&2; fail "metalstore.platform.bucket could not create $bucket"; }
grep -q '"changed": true' "$work/module" || fail "the bucket module did not report the creation: $(cat "$work/module")"
ok "metalstore.platform.bucket created $bucket over $url"

# 200 objects: 190 small (1-64 KiB), 8 of 1 MiB, 2 of 20 MiB (multipart: awscli splits above 8 MiB).
mkdir -p "$work/up" "$work/down"
python3 - "$work/up" <<'PY'
import os, random, sys
random.seed(7)
sizes = [random.randint(1, 64) * 1024 for _ in range(190)] + [1 << 20] * 8 + [20 << 20] * 2
for i, n in enumerate(sizes):
    with open(os.path.join(sys.argv[1], "obj-%03d" % i), "wb") as f:
        f.write(os.urandom(n))
PY
start=$(date +%s%N)
"${aws[@]}" s3 sync --only-show-errors "$work/up" "s3://$bucket/data/" || fail "awscli upload"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
count="$("${aws[@]}" s3api list-objects-v2 --bucket "$bucket" --prefix data/ --query 'length(Contents)' --output text)"
[ "$count" = 200 ] || fail "listing shows $count objects, not 200"
multipart="$("${aws[@]}" s3api head-object --bucket "$bucket" --key data/obj-198 --query ETag --output text)"
[[ "$multipart" == *-* ]] || fail "obj-198 (20 MiB) was not a multipart upload (ETag $multipart)"
"${aws[@]}" s3 sync --only-show-errors "s3://$bucket/data/" "$work/down" || fail "awscli download"
(cd "$work/up" && sha256sum obj-*) > "$work/up.sum"
(cd "$work/down" && sha256sum -c --quiet "$work/up.sum") || fail "downloaded objects differ from the uploaded ones"
ok "awscli: 200 objects ($(du -sm "$work/up" | cut -f1) MiB, 2 multipart) up in ${ms} ms, listed, downloaded, checksums equal"

# s3cmd and rclone, each round-tripping one object and listing the bucket.
s3c=(s3cmd --no-check-md5 --host="$host" --host-bucket="$host" --ssl --ca-certs="$ca" --access_key="$key" --secret_key="$secret" -c /dev/null)
"${s3c[@]}" put -q "$work/up/obj-000" "s3://$bucket/s3cmd/obj" && "${s3c[@]}" get -q "s3://$bucket/s3cmd/obj" "$work/s3cmd.obj" \
  && cmp -s "$work/up/obj-000" "$work/s3cmd.obj" || fail "s3cmd round trip"
[ "$("${s3c[@]}" ls "s3://$bucket/data/" | wc -l)" = 200 ] || fail "s3cmd lists another number of objects than 200"
ok "s3cmd: put, get, ls"
export RCLONE_CONFIG_SITE_TYPE=s3 RCLONE_CONFIG_SITE_PROVIDER=SeaweedFS RCLONE_CONFIG_SITE_ENDPOINT="$url" \
  RCLONE_CONFIG_SITE_ACCESS_KEY_ID="$key" RCLONE_CONFIG_SITE_SECRET_ACCESS_KEY="$secret" RCLONE_CONFIG=/dev/null
rc=(env -u AWS_PROFILE -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_CA_BUNDLE SSL_CERT_FILE="$ca" rclone -q)
# rclone 1.60 cannot load a custom CA bundle for S3 (--ca-cert, AWS_CA_BUNDLE or a profile's ca_bundle:
# LoadCustomCABundleError); Go reads SSL_CERT_FILE instead.
"${rc[@]}" copyto "$work/up/obj-001" "site:$bucket/rclone/obj" && "${rc[@]}" copyto "site:$bucket/rclone/obj" "$work/rclone.obj" \
  && cmp -s "$work/up/obj-001" "$work/rclone.obj" || fail "rclone round trip"
[ "$("${rc[@]}" lsf "site:$bucket/data/" | wc -l)" = 200 ] || fail "rclone lists another number of objects than 200"
ok "rclone: copyto both ways, lsf"

# Refusals: anonymous, plaintext, a wrong secret.
code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$url/$bucket/data/obj-000")"
[ "$code" = 403 ] || fail "an anonymous GET answered $code, not 403"
code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$url/")"
[ "$code" = 403 ] || fail "an anonymous ListBuckets answered $code, not 403"
plain="$(curl -s -m 5 "http://$hostport/$bucket/data/" || true)"
code="$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$hostport/" || true)"
[[ "$plain" != *ListBucketResult* && "$code" != 200 ]] || fail "plaintext HTTP was served on $hostport (HTTP $code)"
env -u AWS_PROFILE AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID="$key" \
  AWS_SECRET_ACCESS_KEY=wrong-secret-wrong-secret /usr/bin/aws --region us-east-1 --endpoint-url "$url" --ca-bundle "$ca" \
  s3 ls "s3://$bucket" >/dev/null 2>&1 && fail "a wrong secret was accepted"
ok "anonymous GET and ListBuckets 403, plaintext HTTP not served, a wrong secret refused"

# From a node: gRPC without a client certificate, and the filer's HTTP port without a token.
node="$(ansible-inventory -i "$inv" --list | python3 -c 'import json,sys; print(json.load(sys.stdin)["control_plane"]["hosts"][0])')"
probe="$(ANSIBLE_NOCOLOR=1 ansible -i "$inv" "$node" -o -m ansible.builtin.script -a "$(dirname "$0")/node_probe.py executable=python3" 2>&1)" \
  || fail "node probe: $probe"
for want in "master grpc: refused without a client certificate" "filer http: 401" "volume http: 401"; do
  [[ "$probe" == *"$want"* ]] || fail "node probe did not find '$want': $probe"
done
ok "from $node: gRPC refused without a client certificate; filer and volume HTTP refuse unsigned reads (401)"

# A read-only identity made with metalstore.platform.s3_identity: reads and lists, writes refused.
AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" ANSIBLE_NOCOLOR=1 ansible localhost -o -m metalstore.platform.s3_identity \
  -a "{\"name\": \"$bucket-reader\", \"endpoint_url\": \"$url\", \"ca_bundle\": \"$ca\", \"secret_file\": \"$work/reader\",
      \"permissions\": [{\"bucket\": \"$bucket\", \"actions\": [\"Read\", \"List\"]}]}" > "$work/module" 2>&1 \
  || { cat "$work/module" >&2; fail "metalstore.platform.s3_identity could not create the reader"; }
reader=(env -u AWS_PROFILE AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE="$work/reader" AWS_PROFILE="$bucket-reader"
        /usr/bin/aws --region us-east-1 --endpoint-url "$url" --ca-bundle "$ca")
"${reader[@]}" s3 cp "s3://$bucket/data/obj-005" "$work/reader.obj" --only-show-errors && cmp -s "$work/up/obj-005" "$work/reader.obj" \
  || fail "the read-only identity could not read"
"${reader[@]}" s3 cp "$work/up/obj-005" "s3://$bucket/reader/obj" --only-show-errors 2> "$work/reader.err" \
  && fail "the read-only identity could write"
grep -q AccessDenied "$work/reader.err" || fail "the read-only identity's write failed otherwise: $(cat "$work/reader.err")"
AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" ANSIBLE_NOCOLOR=1 ansible localhost -o -m metalstore.platform.s3_identity \
  -a "name=$bucket-reader endpoint_url=$url ca_bundle=$ca state=absent" > "$work/module" 2>&1 || fail "removing the reader"
ok "metalstore.platform.s3_identity: a read-only identity reads, its write is refused (AccessDenied); removed"

# Clean up through the module: force deletes every object version first (the engine refuses non-empty buckets).
AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" ANSIBLE_NOCOLOR=1 ansible localhost -o -m metalstore.platform.bucket \
  -a "name=$bucket endpoint_url=$url ca_bundle=$ca state=absent force=true" > "$work/module" 2>&1 \
  || { cat "$work/module" >&2; fail "metalstore.platform.bucket could not delete $bucket"; }
ok "metalstore.platform.bucket deleted $bucket and its $(python3 -c 'import json,sys; t=open(sys.argv[1]).read(); print(json.loads(t[t.index("{"):]).get("objects_deleted"))' "$work/module") object versions"
