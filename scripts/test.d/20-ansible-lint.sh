#!/usr/bin/env bash
# ansible-lint, production profile, offline (config: .ansible-lint).
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
exec ansible-lint --offline --profile production
