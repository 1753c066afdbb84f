#!/usr/bin/env bash
# Benchmark of the main job (docs/performance.md; not a test: it measures and prints): `make lab-deploy` from
# nothing (lab down first; the bundle, the lab node image and the venv are whatever the caches hold), then its no-op
# rerun (the same make target) BENCH_RERUNS times (default 3), each required to report changed=0 on every host. Prints each time and the
# median of the reruns, with the machine's load average (the lab's nodes share the CPUs with the controller).
#   bash tests/benchmarks/lab_deploy.sh            BENCH_SKIP_DEPLOY=1: only the reruns, on the running lab
. "$(dirname "$0")/../../scripts/lib.sh" && cd "$ROOT" && use_venv
set -o pipefail
[ "$(id -u)" = 0 ] || { echo "the lab needs root" >&2; exit 1; }
out="$(mktemp -d "$BUILD/tmp/deploy-bench.XXXXXX")"
secs() { python3 -c 'import sys; print(f"{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.1f}")' "$@"; }
if [ -z "${BENCH_SKIP_DEPLOY:-}" ]; then
  make --no-print-directory lab-down >/dev/null 2>&1 || true
  start=$(date +%s%N)
  make --no-print-directory lab-deploy > "$out/deploy.log" 2>&1 || { tail -40 "$out/deploy.log" >&2; echo "FAIL: make lab-deploy" >&2; exit 1; }
  echo "make lab-deploy from nothing: $(secs "$start" "$(date +%s%N)") s"
fi
times=()
for i in $(seq "${BENCH_RERUNS:-3}"); do
  start=$(date +%s%N)
  # The whole make target: venv check, bundle cache check, lab-up (running), the playbook.
  ANSIBLE_NOCOLOR=1 make --no-print-directory lab-deploy > "$out/rerun.log" 2>&1 \
    || { tail -40 "$out/rerun.log" >&2; echo "FAIL: rerun $i" >&2; exit 1; }
  t="$(secs "$start" "$(date +%s%N)")"
  if grep -E '^\S+ +: ok=' "$out/rerun.log" | grep -vq ' changed=0 '; then
    grep -E '^\S+ +: ok=' "$out/rerun.log" >&2; echo "FAIL: rerun $i changed something" >&2; exit 1
  fi
  times+=("$t"); echo "no-op rerun $i: $t s (changed=0; load average $(cut -d' ' -f1-3 /proc/loadavg))"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "no-op rerun median: " a[int((NR+1)/2)] " s over " NR " runs"}'
rm -rf "$out"
