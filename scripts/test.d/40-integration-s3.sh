#!/usr/bin/env bash
# Module integration tests (tests/integration/targets/) against two independent S3 implementations: a real SeaweedFS
# on loopback (ansible-core 2.21; the bucket target also on 2.19 when .venv-2.19 exists: the modules share their
# framework, so the older core runs the target that exercises all of it) and Ceph's radosgw from Debian on loopback
# (2.21; the identity modules, which need SeaweedFS's IAM API, against SeaweedFS only), with per-engine expectations where the engines legitimately differ (tests/integration/targets/bucket).
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
rc=0
run_target() {  # run_target ENGINE "SERVER_SCRIPT [ARGS]" TARGETS VENV[:TARGETS]...   TARGETS: ansible-test aliases or
  # target names, e.g. "s3/ seaweedfs/"; a venv's own TARGETS (after a colon) replace them for that venv
  local engine=$1 server=$2 targets=$3 work venv spec only; shift 3
  work="$(mktemp -d "$BUILD/tmp/$engine.XXXXXX")"
  # shellcheck disable=SC2086  # SERVER_SCRIPT [ARGS]
  if ! python $server start "$work" --config tests/integration/integration_config.yml; then
    rc=1; rm -rf "$work"; return
  fi
  for spec in "$@"; do
    venv="${spec%%:*}" only="$targets"
    [ "$spec" = "$venv" ] || only="${spec#*:}"
    [ -x "$venv/bin/ansible-test" ] || continue
    log "integration against $engine with ansible-core $("$venv/bin/python" -c "import ansible.release as r; print(r.__version__)")"
    # shellcheck disable=SC2086  # TARGETS
    scripts/ansible-test.sh --venv "$venv" integration --local $only || rc=1
  done
  # shellcheck disable=SC2086
  python $server stop "$work"
  rm -rf "$work"
}
# --cloud: a second SeaweedFS (S3), Azurite (Azure, HTTPS) and fake-gcs-server (GCS; built once from its Go module into
# the machine's cache) as the clouds of the cloud-location modules (target location).
run_target seaweedfs "tests/seaweedfs_server.py --cloud" "s3/ seaweedfs/" "$ROOT/.venv" "$ROOT/.venv-2.19:bucket"
# The engine's cloud workers (replication, write-back) with the role's configuration, on loopback: two locations at
# once, deletes copied or not, a cloud outage of a minute, a rotated key, a bucket placed on GCS
# (tests/connectors/test_workers.py).
log "cloud workers on loopback (SeaweedFS, a second SeaweedFS as the S3 cloud, Azurite, fake-gcs-server)"
(cd "$COLLECTIONS" && python -m pytest -q -p no:cacheprovider -o console_output_style=classic -s \
  "$ROOT/tests/connectors") || rc=1
apt_need ceph-common ceph-mon ceph-osd radosgw
run_target radosgw tests/radosgw_server.py "s3/" "$ROOT/.venv"
exit $rc
