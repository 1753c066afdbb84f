# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline bundle format (docs/bundle.md): the one implementation, used by the builders' CLI
(bundle/bundlectl.py), the bundle_manifest module and the bundle_artifacts filter.

Standard library only, so the from-source builder can use it without Ansible.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile

SCHEMA = "metalstore.bundle/v2"
# Artifacts every Kubernetes version in a bundle needs, and those one bundle carries once.
KUBERNETES_BINARIES = ("kubeadm", "kubelet", "kubectl")
KUBERNETES_IMAGES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")
NODE_BINARIES = ("containerd", "containerd-shim-runc-v2", "ctr", "runc")
CNI_PLUGINS = ("bridge", "host-local", "loopback", "portmap", "flannel")
SHARED_IMAGES = ("etcd", "coredns", "pause", "flannel", "object-store")
CONTROL_FILES = {"manifest.json"}
# Fields that define interchangeability of two bundles (compare); binaries add their sha256.
COMPARE_KEYS = ("kind", "role", "version", "kubernetes_version", "image", "digest", "config_digest")


class BundleError(Exception):
    """A bundle that is not valid, or cannot be built; the message is one line a user can act on."""


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def image_info(path):
    """Reference, manifest digest and config digest of a single-image OCI archive (or docker-archive)."""
    try:
        with tarfile.open(path) as tar:
            names = set(tar.getnames())
            if "index.json" in names:
                return _oci_info(path, tar, names)
            if "manifest.json" in names:
                m = json.load(tar.extractfile("manifest.json"))
                if len(m) != 1:
                    raise BundleError("%s: expected one image in manifest.json" % path)
                digest = "sha256:" + hashlib.sha256(tar.extractfile(m[0]["Config"]).read()).hexdigest()
                return {"image": (m[0].get("RepoTags") or [None])[0], "digest": None, "config_digest": digest,
                        "format": "docker-archive"}
    except (tarfile.TarError, KeyError, ValueError, OSError) as e:
        raise BundleError("%s: not a readable image archive (%s)" % (path, e))
    raise BundleError("%s: neither an OCI nor a docker archive" % path)


def _oci_info(path, tar, names):
    index = json.load(tar.extractfile("index.json"))
    descs = index.get("manifests", [])
    if len(descs) != 1:
        raise BundleError("%s: expected one image in index.json, found %d" % (path, len(descs)))
    desc = descs[0]
    raw = tar.extractfile("blobs/" + desc["digest"].replace(":", "/")).read()
    if "sha256:" + hashlib.sha256(raw).hexdigest() != desc["digest"]:
        raise BundleError("%s: image manifest does not match its digest" % path)
    manifest = json.loads(raw)
    if manifest.get("mediaType", "").endswith("image.index.v1+json") or "manifests" in manifest:
        raise BundleError("%s: multi-platform index; copy a single platform" % path)
    for blob in [manifest["config"]] + manifest.get("layers", []):
        if "blobs/" + blob["digest"].replace(":", "/") not in names:
            raise BundleError("%s: blob %s missing" % (path, blob["digest"]))
    ann = desc.get("annotations", {})
    ref = ann.get("io.containerd.image.name") or ann.get("org.opencontainers.image.ref.name")
    return {"image": ref, "digest": desc["digest"], "config_digest": manifest["config"]["digest"],
            "format": "oci-archive"}


def _key(a):
    # CNI plugins share a role; each is known by its file name (what the runtime executes).
    plugin = os.path.basename(a.get("path") or "") if a.get("role") == "cni-plugin" else None
    return (a.get("kind"), a.get("role"), plugin, a.get("kubernetes_version"))


