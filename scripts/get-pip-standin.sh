#!/usr/bin/env bash
# ansible-test downloads get-pip.py to bootstrap pip in the venvs it makes; that host is unreachable
# offline. It accepts a cached stand-in, so write one that installs pip from the ensurepip wheel.
set -euo pipefail
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for v in 24_2 25_2 25_3 26_0; do
  f="$cache/get_pip_$v.py"
  [ -s "$f" ] && grep -q metalstore-standin "$f" && continue
  cat > "$f" <<'PY'
# metalstore-standin: install pip from the wheel bundled with ensurepip (no network needed).
import sys, ensurepip, runpy
sys.argv = [sys.argv[0], "--upgrade", "--default-pip"] if "--help" not in sys.argv else sys.argv
ensurepip._main(["--upgrade", "--default-pip"])
PY
done
