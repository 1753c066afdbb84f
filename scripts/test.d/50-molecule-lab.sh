#!/usr/bin/env bash
# The local lab and molecule on it: lab CLI validation (pytest), bad input refused before anything exists,
# then every scenario under extensions/molecule/ (create → converge → idempotence → verify → destroy).
# Installs podman & co. and builds the offline node image first when missing (cached per recipe under
# /var/cache/metalstore). MOLECULE_SCENARIOS="a b" limits the run.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
[ "$(id -u)" = 0 ] || { echo "skipped: the lab needs root (rootful podman, loop devices)" >&2; exit 77; }
# ansible-compat refuses to run while the deprecated plural variable is set.
unset ANSIBLE_COLLECTIONS_PATHS
set -o pipefail

log "lab CLI validation"
python -m pytest -q -p no:cacheprovider tests/lab || exit 1

log "bad input fails before anything is created"
host_net="$(ip -4 -o addr show scope global | awk '{print $4; exit}')"
if [ -n "$host_net" ]; then
  host_net="$(python -c 'import ipaddress, sys; print(ipaddress.ip_interface(sys.argv[1]).network)' "$host_net")"
  if out="$(lab/labctl up --name ci-bad-input --subnet "$host_net" 2>&1)"; then
    echo "FAIL: lab up on the host's own network $host_net succeeded" >&2; lab/labctl down --name ci-bad-input; exit 1
  fi
  grep -q "collides with" <<<"$out" || { echo "FAIL: unclear message: $out" >&2; exit 1; }
  echo "ok: $out"
fi
if out="$(lab/labctl up --name ci-bad-input --subnet 10.213.250.0/29 --nodes 2 2>&1)"; then
  echo "FAIL: 2 nodes in a /29 accepted" >&2; lab/labctl down --name ci-bad-input; exit 1
fi
echo "ok: $out"
if [ -e .build/lab/ci-bad-input ] || { lab/bin/podman network exists ci-bad-input-net 2>/dev/null; }; then
  echo "FAIL: refused lab left something behind" >&2; exit 1
fi

lab/labctl image >/dev/null || exit 1
scenarios="${MOLECULE_SCENARIOS:-$(cd extensions/molecule && for d in */molecule.yml; do dirname "$d"; done)}"
rc=0
for s in $scenarios; do
  log "molecule test -s $s"
  molecule test -s "$s" || rc=1
done
exit $rc
