# Shared helpers for the repo's scripts. Source it; it sets ROOT and a few paths.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/.build"
COLLECTIONS="$BUILD/collections"
ANSIBLE_WHEEL_VERSION="${ANSIBLE_WHEEL_VERSION:-14.5.0}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# apt_need PKG... -> installs from Debian's archive those not installed yet (a fresh CI machine has none of them).
apt_need() {
  local p need=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# find_python 3.12 -> path of an interpreter of that minor version (pyenv-aware, never a shim).
find_python() {
  local want="$1" p
  for p in "$(command -v "python$want" 2>/dev/null)" /root/.pyenv/versions/"$want".*/bin/"python$want" \
           /usr/local/bin/"python$want" /usr/bin/"python$want"; do
    [ -n "$p" ] && [ -x "$p" ] || continue
    if PYENV_VERSION="$(basename "$(dirname "$(dirname "$p")")")" "$p" -c \
        "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'" 2>/dev/null; then
      # Resolve pyenv shims to the real interpreter so venvs do not depend on pyenv state.
      PYENV_VERSION="$(basename "$(dirname "$(dirname "$p")")")" "$p" -c 'import sys; print(sys.executable)' 2>/dev/null && return 0
    fi
  done
  return 1
}

# Activate a venv made by setup.sh and point Ansible at the repo's collection tree.
use_venv() {
  local venv="${1:-$ROOT/.venv}"
  [ -x "$venv/bin/ansible" ] || die "$venv is missing: run 'make setup' first"
  # shellcheck disable=SC1091
  . "$venv/bin/activate"
  export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
  export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
  export ANSIBLE_ROLES_PATH="$ROOT/roles"
  export ANSIBLE_LOCAL_TEMP="$BUILD/tmp"
  export ANSIBLE_HOME="$BUILD/ansible-home"
  export PATH="$venv/bin:$PATH"
  mkdir -p "$ANSIBLE_LOCAL_TEMP" "$ANSIBLE_HOME"
}
