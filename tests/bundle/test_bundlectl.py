"""Bundle format logic (bundle/bundlectl.py): manifest, verification and bad input, on a tiny synthetic bundle."""
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bundle"))
import bundlectl  # noqa: E402
import ociwriter  # noqa: E402

ROLES = [("pause", "pause"), ("kube-apiserver", "kube-apiserver"),
         ("kube-controller-manager", "kube-controller-manager"), ("kube-scheduler", "kube-scheduler"),
         ("kube-proxy", "kube-proxy"), ("etcd", "etcd"), ("cluster-dns", "cluster-dns"),
         ("object-store", "seaweedfs")]


def make_bundle(root, version="v1.20.2"):
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "images"))
    arts = []
    for b in ("kubeadm", "kubelet", "kubectl"):
        with open(os.path.join(root, "bin", b), "w") as f:
            f.write(f"#!/bin/sh\necho {b} {version}\n")
        arts.append({"name": b, "kind": "binary", "role": b, "version": version, "path": f"bin/{b}"})
    for role, name in ROLES:
        layer = ociwriter.Layer()
        layer.data(f"usr/local/bin/{name}", f"{name}\n", 0o755)
        ref = f"registry.k8s.io/{name}:{version}"
        meta = ociwriter.write_oci_archive(os.path.join(root, "images", f"{name}.oci.tar"), ref, layer)
        arts.append(dict({"name": name, "kind": "image", "role": role, "version": version, "image": ref,
                          "path": f"images/{name}.oci.tar"}, **meta))
    with open(os.path.join(root, "artifacts.json"), "w") as f:
        json.dump(arts, f)
    assert bundlectl.main(["manifest", root, "--builder", "test", "--kubernetes-version", version]) == 0
    return root


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(str(tmp_path / "b"))


def verify(path, capsys):
    rc = bundlectl.main(["verify", "--quiet", path])
    return rc, capsys.readouterr().err


def load(root):
    with open(os.path.join(root, "manifest.json")) as f:
        return json.load(f)


def test_manifest_lists_every_artifact(bundle, capsys):
    m = load(bundle)
    assert m["schema"] == bundlectl.SCHEMA
    assert {a["role"] for a in m["artifacts"]} == set(bundlectl.REQUIRED_BINARIES) | set(bundlectl.REQUIRED_IMAGES)
    for a in m["artifacts"]:
        assert len(a["sha256"]) == 64 and a["version"] and a["path"]
        if a["kind"] == "image":
            assert a["image"].startswith("registry.k8s.io/") and a["digest"].startswith("sha256:")
    assert not os.path.exists(os.path.join(bundle, "artifacts.json"))
    assert verify(bundle, capsys)[0] == 0


def test_image_archives_are_reproducible(tmp_path):
    a = make_bundle(str(tmp_path / "a"))
    b = make_bundle(str(tmp_path / "b"))
    assert [x["sha256"] for x in load(a)["artifacts"]] == [x["sha256"] for x in load(b)["artifacts"]]
    assert bundlectl.main(["compare", a, b]) == 0


def test_wrong_checksum_is_rejected(bundle, capsys):
    with open(os.path.join(bundle, "bin", "kubelet"), "a") as f:
        f.write("tampered\n")
    rc, err = verify(bundle, capsys)
    assert rc == 1 and "sha256 mismatch for bin/kubelet" in err


def test_tampered_manifest_hash_is_rejected(bundle, capsys):
    m = load(bundle)
    m["artifacts"][0]["sha256"] = "0" * 64
    with open(os.path.join(bundle, "manifest.json"), "w") as f:
        json.dump(m, f)
    rc, err = verify(bundle, capsys)
    assert rc == 1 and "sha256 mismatch" in err


def test_missing_file_is_rejected(bundle, capsys):
    os.remove(os.path.join(bundle, "images", "etcd.oci.tar"))
    rc, err = verify(bundle, capsys)
    assert rc == 1 and "images/etcd.oci.tar is missing" in err


