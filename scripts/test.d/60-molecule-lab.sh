#!/usr/bin/env bash
# The local lab and molecule on it: lab CLI validation (pytest), bad input refused before anything exists,
# the lab's life cycle for real (tests/lab/test_lifecycle.py: two labs side by side, Ansible ping, no-op re-up,
# collision refused, complete and reported teardown), then every scenario under extensions/molecule/
# (create → converge → idempotence → verify → destroy).
# Installs podman & co. and builds the offline node image first when missing (cached per recipe under
# /var/cache/metalstore). MOLECULE_SCENARIOS="a b" limits the run. LAB_TEST_PREFIX (default ci) and
# LAB_TEST_SUBNETS (two /24s, default 10.213.250.0/24 10.213.251.0/24) name this stage's own labs.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
[ "$(id -u)" = 0 ] || { echo "skipped: the lab needs root (rootful podman, loop devices)" >&2; exit 77; }
# ansible-compat refuses to run while the deprecated plural variable is set.
unset ANSIBLE_COLLECTIONS_PATHS
set -o pipefail

BAD="${LAB_TEST_PREFIX:-ci}-bad-input"

log "lab CLI validation"
python -m pytest -q -p no:cacheprovider tests/lab/test_plan.py || exit 1

log "bad input fails before anything is created"
host_net="$(ip -4 -o addr show scope global | awk '{print $4; exit}')"
if [ -n "$host_net" ]; then
  host_net="$(python -c 'import ipaddress, sys; print(ipaddress.ip_interface(sys.argv[1]).network)' "$host_net")"
  if out="$(lab/labctl up --name "$BAD" --subnet "$host_net" 2>&1)"; then
    echo "FAIL: lab up on the host's own network $host_net succeeded" >&2; lab/labctl down --name "$BAD"; exit 1
  fi
  grep -q "collides with" <<<"$out" || { echo "FAIL: unclear message: $out" >&2; exit 1; }
  echo "ok: $out"
fi
if out="$(lab/labctl up --name "$BAD" --subnet 10.213.250.0/29 --nodes 2 2>&1)"; then
  echo "FAIL: 2 nodes in a /29 accepted" >&2; lab/labctl down --name "$BAD"; exit 1
fi
grep -q "do not fit" <<<"$out" || { echo "FAIL: unclear message: $out" >&2; exit 1; }
echo "ok: $out"
if [ -e ".build/lab/$BAD" ] || { lab/bin/podman network exists "$BAD-net" 2>/dev/null; }; then
  echo "FAIL: refused lab left something behind" >&2; exit 1
fi

lab/labctl image >/dev/null || exit 1
# Scenarios that install from the bundle (prepare) read it from METALSTORE_BUNDLE_DIR (built by stage 50; cached).
METALSTORE_BUNDLE_DIR="$(python3 bundle/build.py)" || exit 1
export METALSTORE_BUNDLE_DIR
log "lab life cycle: two labs, ping, no-op re-up, collision refused, teardown complete"
LAB_LIFECYCLE=1 python -m pytest -q -p no:cacheprovider -o console_output_style=classic tests/lab/test_lifecycle.py \
  || exit 1
scenarios="${MOLECULE_SCENARIOS:-$(cd extensions/molecule && for d in */molecule.yml; do dirname "$d"; done)}"
rc=0
for s in $scenarios; do
  log "molecule test -s $s"
  molecule test -s "$s" || rc=1
done
exit $rc
