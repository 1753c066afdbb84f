#!/usr/bin/env bash
# Lab nodes are offline (like a dark site): build a flat, trusted apt repository holding the Debian 12 packages
# the prepare roles install, plus the dependencies the node image lacks, from the controller's apt mirror.
#   lab-debs.sh OUT_TARBALL PACKAGE...
# Cached by package list; the tarball is pushed into nodes by lab/playbooks/packages.yml and used through
# prerequisites_apt_repositories, the same variable a real dark site points at its local mirror.
set -euo pipefail
out="${1:?usage: lab-debs.sh OUT_TARBALL PACKAGE...}"; shift
here="$(cd "$(dirname "$0")" && pwd)"
image_list="$here/../node-image/packages.txt"
stamp="$( (printf '%s\n' "$@" | sort; cat "$image_list" "$0" 2>/dev/null) | sha256sum | cut -c1-16)"
if [ -s "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
if ! apt-cache show "$@" >/dev/null 2>&1; then apt-get update -qq; fi
# Resolve like apt would for a node built from minbase + packages.txt: first alternative, no recommends.
/usr/bin/python3 - "$image_list" "$@" > "$work/list" <<'PY'
import sys
import apt
cache = apt.Cache()
def real(name):
    if name in cache:
        return name
    providers = cache.get_providing_packages(name)
    return providers[0].name if providers else None
def closure(roots, have=frozenset()):
    chosen, todo = set(), list(roots)
    while todo:
        name = real(todo.pop())
        if not name or name in chosen or name in have:
            continue
        chosen.add(name)
        cand = cache[name].candidate
        for dep in cand.get_dependencies("PreDepends", "Depends"):
            names = [real(o.name) for o in dep.or_dependencies]
            if any(n and (n in chosen or n in have) for n in names):
                continue
            first = next((n for n in names if n), None)
            if first:
                todo.append(first)
    return chosen
image = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.lstrip().startswith("#")]
# Only what the image surely has: its listed packages and the required ones, not the closure the host's resolver
# would pick for them (debootstrap resolves differently; a dependency assumed present would be missing, e.g.
# libperl5.36 for keepalived's libsnmp40). A package that is already installed is simply not reinstalled.
base = set(image) | {p.name for p in cache if p.candidate and p.candidate.priority == "required"}
print("\n".join(sorted(closure(sys.argv[2:], base))))
PY
mkdir -p "$work/debs"
mapfile -t pkgs < "$work/list"
(cd "$work/debs" && apt-get download -qq "${pkgs[@]}" 2>/dev/null >/dev/null)
(cd "$work/debs" && dpkg-scanpackages -m . /dev/null 2>/dev/null > Packages)
mkdir -p "$(dirname "$out")"
tar -C "$work/debs" -cf "$out.tmp" . && mv "$out.tmp" "$out"
echo "$stamp" > "$out.stamp"
echo "lab-debs: ${#pkgs[@]} packages, $(du -h "$out" | cut -f1)" >&2
