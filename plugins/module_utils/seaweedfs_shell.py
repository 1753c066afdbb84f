# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SeaweedFS's admin channel: `weed shell` run non-interactively. Some settings (quota, remote storage)
exist only there. The shell hangs when the master is unreachable, so every session has a timeout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from ansible.module_utils.basic import env_fallback

from .s3_errors import AdminShellError, ValidationError

SEAWEEDFS_ADMIN_SPEC = dict(
    seaweedfs_master=dict(type="str", fallback=(env_fallback, ["METALSTORE_SEAWEEDFS_MASTER"])),
    seaweedfs_weed_path=dict(type="str", fallback=(env_fallback, ["METALSTORE_WEED"])),
    seaweedfs_timeout=dict(type="int", default=30),
)

# host:port, or host:port.grpcport when the gRPC port is not port+10000 (SeaweedFS's own syntax).
_MASTER_RE = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}(\.\d{1,5})?$")


def find_weed(explicit=None):
    """The weed binary: the explicit path, else PATH, else beside the running Python (a venv's bin/)."""
    candidates = [explicit] if explicit else ["weed", os.path.join(os.path.dirname(sys.executable), "weed")]
    for c in candidates:
        path = shutil.which(c) if os.sep not in c else (c if os.access(c, os.X_OK) else None)
        if path:
            return path
    raise AdminShellError(f"the SeaweedFS 'weed' binary was not found ({explicit or 'PATH'}); "
                          "set seaweedfs_weed_path")


class WeedShell:
    def __init__(self, master, weed_path=None, timeout=30):
        if not master or not _MASTER_RE.match(master):
            raise ValidationError(f"seaweedfs_master must be host:port or host:port.grpcport, got {master!r}")
        self.master = master
        self.weed_path = weed_path
        self.timeout = timeout

    @classmethod
    def from_params(cls, params):
        """The shell of a module's seaweedfs_* options."""
        return cls(params["seaweedfs_master"], params["seaweedfs_weed_path"], params["seaweedfs_timeout"])

    def run(self, *commands, **kwargs):
        """Run commands in one shell session; return stdout. Raise AdminShellError on any 'error:' line.

        binary=True returns stdout as bytes (fs.cat of a protobuf blob). shown= replaces the commands in error
        messages: commands that carry a secret (on stdin, never on a command line) must not be echoed."""
        binary, shown = kwargs.get("binary", False), kwargs.get("shown")
        weed = find_weed(self.weed_path)
        try:
            # Not module.run_command: it has no timeout, and weed shell hangs on an unreachable master.
            proc = subprocess.run(  # pylint: disable=ansible-bad-function
                [weed, "shell", f"-master={self.master}"], input=("\n".join(commands) + "\n").encode(),
                capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise AdminShellError(f"weed shell did not answer within {self.timeout}s: is the SeaweedFS master "
                                  f"{self.master} reachable?") from exc
        out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        errors = [line for line in (out + "\n" + err).splitlines() if line.startswith("error:")]
        if proc.returncode != 0 or errors:
            detail = "; ".join(errors) or err.strip() or f"exit code {proc.returncode}"
            raise AdminShellError(f"weed shell ({shown or '; '.join(commands)}) failed: {detail}")
        return proc.stdout if binary else out


_QUOTA_RE = re.compile(r"bucket quota:\s*(-?\d+)\s*MiB")


def parse_quota(output):
    """MiB from 's3.bucket.quota -op=get' output: 0 = none, negative = set but disabled."""
    m = _QUOTA_RE.search(output)
    if not m:
        raise AdminShellError(f"unexpected answer from s3.bucket.quota: {output.strip()!r}")
    return int(m.group(1))
