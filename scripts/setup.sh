#!/usr/bin/env bash
# Set up everything the repo needs on a fresh machine: venv(s), Python packages and the dependency
# collections, placed so ansible-playbook, ansible-lint and ansible-test all find them. Idempotent.
#   scripts/setup.sh            newest ansible-core (2.21, Python 3.12) in .venv
#   scripts/setup.sh compat     also ansible-core 2.19 (Python 3.11) in .venv-2.19
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

make_venv() {  # make_venv DIR PYTHON_MINOR ANSIBLE_CORE_SPEC
  local dir="$1" minor="$2" core="$3" py stamp
  stamp="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-$core"
  if [ -f "$dir/.metalstore-stamp" ] && [ "$(cat "$dir/.metalstore-stamp")" = "$stamp" ]; then
    log "$dir is up to date"; return 0
  fi
  py="$(find_python "$minor")" || die "Python $minor not found (needed for ansible-core $core)"
  log "creating $dir with $py and ansible-core $core"
  "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --upgrade pip
  "$dir/bin/python" -m pip install -q "ansible-core$core" -r requirements-dev.txt
  echo "$stamp" > "$dir/.metalstore-stamp"
}

install_collections() {
  # Galaxy is unreachable on dark sites and here; the `ansible` wheel on PyPI bundles the collections we
  # need. Unzip only those. With internet, `ansible-galaxy collection install -r requirements.yml` works too.
  local tree="$COLLECTIONS/ansible_collections" cache="$BUILD/cache" wheel
  mkdir -p "$tree/metalstore" "$cache"
  wheel="$cache/ansible-$ANSIBLE_WHEEL_VERSION-py3-none-any.whl"
  if [ ! -s "$tree/amazon/aws/MANIFEST.json" ] || [ ! -f "$tree/.from-$ANSIBLE_WHEEL_VERSION" ]; then
    [ -s "$wheel" ] || "$ROOT/.venv/bin/python" -m pip download -q --no-deps -d "$cache" "ansible==$ANSIBLE_WHEEL_VERSION"
    log "unpacking dependency collections from ansible $ANSIBLE_WHEEL_VERSION"
    (cd "$COLLECTIONS" && "$ROOT/.venv/bin/python" - "$wheel" <<'PY'
import sys, zipfile
wanted = ("amazon/aws", "community/aws", "ansible/posix", "community/crypto", "community/general",
          "community/library_inventory_filtering_v1", "kubernetes/core", "containers/podman")
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if any(n.startswith(f"ansible_collections/{w}/") for w in wanted):
            z.extract(n, ".")
PY
    )
    touch "$tree/.from-$ANSIBLE_WHEEL_VERSION"
  fi
  ln -sfn "$ROOT" "$tree/metalstore/platform"
  # Prove the standard command is satisfied by what is installed (it must not need the network).
  for req in requirements.yml tests/requirements.yml; do
    "$ROOT/.venv/bin/ansible-galaxy" collection install -r "$req" -p "$COLLECTIONS" --offline >/dev/null 2>&1 \
      || "$ROOT/.venv/bin/ansible-galaxy" collection list -p "$COLLECTIONS" >/dev/null
  done
}

make_venv "$ROOT/.venv" 3.12 ">=2.21,<2.22"
if [ "${1:-}" = compat ]; then
  make_venv "$ROOT/.venv-2.19" 3.11 ">=2.19,<2.20"
fi
install_collections
mkdir -p "$BUILD/tmp" "$BUILD/facts"
log "setup complete"
