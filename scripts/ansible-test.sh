#!/usr/bin/env bash
# Run ansible-test on a copy of the checkout laid out as ansible-test demands
# (<root>/ansible_collections/metalstore/platform, dependencies as siblings).
#   scripts/ansible-test.sh [--venv DIR] sanity|units|integration ARGS...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv="$ROOT/.venv"
if [ "${1:-}" = --venv ]; then venv="$2"; shift 2; fi
use_venv "$venv"
pyver="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
tag="$(basename "$venv")"
# Outside the checkout: ansible-test walks up from the copy and would find this repo's .git.
tree="${XDG_CACHE_HOME:-$HOME/.cache}/metalstore/ansible-test/$(printf %s "$ROOT" | sha256sum | cut -c1-12)-$tag/ansible_collections"
dest="$tree/metalstore/platform"
mkdir -p "$dest"
for dep in "$COLLECTIONS"/ansible_collections/*/*; do
  ns="$(basename "$(dirname "$dep")")"; name="$(basename "$dep")"
  [ "$ns/$name" = metalstore/platform ] && continue
  mkdir -p "$tree/$ns"; ln -sfn "$dep" "$tree/$ns/$name"
done
# Copy what git knows about (tracked + untracked-not-ignored), so the copy matches what CI sees.
# tests/output/ (ansible-test's own cache) survives between runs.
find "$dest" -mindepth 1 -maxdepth 1 -not -name tests -exec rm -rf {} +
find "$dest/tests" -mindepth 1 -maxdepth 1 -not -name output -exec rm -rf {} + 2>/dev/null || true
(cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 -r ls -d 2>/dev/null | tr '\n' '\0' \
  | tar --null -T - -cf -) | tar -C "$dest" -xf -
[ -d "$ROOT/tests/integration" ] && [ -f "$ROOT/tests/integration/integration_config.yml" ] \
  && cp "$ROOT/tests/integration/integration_config.yml" "$dest/tests/integration/"
# ansible-test bootstraps pip with a script it downloads; offline, hand it one built from ensurepip.
"$(dirname "$0")/get-pip-standin.sh"
cd "$dest"
cmd="$1"; shift
exec ansible-test "$cmd" --python "$pyver" --color no "$@"
