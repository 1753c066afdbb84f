"""The bundle format (plugins/module_utils/bundle_format.py) on tiny synthetic bundles: manifest, verification,
interchangeability, selection, and every kind of bad bundle. The CLI (bundle/bundlectl.py) is the same code."""
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils import bundle_format as bf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path.insert(0, os.path.join(ROOT, "bundle"))
import ociwriter  # noqa: E402  pylint: disable=wrong-import-position

VERSIONS = ["v1.36.1", "v1.36.3"]
SHARED_IMAGES = {"etcd": "registry.k8s.io/etcd:3.6.8-0", "coredns": "registry.k8s.io/coredns/coredns:v1.14.2",
                 "pause": "registry.k8s.io/pause:3.10.2", "flannel": "ghcr.io/flannel-io/flannel:v0.28.10",
                 "object-store": "docker.io/chrislusf/seaweedfs:4.48"}


def _file(root, path, text):
    os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
    with open(os.path.join(root, path), "w") as f:
        f.write(text)


def _image(root, name, ref):
    layer = ociwriter.Layer()
    layer.data(f"usr/local/bin/{name}", f"{name}\n", 0o755)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    meta = ociwriter.write_oci_archive(os.path.join(root, "images", f"{name}.oci.tar"), ref, layer)
    return dict({"name": name, "kind": "image", "image": ref, "path": f"images/{name}.oci.tar", "source": "test"}, **meta)


def artifacts(root, versions=tuple(VERSIONS)):
    arts = []
    for v in versions:
        for b in bf.KUBERNETES_BINARIES:
            _file(root, f"bin/{v}/{b}", f"#!/bin/sh\necho {b} {v}\n")
            arts.append({"name": f"{b}-{v}", "kind": "binary", "role": b, "version": v, "kubernetes_version": v,
                         "path": f"bin/{v}/{b}", "source": "test"})
        for i in bf.KUBERNETES_IMAGES:
            arts.append(dict(_image(root, f"{i}-{v}", f"registry.k8s.io/{i}:{v}"), role=i, version=v,
                             kubernetes_version=v))
    for b in bf.NODE_BINARIES:
        _file(root, f"bin/{b}", b)
        arts.append({"name": b, "kind": "binary", "role": b, "version": "v2.3.7", "path": f"bin/{b}", "source": "test"})
    for p in bf.CNI_PLUGINS:
        _file(root, f"bin/cni/{p}", p)
        arts.append({"name": f"cni-{p}", "kind": "binary", "role": "cni-plugin", "version": "v1.9.1", "path": f"bin/cni/{p}",
                     "source": "test"})
    for role, ref in SHARED_IMAGES.items():
        arts.append(dict(_image(root, role, ref), role=role, version=ref.rsplit(":", 1)[1]))
    return arts


def make_bundle(root, versions=tuple(VERSIONS)):
    bf.write_manifest(root, builder="test", kubernetes_versions=list(versions), image_repository="registry.k8s.io",
                      source="test", artifacts=artifacts(root, versions))
    return root


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(str(tmp_path / "b"))


def load(root):
    with open(os.path.join(root, "manifest.json")) as f:
        return json.load(f)


def save(root, manifest):
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def rejected(root, match):
    with pytest.raises(bf.BundleError, match=match):
        bf.verify(root)


def test_manifest_lists_every_artifact(bundle):
    m = load(bundle)
    assert m["schema"] == bf.SCHEMA and m["kubernetes_versions"] == VERSIONS
    for a in m["artifacts"]:
        assert len(a["sha256"]) == 64 and a["size"] > 0 and a["version"] and a["source"]
        if a["kind"] == "image":
            assert a["digest"].startswith("sha256:") and a["config_digest"].startswith("sha256:")
    assert bf.verify(bundle)["artifacts"] == m["artifacts"]


def test_image_archives_are_reproducible(tmp_path):
    a, b = make_bundle(str(tmp_path / "a")), make_bundle(str(tmp_path / "b"))
    assert [x["sha256"] for x in load(a)["artifacts"]] == [x["sha256"] for x in load(b)["artifacts"]]
    assert bf.compare(load(a), load(b)) == []


def test_compare_reports_differences(tmp_path):
    a, b = make_bundle(str(tmp_path / "a")), make_bundle(str(tmp_path / "b"), versions=["v1.36.1"])
    diffs = bf.compare(load(a), load(b))
    assert "kubernetes_versions: ['v1.36.1', 'v1.36.3'] != ['v1.36.1']" in diffs
    assert "kubeadm-v1.36.3: only in A" in diffs


def test_wrong_checksum_is_rejected(bundle):
    with open(os.path.join(bundle, "bin", "v1.36.1", "kubelet"), "a") as f:
        f.write("x")
    rejected(bundle, "size mismatch for bin/v1.36.1/kubelet")


def test_tampered_manifest_hash_is_rejected(bundle):
    m = load(bundle)
    m["artifacts"][0]["sha256"] = "0" * 64
    save(bundle, m)
    rejected(bundle, "sha256 mismatch")


def test_missing_file_is_rejected(bundle):
    os.remove(os.path.join(bundle, "images", "etcd.oci.tar"))
    rejected(bundle, "images/etcd.oci.tar is missing")


