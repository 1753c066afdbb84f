#!/usr/bin/env bash
# Offline Kubernetes bundle (docs/bundle.md): build from source (cached in /var/cache/metalstore/bundle; cold
# ≈ 10–15 min, cached seconds), verify its manifest, format/bad-input unit tests, and the from-upstream playbook
# run for real against loopback stand-ins (http.server + Debian's docker-registry, images via skopeo).
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
set -euo pipefail
unset ANSIBLE_COLLECTIONS_PATHS  # ansible-lint/ansible 2.21 warn about the deprecated plural

need=()
for p in skopeo docker-registry; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

t0=$(date +%s)
BUNDLE_DIR="$(bundle/build-from-source.sh)"
[ -f "$BUNDLE_DIR/manifest.json" ] || { echo "FAIL: the builder printed '$BUNDLE_DIR', not a bundle path" >&2; exit 1; }
log "from-source bundle: $BUNDLE_DIR ($(( $(date +%s) - t0 ))s)"
t0=$(date +%s)
python3 bundle/bundlectl.py verify --quiet "$BUNDLE_DIR"
log "manifest verified in $(( $(date +%s) - t0 ))s"
export BUNDLE_DIR
exec pytest -q -p no:cacheprovider -o console_output_style=classic --durations=5 tests/bundle
