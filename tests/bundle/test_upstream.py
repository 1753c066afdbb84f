"""From-upstream builder (playbooks/bundle_from_upstream.yml) run for real against loopback stand-ins.

A python http.server on 127.0.0.1 plays dl.k8s.io (binaries + .sha256 from the from-source bundle) and Debian's
docker-registry on 127.0.0.1 plays the image registries (populated from the from-source bundle with skopeo).
Needs BUNDLE_DIR (a from-source bundle), skopeo and docker-registry; scripts/test.d/70-bundle-build.sh sets it up.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLE_DIR = os.environ.get("BUNDLE_DIR")
BUNDLECTL = [sys.executable, os.path.join(ROOT, "bundle", "bundlectl.py")]
pytestmark = pytest.mark.skipif(not BUNDLE_DIR, reason="BUNDLE_DIR (a from-source bundle) not set")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:  # noqa: BLE001 - any error means not up yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def link_or_copy(src, dest):
    """Hard link when the bundle cache and the test's temporary directory share a file system, else copy."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy(src, dest)


@pytest.fixture(scope="module")
def source_manifest():
    with open(os.path.join(BUNDLE_DIR, "manifest.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def file_server(tmp_path_factory, source_manifest):
    """dl.k8s.io layout: /release/<v>/bin/linux/amd64/<name> and <name>.sha256; plus a copy with a bad checksum."""
    root = tmp_path_factory.mktemp("files")
    version = source_manifest["kubernetes_version"]
    for variant in ("good", "badsum"):
        d = root / variant / "release" / version / "bin" / "linux" / "amd64"
        d.mkdir(parents=True)
        for a in source_manifest["artifacts"]:
            if a["kind"] == "binary":
                link_or_copy(os.path.join(BUNDLE_DIR, a["path"]), d / a["name"])
                digest = a["sha256"] if (variant == "good" or a["name"] != "kubelet") else "0" * 64
                (d / (a["name"] + ".sha256")).write_text(digest)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                             "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/")
    yield {"good": f"{base}/good/release/{version}/bin/linux/amd64",
           "badsum": f"{base}/badsum/release/{version}/bin/linux/amd64"}
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def registry(tmp_path_factory, source_manifest):
    """Debian's docker-registry on loopback, holding the from-source images under their upstream paths."""
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    (root / "config.yml").write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {root}/data}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")],
                            stdout=open(root / "log", "w"), stderr=subprocess.STDOUT)
    mirror = f"127.0.0.1:{port}"
    wait_http(f"http://{mirror}/v2/")
    for a in source_manifest["artifacts"]:
        if a["kind"] == "image":
            path = a["image"].split("/", 1)[1]
            subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                            f"oci-archive:{os.path.join(BUNDLE_DIR, a['path'])}", f"docker://{mirror}/{path}"],
                           check=True)
    yield mirror
    proc.terminate()
    proc.wait(10)


def release_from(manifest, pin=True):
    """The artifact set of the source bundle, as a bundle_upstream_releases entry."""
    images = []
    for a in manifest["artifacts"]:
        if a["kind"] == "image":
            entry = {"role": a["role"], "name": a["name"], "image": a["image"], "version": a["version"]}
            if pin:
                entry["digest"] = a["digest"]
            images.append(entry)
    return {"binaries": [a["name"] for a in manifest["artifacts"] if a["kind"] == "binary"], "images": images}


def run_playbook(tmp_path, **extra):
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(extra))
    t0 = time.monotonic()
    r = subprocess.run(["ansible-playbook", os.path.join(ROOT, "playbooks", "bundle_from_upstream.yml"),
                        "-e", f"@{varfile}"], capture_output=True, text=True, cwd=ROOT, check=False)
    r.seconds = time.monotonic() - t0
    return r


