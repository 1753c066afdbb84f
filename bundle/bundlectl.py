"""Bundle manifest tool: the one implementation of the bundle format (docs/bundle.md).

  bundlectl.py manifest DIR --builder B --kubernetes-version V [--image-repository R] [--source S]
      Read DIR/artifacts.json (what the builder produced), hash every file, read each image archive's
      own digests, check the required artifact set is complete, write DIR/manifest.json.
  bundlectl.py verify DIR|TARBALL [--quiet]
      Check manifest.json: schema, required artifacts, every sha256 and size, image digests, no unlisted files.
  bundlectl.py compare A B
      Interchangeability: same artifacts (name, kind, role, version, image, image digests, binary sha256).
  bundlectl.py image-info ARCHIVE
      Print the reference and digests recorded in an OCI/docker archive (JSON).

Exit status: 0 ok, 1 invalid bundle (message on stderr), 2 usage.
"""
import argparse
import hashlib
import json
import os
import sys
import tarfile
import tempfile

SCHEMA = "metalstore.bundle/v1"
REQUIRED_BINARIES = ("kubeadm", "kubelet", "kubectl")
REQUIRED_IMAGES = ("pause", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
                   "etcd", "cluster-dns", "object-store")
CONTROL_FILES = {"manifest.json"}


class BundleError(Exception):
    pass


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
                index = json.load(tar.extractfile("index.json"))
                descs = index.get("manifests", [])
                if len(descs) != 1:
                    raise BundleError(f"{path}: expected one image in index.json, found {len(descs)}")
                desc = descs[0]
                blob = "blobs/" + desc["digest"].replace(":", "/")
                raw = tar.extractfile(blob).read()
                if "sha256:" + hashlib.sha256(raw).hexdigest() != desc["digest"]:
                    raise BundleError(f"{path}: image manifest does not match its digest")
                manifest = json.loads(raw)
                if manifest.get("mediaType", "").endswith("image.index.v1+json") or "manifests" in manifest:
                    raise BundleError(f"{path}: multi-platform index; copy a single platform")
                ann = desc.get("annotations", {})
                ref = ann.get("io.containerd.image.name") or ann.get("org.opencontainers.image.ref.name")
                for layer in [manifest["config"]] + manifest.get("layers", []):
                    if "blobs/" + layer["digest"].replace(":", "/") not in names:
                        raise BundleError(f"{path}: blob {layer['digest']} missing")
                return {"image": ref, "digest": desc["digest"], "config_digest": manifest["config"]["digest"],
                        "format": "oci-archive"}
            if "manifest.json" in names:
                m = json.load(tar.extractfile("manifest.json"))
                if len(m) != 1:
                    raise BundleError(f"{path}: expected one image in manifest.json")
                cfg = m[0]["Config"]
                digest = "sha256:" + hashlib.sha256(tar.extractfile(cfg).read()).hexdigest()
                return {"image": (m[0].get("RepoTags") or [None])[0], "digest": None, "config_digest": digest,
                        "format": "docker-archive"}
    except (tarfile.TarError, KeyError, ValueError, OSError) as e:
        raise BundleError(f"{path}: not a readable image archive ({e})") from e
    raise BundleError(f"{path}: neither an OCI nor a docker archive")


