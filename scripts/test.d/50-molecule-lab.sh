#!/usr/bin/env bash
# Molecule on the local lab: every scenario under extensions/molecule/ (create → converge → idempotence →
# verify → destroy). Installs podman & co. and builds the offline node image first when missing (cached
# per recipe under /var/cache/metalstore). MOLECULE_SCENARIOS="a b" limits the run.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
[ "$(id -u)" = 0 ] || { echo "skipped: the lab needs root (rootful podman, loop devices)" >&2; exit 77; }
# ansible-compat refuses to run while the deprecated plural variable is set.
unset ANSIBLE_COLLECTIONS_PATHS
lab/labctl image >/dev/null || exit 1
scenarios="${MOLECULE_SCENARIOS:-$(cd extensions/molecule && for d in */molecule.yml; do dirname "$d"; done)}"
rc=0
for s in $scenarios; do
  log "molecule test -s $s"
  molecule test -s "$s" || rc=1
done
exit $rc
