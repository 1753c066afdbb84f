"""File-backed loop devices passed into nodes as data disks, so disk roles never touch the host's disks."""
from __future__ import annotations

import json
import os
from pathlib import Path

from .util import lab_home, run


def disk_dir(lab: str) -> Path:
    return lab_home() / "disks" / lab


def attach(lab: str, node: str, device: str, size: str) -> str:
    """Create (sparse) and attach the backing file of NODE's DEVICE; return the host loop device. Idempotent."""
    path = disk_dir(lab) / f"{node}-{device}.img"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = loops_of(path)
    if current:
        return current[0]
    if not path.exists():
        run(["truncate", "-s", size, str(path)])
    # --partscan: partitions made inside a node get kernel devices (loopNpM), which the node's lab-partitions
    # service turns into /dev/vdXN like udev would on a host.
    return run(["losetup", "--find", "--show", "--partscan", str(path)]).stdout.strip()


def expose(container: str, loop: str, device: str) -> None:
    """Create /dev/DEVICE in the node for the host's LOOP. podman 4.3 ignores --device on privileged
    containers, and the node's /dev is rebuilt on every start, so this runs after each (re)start."""
    from . import podman as pm  # late import: podman.py imports nothing from here, keep it that way

    st = os.stat(loop)
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    pm.podman("exec", container, "sh", "-c",
              f'[ -b /dev/{device} ] && [ "$(stat -c %t:%T /dev/{device})" = "{major:x}:{minor:x}" ] || '
              f"{{ rm -f /dev/{device}; mknod -m 0660 /dev/{device} b {major} {minor}; chgrp disk /dev/{device}; }}")


def loops_of(path: Path) -> list[str]:
    out = run(["losetup", "-j", str(path), "-O", "NAME", "-n"], check=False).stdout
    return out.split()


def detach_all(lab: str) -> list[str]:
    removed = []
    d = disk_dir(lab)
    if not d.exists():
        return removed
    for img in sorted(d.glob("*.img")):
        for loop in loops_of(img):
            run(["losetup", "-d", loop])
            removed.append(f"loop device {loop} ({img.name})")
        img.unlink()
    d.rmdir()
    return removed


def all_lab_loops() -> list[dict]:
    """Loop devices backed by any lab's disk files (for status and leak checks)."""
    data = json.loads(run(["losetup", "-J", "-l"], check=False).stdout or '{"loopdevices": []}')
    root = str(lab_home() / "disks")
    return [d for d in data.get("loopdevices", []) if (d.get("back-file") or "").startswith(root)]