def cmd_manifest(args):
    root = args.dir
    if args.release:
        artifacts = artifacts_from_release(args.release)
    else:
        with open(os.path.join(root, "artifacts.json")) as f:
            artifacts = json.load(f)
    for a in artifacts:
        path = os.path.join(root, a["path"])
        if not os.path.isfile(path):
            raise BundleError(f"artifact {a['name']}: {a['path']} is missing")
        a["sha256"] = sha256_file(path)
        a["size"] = os.path.getsize(path)
        if a["kind"] == "image":
            info = image_info(path)
            if a.get("digest") and a["digest"] != info["digest"]:
                raise BundleError(f"artifact {a['name']}: image digest {info['digest']} is not the pinned {a['digest']}")
            a["format"] = info["format"]
            a["digest"] = info["digest"]
            a["config_digest"] = info["config_digest"]
    manifest = {
        "schema": SCHEMA,
        "kubernetes_version": args.kubernetes_version,
        "image_repository": args.image_repository,
        "builder": args.builder,
        "source": args.source,
        "cache_key": args.cache_key,
        "artifacts": sorted(artifacts, key=lambda a: (a["kind"], a["name"])),
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
    print(f"manifest: {len(artifacts)} artifacts written to {root}/manifest.json", file=sys.stderr)


def artifacts_from_release(path):
    """Artifact list from a release description (from-upstream builder): {binaries: [...], images: [...]}."""
    with open(path) as f:
        rel = json.load(f)
    version = rel.get("kubernetes_version")
    out = []
    for b in rel.get("binaries", []):
        out.append({"name": b, "kind": "binary", "role": b, "version": rel.get("version", version),
                    "path": f"bin/{b}", "source": rel.get("binary_source", "")})
    for i in rel.get("images", []):
        entry = {"name": i["name"], "kind": "image", "role": i["role"], "image": i["image"],
                 "version": str(i.get("version") or i["image"].rsplit(":", 1)[1]),
                 "path": f"images/{i['name']}.oci.tar", "source": i.get("source", "registry")}
        for k in ("digest", "substitute"):
            if i.get(k):
                entry[k] = i[k]
        out.append(entry)
    return out


def check_complete(manifest):
    if manifest.get("schema") != SCHEMA:
        raise BundleError(f"unknown manifest schema {manifest.get('schema')!r} (want {SCHEMA})")
    arts = manifest.get("artifacts") or []
    roles = {(a.get("kind"), a.get("role")) for a in arts}
    missing = [f"binary {b}" for b in REQUIRED_BINARIES if ("binary", b) not in roles]
    missing += [f"image {r}" for r in REQUIRED_IMAGES if ("image", r) not in roles]
    if missing:
        raise BundleError("bundle is incomplete, missing: " + ", ".join(missing))
    for a in arts:
        for key in ("name", "kind", "role", "version", "path", "sha256"):
            if not a.get(key):
                raise BundleError(f"artifact {a.get('name', '?')}: field {key!r} is empty")
        if a["kind"] == "image" and not a.get("image"):
            raise BundleError(f"artifact {a['name']}: image reference is empty")
        if os.path.isabs(a["path"]) or ".." in a["path"].split("/"):
            raise BundleError(f"artifact {a['name']}: path {a['path']!r} escapes the bundle")


def verify_dir(root, quiet=False):
    mpath = os.path.join(root, "manifest.json")
    if not os.path.isfile(mpath):
        raise BundleError(f"{root}: no manifest.json (not a bundle, or an unfinished one)")
    with open(mpath) as f:
        try:
            manifest = json.load(f)
        except ValueError as e:
            raise BundleError(f"{mpath}: not JSON ({e})") from e
    check_complete(manifest)
    listed = set()
    for a in manifest["artifacts"]:
        path = os.path.join(root, a["path"])
        listed.add(os.path.normpath(a["path"]))
        if not os.path.isfile(path):
            raise BundleError(f"artifact {a['name']}: {a['path']} is missing")
        got = sha256_file(path)
        if got != a["sha256"]:
            raise BundleError(f"artifact {a['name']}: sha256 mismatch for {a['path']} "
                              f"(manifest {a['sha256']}, file {got})")
        if "size" in a and os.path.getsize(path) != a["size"]:
            raise BundleError(f"artifact {a['name']}: size mismatch for {a['path']}")
        if a["kind"] == "image":
            info = image_info(path)
            for key in ("digest", "config_digest"):
                if a.get(key) and info[key] != a[key]:
                    raise BundleError(f"artifact {a['name']}: {key} {info[key]} != manifest {a[key]}")
        if not quiet:
            print(f"  ok  {a['sha256'][:16]}  {a['path']}", file=sys.stderr)
    for dirpath, _dirs, files in os.walk(root):
        for fn in files:
            rel = os.path.normpath(os.path.relpath(os.path.join(dirpath, fn), root))
            if rel not in listed and rel not in CONTROL_FILES:
                raise BundleError(f"unlisted file in bundle: {rel}")
    print(f"bundle OK: {root} ({len(manifest['artifacts'])} artifacts, "
          f"kubernetes {manifest['kubernetes_version']}, builder {manifest['builder']})", file=sys.stderr)
    return manifest


def cmd_verify(args):
    target = args.bundle
    if os.path.isfile(target):
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(target) as tar:
                for m in tar.getmembers():
                    if m.name.startswith("/") or ".." in m.name.split("/") or not (m.isfile() or m.isdir()):
                        raise BundleError(f"{target}: unsafe member {m.name}")
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(tmp, filter="data")
                else:
                    tar.extractall(tmp)
            entries = os.listdir(tmp)
            root = os.path.join(tmp, entries[0]) if len(entries) == 1 and os.path.isdir(
                os.path.join(tmp, entries[0])) else tmp
            verify_dir(root, args.quiet)
    else:
        verify_dir(target, args.quiet)


COMPARE_KEYS = ("kind", "role", "version", "image", "digest", "config_digest")


def cmd_compare(args):
    a, b = (json.load(open(os.path.join(p, "manifest.json") if os.path.isdir(p) else p)) for p in (args.a, args.b))
    diffs = []
    if a["kubernetes_version"] != b["kubernetes_version"]:
        diffs.append(f"kubernetes_version: {a['kubernetes_version']} != {b['kubernetes_version']}")
    ia = {x["name"]: x for x in a["artifacts"]}
    ib = {x["name"]: x for x in b["artifacts"]}
    for name in sorted(set(ia) | set(ib)):
        if name not in ia or name not in ib:
            diffs.append(f"{name}: only in {'B' if name not in ia else 'A'}")
            continue
        keys = COMPARE_KEYS + (("sha256",) if ia[name]["kind"] == "binary" else ())
        for k in keys:
            if ia[name].get(k) != ib[name].get(k):
                diffs.append(f"{name}.{k}: {ia[name].get(k)} != {ib[name].get(k)}")
    if diffs:
        raise BundleError("manifests differ:\n  " + "\n  ".join(diffs))
    print(f"manifests match: {len(ia)} artifacts (image digests and binary sha256 identical)", file=sys.stderr)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("manifest")
    m.add_argument("dir")
    m.add_argument("--builder", required=True)
    m.add_argument("--kubernetes-version", required=True)
    m.add_argument("--image-repository", default="registry.k8s.io")
    m.add_argument("--source", default="")
    m.add_argument("--cache-key", default=None)
    m.add_argument("--release", help="release description (from-upstream) instead of DIR/artifacts.json")
    v = sub.add_parser("verify")
    v.add_argument("bundle")
    v.add_argument("--quiet", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    i = sub.add_parser("image-info")
    i.add_argument("archive")
    args = p.parse_args(argv)
    try:
        if args.cmd == "manifest":
            cmd_manifest(args)
        elif args.cmd == "verify":
            cmd_verify(args)
        elif args.cmd == "compare":
            cmd_compare(args)
        else:
            print(json.dumps(image_info(args.archive)))
    except BundleError as e:
        print(f"bundle: ERROR: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
