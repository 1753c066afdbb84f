"""From-upstream builder (playbooks/bundle_from_upstream.yml) run for real against loopback stand-ins.

A python http.server on 127.0.0.1 plays dl.k8s.io (Kubernetes binaries + .sha256) and GitHub's release downloads
(containerd, runc, CNI plugins and flannel's CNI plugin archives with their checksum files), all made from the
from-source bundle's files; Debian's docker-registry on 127.0.0.1 plays the image registries (populated from the
from-source bundle with skopeo). The resulting bundle must be interchangeable with the from-source one.
Needs BUNDLE_DIR (a from-source bundle), skopeo and docker-registry; scripts/test.d/50-bundle-build.sh sets it up.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLE_DIR = os.environ.get("BUNDLE_DIR")
BUNDLECTL = [sys.executable, os.path.join(ROOT, "bundle", "bundlectl.py")]
pytestmark = pytest.mark.skipif(not BUNDLE_DIR, reason="BUNDLE_DIR (a from-source bundle) not set")


sys.path.insert(0, os.path.join(ROOT, "tests"))
from portpick import free_ports  # noqa: E402  pylint: disable=wrong-import-position


def wait_http(url, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"stand-in for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tgz(dest, members):
    """members: {name in archive: source file}."""
    with tarfile.open(dest, "w:gz") as tar:
        for name, src in members.items():
            tar.add(src, arcname=name)


@pytest.fixture(scope="module")
def source_manifest():
    with open(os.path.join(BUNDLE_DIR, "manifest.json")) as f:
        return json.load(f)


def artifact(manifest, role, name=None):
    return next(a for a in manifest["artifacts"] if a["role"] == role and (name is None or a["name"] == name))


@pytest.fixture(scope="module")
def versions(source_manifest):
    m = source_manifest
    return {"containerd": artifact(m, "containerd")["version"], "runc": artifact(m, "runc")["version"],
            "cni": artifact(m, "cni-plugin", "cni-bridge")["version"], "flannel": artifact(m, "cni-plugin", "cni-flannel")["version"]}


@pytest.fixture(scope="module")
def file_server(tmp_path_factory, source_manifest, versions):
    """dl.k8s.io and GitHub release layouts under /good; /badsum has a wrong kubelet checksum."""
    root = tmp_path_factory.mktemp("files")
    src = {a["name"].removeprefix("cni-"): os.path.join(BUNDLE_DIR, a["path"])
           for a in source_manifest["artifacts"] if a["kind"] == "binary"}
    for variant in ("good", "badsum"):
        for v in source_manifest["kubernetes_versions"]:
            d = root / variant / "release" / v / "bin" / "linux" / "amd64"
            d.mkdir(parents=True)
            for b in ("kubeadm", "kubelet", "kubectl"):
                shutil.copy(src[f"{b}-{v}"], d / b)
                digest = sha256(d / b) if (variant == "good" or b != "kubelet") else "0" * 64
                (d / f"{b}.sha256").write_text(digest)
        gh = root / variant / "gh"
        c, r, n, f = versions["containerd"], versions["runc"], versions["cni"], versions["flannel"]
        rel = {"containerd": gh / "containerd/containerd/releases/download" / c,
               "runc": gh / "opencontainers/runc/releases/download" / r,
               "cni": gh / "containernetworking/plugins/releases/download" / n,
               "flannel": gh / "flannel-io/cni-plugin/releases/download" / f}
        for d in rel.values():
            d.mkdir(parents=True)
        ctd = rel["containerd"] / f"containerd-{c[1:]}-linux-amd64.tar.gz"
        tgz(ctd, {f"bin/{b}": src[b] for b in ("containerd", "containerd-shim-runc-v2", "ctr")})
        (rel["containerd"] / (ctd.name + ".sha256sum")).write_text(f"{sha256(ctd)}  {ctd.name}\n")
        shutil.copy(src["runc"], rel["runc"] / "runc.amd64")
        (rel["runc"] / "runc.sha256sum").write_text(f"{'1' * 64}  runc.arm64\n{sha256(src['runc'])}  runc.amd64\n")
        cni = rel["cni"] / f"cni-plugins-linux-amd64-{n}.tgz"
        tgz(cni, {f"./{p}": src[p] for p in ("bridge", "host-local", "loopback", "portmap")})
        (rel["cni"] / (cni.name + ".sha256")).write_text(f"{sha256(cni)}  {cni.name}\n")
        fl = rel["flannel"] / f"cni-plugin-flannel-linux-amd64-{f}.tgz"
        tgz(fl, {"./flannel-amd64": src["flannel"]})
        (rel["flannel"] / (fl.name + ".sha256")).write_text(f"{sha256(fl)}  {fl.name}\n")
    (port,), lock = free_ports(1)
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                             "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/", proc)
    lock.close()
    yield {v: {"kubernetes": f"{base}/{v}/release", "github": f"{base}/{v}/gh"} for v in ("good", "badsum")}
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def registry(tmp_path_factory, source_manifest):
    """Debian's docker-registry on loopback, holding the from-source images under their upstream paths."""
    root = tmp_path_factory.mktemp("registry")
    (port,), lock = free_ports(1)
    (root / "config.yml").write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {root}/data}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")],
                            stdout=open(root / "log", "w"), stderr=subprocess.STDOUT)
    mirror = f"127.0.0.1:{port}"
    wait_http(f"http://{mirror}/v2/", proc)
    lock.close()
    for a in source_manifest["artifacts"]:
        if a["kind"] == "image":
            path = a["image"].split("/", 1)[1]
            subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                            f"oci-archive:{os.path.join(BUNDLE_DIR, a['path'])}", f"docker://{mirror}/{path}"],
                           check=True)
    yield mirror
    proc.terminate()
    proc.wait(10)


