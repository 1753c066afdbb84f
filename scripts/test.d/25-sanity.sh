#!/usr/bin/env bash
# ansible-test sanity on every ansible-core venv that exists (2.21, and 2.19 when set up).
. "$(dirname "$0")/../lib.sh" && cd "$ROOT"
rc=0
for venv in "$ROOT/.venv" "$ROOT/.venv-2.19"; do
  [ -x "$venv/bin/ansible-test" ] || continue
  log "sanity with $venv"
  scripts/ansible-test.sh --venv "$venv" sanity --requirements || rc=1
done
exit $rc
