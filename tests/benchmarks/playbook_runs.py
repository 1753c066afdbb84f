# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmarks' one way to run a play: write it, time ansible-playbook on it, stop the benchmark on failure."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time


def write(path, plays):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(plays, f)
    return path


def timed_run(path, env=None):
    """(wall seconds, changed= of the recap or -1) of ansible-playbook PATH; exits with its output's tail if it fails."""
    start = time.monotonic()
    proc = subprocess.run(["ansible-playbook", path], capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{path} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    recap = re.search(r"changed=(\d+)", proc.stdout)
    return wall, int(recap.group(1)) if recap else -1