def test_missing_artifact_in_manifest_is_rejected(bundle, capsys):
    m = load(bundle)
    m["artifacts"] = [a for a in m["artifacts"] if a["role"] != "cluster-dns"]
    with open(os.path.join(bundle, "manifest.json"), "w") as f:
        json.dump(m, f)
    rc, err = verify(bundle, capsys)
    assert rc == 1 and "incomplete, missing: image cluster-dns" in err


def test_incomplete_build_gets_no_manifest(tmp_path, capsys):
    root = make_bundle(str(tmp_path / "b"))
    os.remove(os.path.join(root, "manifest.json"))
    with open(os.path.join(ROOT, "tests", "bundle", "fixtures", "binaries.json"), encoding="utf-8") as f:
        arts = json.load(f)
    with open(os.path.join(root, "artifacts.json"), "w") as f:
        json.dump(arts, f)
    rc = bundlectl.main(["manifest", root, "--builder", "test", "--kubernetes-version", "v1.20.2"])
    assert rc == 1 and "missing" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(root, "manifest.json"))
    rc, err = verify(root, capsys)
    assert rc == 1 and "no manifest.json" in err


def test_unlisted_file_is_rejected(bundle, capsys):
    with open(os.path.join(bundle, "images", "extra.tar"), "w") as f:
        f.write("x")
    rc, err = verify(bundle, capsys)
    assert rc == 1 and "unlisted file in bundle: images/extra.tar" in err


def test_corrupt_image_blob_is_rejected(bundle, capsys):
    path = os.path.join(bundle, "images", "pause.oci.tar")
    with tarfile.open(path) as t:
        members = {m.name: t.extractfile(m).read() if m.isfile() else None for m in t.getmembers()}
    idx = json.loads(members["index.json"])
    blob = "blobs/" + idx["manifests"][0]["digest"].replace(":", "/")
    members[blob] = members[blob].replace(b'"schemaVersion":2', b'"schemaVersion":3')
    os.remove(path)
    with tarfile.open(path, "w") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    m = load(bundle)
    for a in m["artifacts"]:
        if a["name"] == "pause":
            a["sha256"] = bundlectl.sha256_file(path)
            a["size"] = os.path.getsize(path)
    with open(os.path.join(bundle, "manifest.json"), "w") as f:
        json.dump(m, f)
    rc, err = verify(bundle, capsys)
    assert rc == 1 and "does not match its digest" in err


def test_tarball_bundle_verifies(bundle, tmp_path, capsys):
    tgz = str(tmp_path / "bundle.tar.gz")
    with tarfile.open(tgz, "w:gz") as t:
        t.add(bundle, arcname="bundle")
    assert verify(tgz, capsys)[0] == 0


def test_compare_reports_differences(tmp_path, capsys):
    a = make_bundle(str(tmp_path / "a"))
    b = make_bundle(str(tmp_path / "b"), version="v1.20.3")
    assert bundlectl.main(["compare", a, b]) == 1
    assert "kubernetes_version: v1.20.2 != v1.20.3" in capsys.readouterr().err


def test_pinned_digest_mismatch_is_rejected(tmp_path, capsys):
    root = make_bundle(str(tmp_path / "b"))
    m = load(root)
    images = [{"name": a["name"], "role": a["role"], "image": a["image"],
               "digest": "sha256:" + "1" * 64 if a["name"] == "pause" else a["digest"]}
              for a in m["artifacts"] if a["kind"] == "image"]
    os.remove(os.path.join(root, "manifest.json"))
    rel = tmp_path / "release.json"
    rel.write_text(json.dumps({"kubernetes_version": "v1.20.2", "binaries": ["kubeadm", "kubelet", "kubectl"],
                               "images": images}))
    rc = bundlectl.main(["manifest", root, "--release", str(rel), "--builder", "t", "--kubernetes-version", "v1.20.2"])
    assert rc == 1 and "is not the pinned" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(root, "manifest.json"))


def test_cli_exit_status(bundle):
    cli = [sys.executable, os.path.join(ROOT, "bundle", "bundlectl.py")]
    assert subprocess.run(cli + ["verify", "--quiet", bundle], check=False).returncode == 0
    shutil.rmtree(os.path.join(bundle, "bin"))
    r = subprocess.run(cli + ["verify", bundle], capture_output=True, text=True, check=False)
    assert r.returncode == 1 and "ERROR" in r.stderr