def check_complete(manifest, planned=False):
    """Schema, required artifacts for every Kubernetes version, well-formed entries. Lists every gap at once.
    planned: the artifacts are a plan (no files hashed yet), so sha256 is not required."""
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        got = manifest.get("schema") if isinstance(manifest, dict) else type(manifest).__name__
        raise BundleError("unknown manifest schema %r (want %s)" % (got, SCHEMA))
    versions = manifest.get("kubernetes_versions") or []
    arts = manifest.get("artifacts") or []
    have = {_key(a) for a in arts}
    missing = [] if versions else ["a Kubernetes version (kubernetes_versions is empty)"]
    for v in versions:
        missing += ["binary %s %s" % (b, v) for b in KUBERNETES_BINARIES if ("binary", b, None, v) not in have]
        missing += ["image %s %s" % (i, v) for i in KUBERNETES_IMAGES if ("image", i, None, v) not in have]
    missing += ["binary %s" % b for b in NODE_BINARIES if ("binary", b, None, None) not in have]
    missing += ["CNI plugin %s" % p for p in CNI_PLUGINS if ("binary", "cni-plugin", p, None) not in have]
    missing += ["image %s" % i for i in SHARED_IMAGES if ("image", i, None, None) not in have]
    if missing:
        raise BundleError("bundle is incomplete, missing: " + ", ".join(missing))
    seen = set()
    for a in arts:
        for key in ("name", "kind", "role", "version", "path", "source") + (() if planned else ("sha256",)):
            if not a.get(key):
                raise BundleError("artifact %s: field %r is empty" % (a.get("name", "?"), key))
        if a["name"] in seen:
            raise BundleError("artifact name %s appears twice" % a["name"])
        seen.add(a["name"])
        if a.get("kubernetes_version") and a["kubernetes_version"] not in versions:
            raise BundleError("artifact %s: kubernetes_version %s is not one of %s"
                              % (a["name"], a["kubernetes_version"], ", ".join(versions)))
        if a["kind"] == "image" and not a.get("image"):
            raise BundleError("artifact %s: image reference is empty" % a["name"])
        if os.path.isabs(a["path"]) or ".." in a["path"].split("/"):
            raise BundleError("artifact %s: path %r escapes the bundle" % (a["name"], a["path"]))


def check_plan(artifacts, kubernetes_versions):
    """What a builder is about to fetch is complete: checked before anything is downloaded."""
    check_complete({"schema": SCHEMA, "kubernetes_versions": kubernetes_versions, "artifacts": artifacts}, planned=True)


def write_manifest(root, builder, kubernetes_versions, image_repository, source, cache_key=None, artifacts=None):
    """Hash every listed file, read each image archive's digests, check completeness, write manifest.json last."""
    if artifacts is None:
        with open(os.path.join(root, "artifacts.json")) as f:
            artifacts = json.load(f)
    for a in artifacts:
        path = os.path.join(root, a["path"])
        if not os.path.isfile(path):
            raise BundleError("artifact %s: %s is missing" % (a["name"], a["path"]))
        a["sha256"] = sha256_file(path)
        a["size"] = os.path.getsize(path)
        if a["kind"] == "image":
            info = image_info(path)
            if a.get("digest") and a["digest"] != info["digest"]:
                raise BundleError("artifact %s: image digest %s is not the pinned %s"
                                  % (a["name"], info["digest"], a["digest"]))
            a.update(format=info["format"], digest=info["digest"], config_digest=info["config_digest"])
    manifest = {
        "schema": SCHEMA,
        "kubernetes_versions": sorted(kubernetes_versions, key=version_key),
        "image_repository": image_repository,
        "builder": builder,
        "source": source,
        "cache_key": cache_key,
        "artifacts": sorted(artifacts, key=lambda a: (a["kind"], a["role"], a["name"])),
    }
    check_complete(manifest)
    tmp = os.path.join(root, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(root, "manifest.json"))
    for control in ("artifacts.json", "release.json"):
        if os.path.exists(os.path.join(root, control)):
            os.remove(os.path.join(root, control))
    return manifest


def load_manifest(root):
    mpath = os.path.join(root, "manifest.json")
    if not os.path.isfile(mpath):
        raise BundleError("%s: no manifest.json (not a bundle, or an unfinished one)" % root)
    with open(mpath) as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise BundleError("%s: not JSON (%s)" % (mpath, e))


