#!/usr/bin/env bash
# ansible-lint, production profile, offline (config: .ansible-lint).
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
# ansible-lint installs a copy of this collection into ANSIBLE_HOME on its first run and keeps using it: drop it, so
# the checkout itself is linted.
rm -rf "$ANSIBLE_HOME/collections/ansible_collections/metalstore"
exec ansible-lint --offline --profile production
