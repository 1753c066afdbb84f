#!/usr/bin/env bash
# Run every test stage in scripts/test.d/ (in name order), keep going after a failure, print a summary.
#   scripts/test.sh                 all stages
#   scripts/test.sh lint units      only stages whose name contains one of the words
# Each stage is a small executable script; exit 0 = passed, 77 = skipped (with a reason on stderr).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
use_venv

passed=0 failed=0 skipped=0 failures=() timings=()
for stage in scripts/test.d/*.sh; do
  name="$(basename "$stage" .sh)"
  if [ $# -gt 0 ]; then
    match=0; for w in "$@"; do [[ "$name" == *"$w"* ]] && match=1; done
    [ $match = 1 ] || continue
  fi
  log "stage $name"
  start=$(date +%s)
  bash "$stage"; rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0) passed=$((passed + 1)); timings+=("  ok      ${secs}s  $name") ;;
    77) skipped=$((skipped + 1)); timings+=("  skipped ${secs}s  $name") ;;
    *) failed=$((failed + 1)); failures+=("$name"); timings+=("  FAILED  ${secs}s  $name (exit $rc)") ;;
  esac
done
printf '\nStage summary:\n'; printf '%s\n' "${timings[@]}"
echo "stages: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
