#!/usr/bin/env bash
# Secrets never printed, even at -vvv: run the cloud-location life cycle (create, rotate, a placed bucket, info,
# removal) with the S3 cloud's, Azurite's and a GCS service account's keys at the highest verbosity, then search the
# whole output for each secret, also base64-encoded (for the GCS key: a line of its private key). The playbook's own asserts make sure the tasks really ran and used the keys.
set -euo pipefail
config="$(cd ../.. && pwd)/integration_config.yml"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
ANSIBLE_NOCOLOR=1 ansible-playbook -vvv -i localhost, -c local secrets.yml -e "@$config" > "$out" 2>&1 \
  || { tail -80 "$out"; echo "FAIL: the playbook failed" >&2; exit 1; }
grep -q "PLAY RECAP" "$out" && grep -q "<127.0.0.1> EXEC\|<localhost> EXEC" "$out" \
  || { echo "FAIL: no -vvv output to search" >&2; exit 1; }
leaks=0
for var in cloud_s3_secret_key cloud_s3_ro_secret_key azure_key gcs_credentials; do
  secret="$(python3 -c 'import json, sys, yaml; v = yaml.safe_load(open(sys.argv[1]))[sys.argv[2]]
print(json.load(open(v))["private_key"].split("\n")[2] if sys.argv[2] == "gcs_credentials" else v)' "$config" "$var")"
  [ ${#secret} -ge 16 ] || { echo "FAIL: $var is too short to search for" >&2; exit 1; }
  for form in "$secret" "$(printf %s "$secret" | base64 -w0)"; do
    if grep -qF -- "$form" "$out"; then echo "FAIL: $var appears in the -vvv output" >&2; leaks=1; fi
  done
done
[ $leaks = 0 ] && echo "ok: no secret in $(wc -l < "$out") lines of -vvv output"
exit $leaks