def run_playbook(tmp_path, **extra):
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(extra))
    t0 = time.monotonic()
    r = subprocess.run(["ansible-playbook", os.path.join(ROOT, "playbooks", "bundle_from_upstream.yml"),
                        "-e", f"@{varfile}"], capture_output=True, text=True, cwd=ROOT, check=False)
    r.seconds = time.monotonic() - t0
    return r


@pytest.fixture
def base_vars(tmp_path, source_manifest, versions, file_server, registry):
    shared = [{"role": a["role"], "name": a["name"], "image": a["image"], "version": a["version"], "digest": a["digest"]}
              for a in source_manifest["artifacts"] if a["kind"] == "image" and not a.get("kubernetes_version")]
    return {"bundle_upstream_dest": str(tmp_path / "bundle"),
            "bundle_upstream_kubernetes_versions": source_manifest["kubernetes_versions"],
            "bundle_upstream_kubernetes_url": file_server["good"]["kubernetes"],
            "bundle_upstream_github_url": file_server["good"]["github"],
            "bundle_upstream_containerd_version": versions["containerd"],
            "bundle_upstream_runc_version": versions["runc"],
            "bundle_upstream_cni_plugins_version": versions["cni"],
            "bundle_upstream_flannel_cni_version": versions["flannel"],
            "bundle_upstream_images": sorted(shared, key=lambda i: i["role"] != "etcd"),  # etcd first
            "bundle_upstream_registry_mirror": registry,
            "bundle_upstream_tls_verify": False,
            "bundle_upstream_image_repository": source_manifest["image_repository"]}


def assert_nothing_published(dest):
    assert not os.path.exists(os.path.join(dest, "manifest.json"))
    assert not os.path.exists(dest + ".partial"), "partial bundle left behind"
    assert not os.path.exists(dest + ".downloads"), "downloads left behind"


def test_upstream_bundle_matches_source_bundle(tmp_path, base_vars):
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    print(f"from-upstream playbook: {r.seconds:.1f}s", file=sys.stderr)
    dest = base_vars["bundle_upstream_dest"]
    assert not os.path.exists(dest + ".partial") and not os.path.exists(dest + ".downloads")
    subprocess.run(BUNDLECTL + ["verify", "--quiet", dest], check=True)
    with open(os.path.join(dest, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["builder"] == "from-upstream"
    assert {a["source"] for a in manifest["artifacts"] if a["role"] == "runc"} == \
        {f"{base_vars['bundle_upstream_github_url']}/opencontainers/runc/releases/download/{base_vars['bundle_upstream_runc_version']}/runc.amd64"}
    # Same artifact set: names, roles, versions, image references and digests, binary sha256.
    r = subprocess.run(BUNDLECTL + ["compare", BUNDLE_DIR, dest], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_every_missing_source_is_reported_before_anything_is_fetched(tmp_path, base_vars):
    """An unserved Kubernetes version, a missing release file, a missing image and a wrong digest pin: one message."""
    dest = base_vars["bundle_upstream_dest"]
    os.makedirs(dest)
    shutil.copy(os.path.join(BUNDLE_DIR, "manifest.json"), os.path.join(dest, "marker.json"))
    base_vars["bundle_upstream_kubernetes_versions"] = ["v1.99.0"]
    base_vars["bundle_upstream_cni_plugins_version"] = "v9.9.9"
    etcd, second = base_vars["bundle_upstream_images"][:2]
    etcd["image"] = etcd["image"].rsplit(":", 1)[0] + ":9.9-missing"
    del etcd["digest"]
    second["digest"] = "sha256:" + "ab" * 32
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0
    msg = next(ln for ln in r.stdout.splitlines() if "NOT built" in ln)
    assert "/release/v1.99.0/bin/linux/amd64/kubeadm" in msg, msg
    assert "cni-plugins-linux-amd64-v9.9.9.tgz" in msg, msg
    assert "9.9-missing" in msg and "@sha256:" + "ab" * 32 in msg, msg
    assert "Download" not in r.stdout  # nothing was fetched
    assert not os.path.exists(dest + ".partial") and not os.path.exists(dest + ".downloads")
    # The previous content at the destination is untouched (the swap happens only after verification).
    assert os.path.exists(os.path.join(dest, "marker.json"))


def test_malformed_version_fails_before_anything(tmp_path, base_vars):
    base_vars["bundle_upstream_kubernetes_versions"] = ["1.36"]
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0 and "versions like v1.36.3" in r.stdout and '"1.36"' in r.stdout, r.stdout[-2000:]
    assert_nothing_published(base_vars["bundle_upstream_dest"])


def test_wrong_checksum_fails_and_leaves_nothing(tmp_path, base_vars, file_server):
    base_vars["bundle_upstream_kubernetes_url"] = file_server["badsum"]["kubernetes"]
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0
    assert "NOT built" in r.stdout and "checksum" in r.stdout.lower()
    assert_nothing_published(base_vars["bundle_upstream_dest"])


def test_incomplete_artifact_set_is_refused_before_downloading(tmp_path, base_vars):
    base_vars["bundle_upstream_images"] = [i for i in base_vars["bundle_upstream_images"] if i["role"] != "etcd"]
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0 and "missing: image etcd" in r.stdout
    assert "Download" not in r.stdout
    assert_nothing_published(base_vars["bundle_upstream_dest"])


def test_destination_inside_the_collection_is_refused(tmp_path, base_vars):
    base_vars["bundle_upstream_dest"] = os.path.join(ROOT, "bundle-here")
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0 and "outside the collection" in r.stdout
    assert not os.path.exists(os.path.join(ROOT, "bundle-here"))
