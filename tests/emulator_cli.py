"""What the cloud emulators' helpers (azurite_server.py, gcs_server.py) share: the JSON a started emulator leaves in
its work directory, and the `start WORKDIR | stop WORKDIR` command line."""

from __future__ import annotations

import json
import os
import sys


def save(workdir, name, info):
    """info, also written to WORKDIR/NAME.json for the processes that did not start the emulator."""
    with open(os.path.join(workdir, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(info, f)
    return info


def main(doc, start, stop):
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(doc)
    if sys.argv[1] == "start":
        print(json.dumps(start(sys.argv[2])))
    else:
        stop(sys.argv[2])
