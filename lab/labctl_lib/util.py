"""Small helpers shared by the lab commands: logging, running commands, locking."""
from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_HOME = Path("/var/lib/metalstore-lab")


class LabError(Exception):
    """A problem reported to the user as one clear line, without a traceback."""


def log(msg: str) -> None:
    print(f"\033[1m==> {msg}\033[0m" if sys.stderr.isatty() else f"==> {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], *, check: bool = True, capture: bool = True, env: dict | None = None,
        input_text: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, check=False, text=True, env=env, input=input_text,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip() if capture else ""
        raise LabError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{detail}")
    return proc


@contextlib.contextmanager
def locked(path: Path):
    """Serialise lab operations (image build, network allocation) between concurrent runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


class Timer:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def __str__(self) -> str:
        return f"{time.monotonic() - self.start:.1f}s"


def lab_home() -> Path:
    """Machine-level state: podman config and storage, loop-disk files. Survives fresh clones."""
    return Path(os.environ.get("METALSTORE_LAB_HOME") or DEFAULT_HOME)


def cache_dir() -> Path:
    """Machine-level cache of built node-image tarballs, keyed by recipe hash."""
    return Path(os.environ.get("METALSTORE_CACHE") or "/var/cache/metalstore")
