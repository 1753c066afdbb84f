#!/usr/bin/env bash
# Offline bundle (docs/bundle.md): build from Go modules (cached under /var/cache/metalstore; cold ≈ 20 min, cached
# seconds), verify its manifest, the builder's bad-input tests (tests/bundle/test_builder.py) and the from-upstream
# playbook run for real against loopback stand-ins (tests/bundle/test_upstream.py: http.server + Debian's
# docker-registry, images via skopeo). Later lab stages use the bundle this stage built.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
set -euo pipefail
unset ANSIBLE_COLLECTIONS_PATHS  # ansible-lint/ansible 2.21 warn about the deprecated plural

apt_need skopeo docker-registry

t0=$(date +%s)
BUNDLE_DIR="$(python3 bundle/build.py)"
[ -f "$BUNDLE_DIR/manifest.json" ] || { echo "FAIL: the builder printed '$BUNDLE_DIR', not a bundle path" >&2; exit 1; }
log "from-source bundle: $BUNDLE_DIR ($(( $(date +%s) - t0 ))s)"
t0=$(date +%s)
python3 bundle/bundlectl.py verify --quiet "$BUNDLE_DIR"
log "manifest verified in $(( $(date +%s) - t0 ))s"
# The commit each binary must report is the proxy's record of the release (.info Origin.Hash); some releases'
# records carry none (both k8s.io/kubernetes 1.36 releases on 2026-12-02), then the binaries say "unknown" (docs/bundle.md).
GOMODCACHE="$(python3 -c 'import os,sys; sys.path.insert(0, "bundle"); import recipe; print(os.path.join(recipe.GO_CACHE, "mod"))')"
for v in $(python3 -c 'import json,sys; print(*json.load(open(sys.argv[1]))["kubernetes_versions"])' "$BUNDLE_DIR/manifest.json"); do
  want="$(python3 -c 'import json,sys; print((json.load(open(sys.argv[1])).get("Origin") or {}).get("Hash") or "unknown")' \
    "$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/$v.info")"
  got="$("$BUNDLE_DIR/bin/$v/kubeadm" version -o short) $("$BUNDLE_DIR/bin/$v/kubectl" version --client -o json |
    python3 -c 'import json,sys; c=json.load(sys.stdin)["clientVersion"]; print(c["gitVersion"], c["gitCommit"])')"
  [ "$got" = "$v $v $want" ] || { echo "FAIL: kubeadm/kubectl of $v report '$got' (want '$v $v $want')" >&2; exit 1; }
  echo "ok: kubeadm and kubectl of $v report $v and the proxy's commit record ($want)"
done
export BUNDLE_DIR
exec pytest -q -p no:cacheprovider -o console_output_style=classic --durations=5 tests/bundle
