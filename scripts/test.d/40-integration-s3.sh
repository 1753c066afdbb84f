#!/usr/bin/env bash
# Module integration tests (tests/integration/targets/) against a real SeaweedFS on loopback,
# with ansible-core 2.21 and, when .venv-2.19 exists, 2.19 too.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
work="$(mktemp -d "$BUILD/tmp/seaweedfs.XXXXXX")"
trap 'python tests/seaweedfs_server.py stop "$work"; rm -rf "$work"' EXIT
python tests/seaweedfs_server.py start "$work" --config tests/integration/integration_config.yml || exit 1
rc=0
for venv in "$ROOT/.venv" "$ROOT/.venv-2.19"; do
  [ -x "$venv/bin/ansible-test" ] || continue
  log "integration with ansible-core $("$venv/bin/python" -c "import ansible.release as r; print(r.__version__)")"
  scripts/ansible-test.sh --venv "$venv" integration --local seaweedfs/ || rc=1
done
exit $rc
