"""A test-only client image: Debian's static busybox (sh, nslookup, wget, cat, ...) as a one-layer OCI archive.

  busybox_image.py OUT.oci.tar          prints {"image": REF, "digest": ...} on stdout

The bundle's images have no shell (they are the platform's components), so in-pod checks need a client of their
own; this one never enters a bundle. The .deb is downloaded once into $METALSTORE_CACHE/test-images.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bundle"))
import ociwriter  # noqa: E402

CACHE = os.path.join(os.environ.get("METALSTORE_CACHE", "/var/cache/metalstore"), "test-images")
APPLETS = ["sh", "nslookup", "wget", "cat", "echo", "sleep", "ls", "httpd", "grep", "hostname", "sync", "test"]


def deb():
    os.makedirs(CACHE, exist_ok=True)
    found = sorted(glob.glob(os.path.join(CACHE, "busybox-static_*.deb")))
    if not found:
        if subprocess.run(["apt-cache", "show", "busybox-static"], capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "download", "-qq", "busybox-static"], cwd=CACHE, check=True)
        found = sorted(glob.glob(os.path.join(CACHE, "busybox-static_*.deb")))
    return found[-1]


def main(out):
    path = deb()
    # busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb -> 1.35.0 (epoch and Debian revision dropped)
    version = urllib.parse.unquote(os.path.basename(path).split("_")[1]).split(":")[-1].split("-")[0]
    ref = f"docker.io/library/metalstore-test-busybox:{version}"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", path, tmp], check=True)
        layer = ociwriter.Layer()
        layer.file("bin/busybox", os.path.join(tmp, "bin", "busybox"), 0o755)
        for applet in APPLETS:
            layer.symlink(f"bin/{applet}", "busybox")
        layer.dir("tmp", 0o1777)
        layer.data("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        meta = ociwriter.write_oci_archive(out, ref, layer, cmd=["/bin/sh"], env=["PATH=/bin"])
    print(json.dumps(dict(meta, image=ref)))


if __name__ == "__main__":
    main(sys.argv[1])