def verify_dir(root, quiet=False, out=None):
    """Every check a consumer relies on; returns the manifest. `out(line)` receives progress lines."""
    manifest = load_manifest(root)
    check_complete(manifest)
    listed = set()
    for a in manifest["artifacts"]:
        path = os.path.join(root, a["path"])
        listed.add(os.path.normpath(a["path"]))
        if not os.path.isfile(path):
            raise BundleError("artifact %s: %s is missing" % (a["name"], a["path"]))
        if "size" in a and os.path.getsize(path) != a["size"]:
            raise BundleError("artifact %s: size mismatch for %s" % (a["name"], a["path"]))
        got = sha256_file(path)
        if got != a["sha256"]:
            raise BundleError("artifact %s: sha256 mismatch for %s (manifest %s, file %s)"
                              % (a["name"], a["path"], a["sha256"], got))
        if a["kind"] == "image":
            info = image_info(path)
            for key in ("digest", "config_digest"):
                if a.get(key) and info[key] != a[key]:
                    raise BundleError("artifact %s: %s %s != manifest %s" % (a["name"], key, info[key], a[key]))
        if not quiet and out:
            out("  ok  %s  %s" % (a["sha256"][:16], a["path"]))
    for dirpath, _dirs, files in os.walk(root):
        for fn in files:
            rel = os.path.normpath(os.path.relpath(os.path.join(dirpath, fn), root))
            if rel not in listed and rel not in CONTROL_FILES:
                raise BundleError("unlisted file in bundle: %s" % rel)
    return manifest


def verify(target, quiet=False, out=None):
    """verify_dir for a directory or a tarball of one."""
    if not os.path.isfile(target):
        return verify_dir(target, quiet, out)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(target) as tar:
            for m in tar.getmembers():
                if m.name.startswith("/") or ".." in m.name.split("/") or not (m.isfile() or m.isdir()):
                    raise BundleError("%s: unsafe member %s" % (target, m.name))
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - Python < 3.12 without the backport
                tar.extractall(tmp)  # noqa: S202 - members checked above
        entries = os.listdir(tmp)
        nested = len(entries) == 1 and os.path.isdir(os.path.join(tmp, entries[0]))
        return verify_dir(os.path.join(tmp, entries[0]) if nested else tmp, quiet, out)


def compare(a, b):
    """Interchangeability: same artifacts with the same role, versions, image digests and binary sha256."""
    diffs = []
    if a.get("kubernetes_versions") != b.get("kubernetes_versions"):
        diffs.append("kubernetes_versions: %s != %s" % (a.get("kubernetes_versions"), b.get("kubernetes_versions")))
    ia = {x["name"]: x for x in a["artifacts"]}
    ib = {x["name"]: x for x in b["artifacts"]}
    for name in sorted(set(ia) | set(ib)):
        if name not in ia or name not in ib:
            diffs.append("%s: only in %s" % (name, "B" if name not in ia else "A"))
            continue
        keys = COMPARE_KEYS + (("sha256",) if ia[name]["kind"] == "binary" else ())
        diffs += ["%s.%s: %s != %s" % (name, k, ia[name].get(k), ib[name].get(k))
                  for k in keys if ia[name].get(k) != ib[name].get(k)]
    return diffs


def version_key(v):
    parts = v.lstrip("v").split("-", 1)[0].split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts)


def select(manifest, kind=None, role=None, kubernetes_version=None, name=None):
    """Artifacts matching every given criterion. kubernetes_version also keeps shared artifacts (no version)."""
    out = []
    for a in manifest.get("artifacts", []):
        if kind and a.get("kind") != kind or role and a.get("role") != role or name and a.get("name") != name:
            continue
        if kubernetes_version and a.get("kubernetes_version") not in (None, "", kubernetes_version):
            continue
        out.append(a)
    return out


def images_for(manifest, kubernetes_version):
    """{role: image reference} of everything one Kubernetes version runs."""
    if kubernetes_version not in (manifest.get("kubernetes_versions") or []):
        raise BundleError("Kubernetes %s is not in this bundle (it has %s)"
                          % (kubernetes_version, ", ".join(manifest.get("kubernetes_versions") or []) or "none"))
    return {a["role"]: a["image"] for a in select(manifest, kind="image", kubernetes_version=kubernetes_version)}
