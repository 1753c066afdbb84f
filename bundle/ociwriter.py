"""Write single-layer OCI image archives with the standard library only (no daemon, no registry).

The result is an OCI image layout packed in a tar ("oci-archive"), which `ctr images import`,
`skopeo copy oci-archive:...` and `podman load` accept. Output is reproducible: entries are sorted,
owners and timestamps fixed (SOURCE_DATE_EPOCH) and gzip carries no timestamp.
"""
import gzip
import hashlib
import io
import json
import os
import tarfile
import time

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _epoch():
    return int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


def split_ref(ref):
    """'registry.k8s.io/pause:3.4' -> ('registry.k8s.io/pause', '3.4')."""
    name, _sep, tag = ref.rpartition(":")
    if not name or "/" in tag:
        raise ValueError(f"image reference needs a tag: {ref}")
    return name, tag


class Layer:
    """Collects files for one layer; parent directories are added automatically."""

    def __init__(self):
        self.entries = {}  # path -> (type, source-or-target, mode)

    def _parents(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.entries.setdefault("/".join(parts[:i]), ("dir", None, 0o755))

    def file(self, dst, src, mode=None):
        dst = dst.strip("/")
        self._parents(dst)
        if mode is None:
            mode = 0o755 if os.access(src, os.X_OK) else 0o644
        self.entries[dst] = ("file", src, mode)

    def data(self, dst, content, mode=0o644):
        dst = dst.strip("/")
        self._parents(dst)
        self.entries[dst] = ("data", content.encode() if isinstance(content, str) else content, mode)

    def symlink(self, dst, target):
        dst = dst.strip("/")
        self._parents(dst)
        self.entries[dst] = ("symlink", target, 0o777)

    def dir(self, dst, mode=0o755):
        dst = dst.strip("/")
        self._parents(dst + "/x")
        self.entries[dst] = ("dir", None, mode)

    def tar_bytes(self):
        buf = io.BytesIO()
        mtime = _epoch()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(self.entries):
                kind, src, mode = self.entries[path]
                info = tarfile.TarInfo(path)
                info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = mtime, mode, 0, 0, "", ""
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif kind == "symlink":
                    info.type, info.linkname = tarfile.SYMTYPE, src
                    tar.addfile(info)
                elif kind == "data":
                    info.size = len(src)
                    tar.addfile(info, io.BytesIO(src))
                else:
                    info.size = os.path.getsize(src)
                    with open(src, "rb") as f:
                        tar.addfile(info, f)
        return buf.getvalue()


def _blob(tar, data, mtime):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest.split(":", 1)[1])
    info.size, info.mtime, info.mode = len(data), mtime, 0o644
    tar.addfile(info, io.BytesIO(data))
    return {"digest": digest, "size": len(data)}


def _json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def write_oci_archive(out, ref, layer, entrypoint=None, cmd=None, env=None, workdir="/", labels=None, user=None):
    """Write `layer` as image `ref` to the OCI archive `out`. Returns manifest and config digests."""
    tag = split_ref(ref)[1]
    mtime = _epoch()
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))
    raw = layer.tar_bytes()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", compresslevel=6, mtime=0) as g:
        g.write(raw)
    layer_gz = gz.getvalue()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Env": env or [f"PATH={DEFAULT_PATH}"],
            "Entrypoint": entrypoint,
            "Cmd": cmd,
            "WorkingDir": workdir,
            **({"User": user} if user else {}),
            "Labels": labels or {},
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
        "history": [{"created": created, "created_by": "metalstore bundle/ociwriter.py"}],
    }
    tmp = out + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("oci-layout")
        data = _json({"imageLayoutVersion": "1.0.0"})
        info.size, info.mtime, info.mode = len(data), mtime, 0o644
        tar.addfile(info, io.BytesIO(data))
        layer_desc = dict(_blob(tar, layer_gz, mtime), mediaType=OCI_LAYER_GZIP)
        config_desc = dict(_blob(tar, _json(config), mtime), mediaType=OCI_CONFIG)
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_desc, "layers": [layer_desc]}
        manifest_desc = dict(_blob(tar, _json(manifest), mtime), mediaType=OCI_MANIFEST)
        # containerd names the image from io.containerd.image.name; other tools use ref.name (the tag).
        manifest_desc["annotations"] = {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": tag}
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [manifest_desc]}
        data = _json(index)
        info = tarfile.TarInfo("index.json")
        info.size, info.mtime, info.mode = len(data), mtime, 0o644
        tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, out)
    return {"digest": manifest_desc["digest"], "config_digest": config_desc["digest"]}
