#!/usr/bin/env bash
# Unit tests (tests/unit/, pure logic) with pytest, importing the collection from .build/collections,
# on every ansible-core venv that exists.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
rc=0
for venv in "$ROOT/.venv" "$ROOT/.venv-2.19"; do
  [ -x "$venv/bin/pytest" ] || continue
  log "unit tests with $("$venv/bin/python" --version)"
  (cd "$COLLECTIONS" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/unit") || rc=1
done
exit $rc
