#!/usr/bin/env bash
# YAML style for everything in the repo (config: .yamllint).
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
exec yamllint --strict .