@pytest.fixture
def base_vars(tmp_path, source_manifest, file_server, registry):
    v = source_manifest["kubernetes_version"]
    return {"bundle_upstream_kubernetes_version": v,
            "bundle_upstream_dest": str(tmp_path / "bundle"),
            "bundle_upstream_binary_url": file_server["good"],
            "bundle_upstream_registry_mirror": registry,
            "bundle_upstream_tls_verify": False,
            "bundle_upstream_image_repository": source_manifest["image_repository"],
            "bundle_upstream_releases": {v: release_from(source_manifest)}}


def assert_nothing_published(dest):
    assert not os.path.exists(os.path.join(dest, "manifest.json"))
    assert not os.path.exists(dest + ".partial"), "partial bundle left behind"


def test_upstream_bundle_matches_source_bundle(tmp_path, base_vars):
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    print(f"from-upstream playbook: {r.seconds:.1f}s", file=sys.stderr)
    dest = base_vars["bundle_upstream_dest"]
    assert not os.path.exists(dest + ".partial")
    subprocess.run(BUNDLECTL + ["verify", "--quiet", dest], check=True)
    with open(os.path.join(dest, "manifest.json")) as f:
        assert json.load(f)["builder"] == "from-upstream"
    # Same artifact set: names, roles, versions, image references and digests, binary sha256.
    r = subprocess.run(BUNDLECTL + ["compare", BUNDLE_DIR, dest], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_unknown_version_fails_clearly(tmp_path, base_vars):
    base_vars["bundle_upstream_kubernetes_version"] = "v1.99.0"
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0
    assert "Unknown Kubernetes version" in r.stdout and "v1.99.0" in r.stdout
    assert_nothing_published(base_vars["bundle_upstream_dest"])


def test_wrong_checksum_fails_and_leaves_nothing(tmp_path, base_vars, file_server):
    base_vars["bundle_upstream_binary_url"] = file_server["badsum"]
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0
    assert "NOT built" in r.stdout and "checksum" in r.stdout.lower()
    assert_nothing_published(base_vars["bundle_upstream_dest"])


def test_missing_image_fails_and_leaves_nothing(tmp_path, base_vars):
    rel = base_vars["bundle_upstream_releases"][base_vars["bundle_upstream_kubernetes_version"]]
    pause = next(i for i in rel["images"] if i["role"] == "pause")
    pause["image"] = pause["image"].rsplit(":", 1)[0] + ":9.9-missing"
    del pause["digest"]
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0
    assert "NOT built" in r.stdout and "9.9-missing" in r.stdout
    assert_nothing_published(base_vars["bundle_upstream_dest"])


def test_missing_binary_fails_and_keeps_previous_bundle(tmp_path, base_vars):
    dest = base_vars["bundle_upstream_dest"]
    os.makedirs(dest)
    shutil.copy(os.path.join(BUNDLE_DIR, "manifest.json"), os.path.join(dest, "marker.json"))
    rel = base_vars["bundle_upstream_releases"][base_vars["bundle_upstream_kubernetes_version"]]
    rel["binaries"] = rel["binaries"] + ["kube-nonexistent"]
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0 and "NOT built" in r.stdout
    assert not os.path.exists(dest + ".partial")
    # The previous content at the destination is untouched (the swap happens only after verification).
    assert os.path.exists(os.path.join(dest, "marker.json"))


def test_incomplete_artifact_set_is_refused(tmp_path, base_vars):
    rel = base_vars["bundle_upstream_releases"][base_vars["bundle_upstream_kubernetes_version"]]
    rel["images"] = [i for i in rel["images"] if i["role"] != "etcd"]
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0 and "missing: image etcd" in r.stdout
    assert_nothing_published(base_vars["bundle_upstream_dest"])


def test_wrong_pinned_digest_fails(tmp_path, base_vars):
    rel = base_vars["bundle_upstream_releases"][base_vars["bundle_upstream_kubernetes_version"]]
    rel["images"][0]["digest"] = "sha256:" + "ab" * 32
    r = run_playbook(tmp_path, **base_vars)
    assert r.returncode != 0 and "NOT built" in r.stdout
    assert_nothing_published(base_vars["bundle_upstream_dest"])
