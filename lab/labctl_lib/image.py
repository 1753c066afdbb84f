"""The node image: a minimal Debian 12 root filesystem from Debian's packages, imported into podman.

Built only when the recipe (package list + customize script) changed; the rootfs tarball is cached per
recipe hash under the machine-level cache so fresh clones and CI runs on the same machine import it in seconds.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import podman as pm
from .util import LabError, Timer, cache_dir, lab_home, locked, log, run

RECIPE_DIR = Path(__file__).resolve().parents[1] / "node-image"
SUITE = "bookworm"
REPO_NAME = "localhost/metalstore-node"
LATEST = f"{REPO_NAME}:latest"


def packages() -> list[str]:
    lines = (RECIPE_DIR / "packages.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def recipe_hash() -> str:
    h = hashlib.sha256(SUITE.encode())
    for name in ("packages.txt", "customize.sh"):
        h.update((RECIPE_DIR / name).read_bytes())
    return h.hexdigest()[:12]


def image_ref() -> str:
    return f"{REPO_NAME}:{recipe_hash()}"


def mirror() -> str:
    """The Debian mirror apt already uses on this host (or LAB_MIRROR)."""
    if os.environ.get("LAB_MIRROR"):
        return os.environ["LAB_MIRROR"]
    src = Path("/etc/apt/sources.list.d/debian.sources")
    if src.exists():
        for line in src.read_text(encoding="utf-8").splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    return "http://deb.debian.org/debian"


def build_rootfs_tar(tar_path: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="metalstore-rootfs-", dir=str(lab_home())))
    rootfs = work / "rootfs"
    try:
        t = Timer()
        log(f"debootstrap {SUITE} (minbase + {len(packages())} packages) from {mirror()}")
        run(["debootstrap", "--variant=minbase", f"--include={','.join(packages())}", SUITE, str(rootfs), mirror()])
        log(f"debootstrap done in {t}; customizing")
        shutil.copy(RECIPE_DIR / "customize.sh", rootfs / "tmp/customize.sh")
        run(["chroot", str(rootfs), "/bin/sh", "/tmp/customize.sh"])
        (rootfs / "tmp/customize.sh").unlink(missing_ok=True)
        partial = tar_path.with_suffix(".partial")
        run(["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(partial), "."])
        partial.rename(tar_path)
    finally:
        # debootstrap may leave /proc etc. mounted inside the rootfs if it failed half way.
        for sub in ("proc", "sys", "dev/pts", "dev"):
            subprocess.run(["umount", "-l", str(rootfs / sub)], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


def ensure_image(force: bool = False) -> str:
    """Return the image reference for the current recipe, building or importing it when missing."""
    pm.ensure_prereqs()
    ref = image_ref()
    with locked(lab_home() / "image.lock"):
        if pm.image_exists(ref) and not force:
            pm.podman("tag", ref, LATEST)
            return ref
        t = Timer()
        cache = cache_dir() / "node-image"
        cache.mkdir(parents=True, exist_ok=True)
        tar_path = cache / f"{recipe_hash()}.tar"
        if force or not tar_path.exists():
            build_rootfs_tar(tar_path)
        log(f"importing {tar_path} as {ref}")
        pm.podman("import", "--change", 'ENTRYPOINT ["/usr/local/sbin/lab-init"]', "--change", "STOPSIGNAL SIGRTMIN+3",
                  str(tar_path), ref)
        pm.podman("tag", ref, LATEST)
        # Images of older recipes are dead weight (kept if a container still uses them).
        for old in pm.podman("images", REPO_NAME, "--format", "{{.Repository}}:{{.Tag}}").stdout.split():
            if old not in (ref, LATEST):
                pm.podman("rmi", old, check=False)
        for old_tar in cache.glob("*.tar"):
            if old_tar != tar_path:
                old_tar.unlink()
        log(f"node image {ref} ready in {t}")
        return ref


def remove_image() -> list[str]:
    removed = []
    if pm.available():
        for ref in pm.podman("images", REPO_NAME, "--format", "{{.Repository}}:{{.Tag}}").stdout.split():
            if pm.podman("rmi", ref, check=False).returncode == 0:
                removed.append(f"image {ref}")
    if not removed and pm.available() and pm.image_exists(LATEST):
        raise LabError("node image is still used by containers")
    return removed