def test_every_missing_artifact_is_named(bundle):
    m = load(bundle)
    m["artifacts"] = [a for a in m["artifacts"]
                      if a["role"] not in ("coredns", "runc") and a["name"] not in ("kubelet-v1.36.3", "cni-flannel")]
    save(bundle, m)
    rejected(bundle, "missing: binary kubelet v1.36.3, binary runc, CNI plugin flannel, image coredns$")


def test_artifact_of_an_undeclared_version_is_rejected(bundle):
    m = load(bundle)
    m["kubernetes_versions"] = ["v1.36.1"]
    save(bundle, m)
    rejected(bundle, "kubernetes_version v1.36.3 is not one of v1.36.1")


def test_unknown_schema_is_rejected(bundle):
    m = load(bundle)
    m["schema"] = "metalstore.bundle/v1"
    save(bundle, m)
    rejected(bundle, "unknown manifest schema 'metalstore.bundle/v1'")


def test_path_escaping_the_bundle_is_rejected(bundle):
    m = load(bundle)
    next(a for a in m["artifacts"] if a["role"] == "runc")["path"] = "../etc/passwd"
    save(bundle, m)
    rejected(bundle, "artifact runc: path '../etc/passwd' escapes the bundle")


def test_incomplete_build_gets_no_manifest(tmp_path):
    root = str(tmp_path / "b")
    arts = [a for a in artifacts(root) if a["role"] != "etcd"]
    with pytest.raises(bf.BundleError, match="missing: image etcd"):
        bf.write_manifest(root, builder="t", kubernetes_versions=VERSIONS, image_repository="r", source="s",
                          artifacts=arts)
    assert not os.path.exists(os.path.join(root, "manifest.json"))
    rejected(root, "no manifest.json")


def test_plan_is_checked_before_any_file_exists():
    plan = [{"name": "kubeadm-v1.36.1", "kind": "binary", "role": "kubeadm", "version": "v1.36.1",
             "kubernetes_version": "v1.36.1", "path": "bin/v1.36.1/kubeadm", "source": "https://x"}]
    with pytest.raises(bf.BundleError, match=r"missing: binary kubelet v1\.36\.1, binary kubectl v1\.36\.1, image"):
        bf.check_plan(plan, ["v1.36.1"])


def test_unlisted_file_is_rejected(bundle):
    _file(bundle, "images/extra.tar", "x")
    rejected(bundle, "unlisted file in bundle: images/extra.tar")


def test_corrupt_image_blob_is_rejected(bundle):
    path = os.path.join(bundle, "images", "pause.oci.tar")
    with tarfile.open(path) as t:
        members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    idx = json.loads(members["index.json"])
    blob = "blobs/" + idx["manifests"][0]["digest"].replace(":", "/")
    members[blob] = members[blob].replace(b'"schemaVersion":2', b'"schemaVersion":3')
    with tarfile.open(path, "w") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    m = load(bundle)
    for a in m["artifacts"]:
        if a["name"] == "pause":
            a["sha256"], a["size"] = bf.sha256_file(path), os.path.getsize(path)
    save(bundle, m)
    rejected(bundle, "does not match its digest")


def test_tarball_bundle_verifies(bundle, tmp_path):
    tgz = str(tmp_path / "bundle.tar.gz")
    with tarfile.open(tgz, "w:gz") as t:
        t.add(bundle, arcname="bundle")
    assert bf.verify(tgz)["schema"] == bf.SCHEMA


def test_pinned_digest_mismatch_is_rejected(tmp_path):
    root = str(tmp_path / "b")
    arts = artifacts(root)
    next(a for a in arts if a["role"] == "pause")["digest"] = "sha256:" + "1" * 64
    with pytest.raises(bf.BundleError, match="is not the pinned sha256:1111"):
        bf.write_manifest(root, builder="t", kubernetes_versions=VERSIONS, image_repository="r", source="s",
                          artifacts=arts)
    assert not os.path.exists(os.path.join(root, "manifest.json"))


def test_selection_per_kubernetes_version(bundle):
    m = load(bundle)
    images = bf.images_for(m, "v1.36.3")
    assert images["kube-apiserver"] == "registry.k8s.io/kube-apiserver:v1.36.3"
    assert images["pause"] == "registry.k8s.io/pause:3.10.2" and images["object-store"].endswith(":4.48")
    kubelets = [a["path"] for a in bf.select(m, role="kubelet", kubernetes_version="v1.36.1")]
    assert kubelets == ["bin/v1.36.1/kubelet"]
    assert sorted(os.path.basename(a["path"]) for a in bf.select(m, role="cni-plugin")) == sorted(bf.CNI_PLUGINS)
    with pytest.raises(bf.BundleError, match=r"Kubernetes v1\.37\.0 is not in this bundle \(it has v1\.36\.1, v1\.36\.3\)"):
        bf.images_for(m, "v1.37.0")


def test_cli_exit_status(bundle):
    cli = [sys.executable, os.path.join(ROOT, "bundle", "bundlectl.py")]
    r = subprocess.run(cli + ["verify", "--quiet", bundle], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "bundle OK" in r.stderr
    os.remove(os.path.join(bundle, "bin", "runc"))
    r = subprocess.run(cli + ["verify", bundle], capture_output=True, text=True, check=False)
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1] == "bundle: ERROR: artifact runc: bin/runc is missing"
