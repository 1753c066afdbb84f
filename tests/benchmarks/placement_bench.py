# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: N buckets placed on a cloud location, against the same N buckets without a placement, on one real
SeaweedFS with a second SeaweedFS on loopback as the S3 cloud (tests/seaweedfs_server.py --cloud, without Azurite).
Converge, then re-run with nothing to change, with metalstore.platform.buckets (one task for all) and
metalstore.platform.bucket (looped). Prints wall times, the no-op's cost of placements against plain buckets from the
same run, S3 requests (site and cloud, counted by a botocore hook, see callcount/) and admin-shell invocations
(counted by a wrapper around weed) per bucket.

  python tests/benchmarks/placement_bench.py --buckets 50
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import seaweedfs_server  # noqa: E402  pylint: disable=wrong-import-position
import playbook_runs  # noqa: E402  pylint: disable=wrong-import-position

LOCATION = "bench-cloud"


def plays(info, weed, n):
    conn = {"endpoint_url": info["endpoint"], "access_key": info["admin"][0], "secret_key": info["admin"][1]}
    admin = {"seaweedfs_master": info["master"], "seaweedfs_weed_path": weed}
    common = {"hosts": "localhost", "gather_facts": False, "connection": "local",
              "vars": {"ansible_python_interpreter": sys.executable},
              "module_defaults": {"group/metalstore.platform.s3": conn,
                                  "group/metalstore.platform.seaweedfs_admin": admin}}
    cloud = info["cloud"]
    location = dict(common, name="location", tasks=[{"name": "Location", "metalstore.platform.location": {
        "name": LOCATION, "type": "s3", "allow_private_endpoint": True,
        "s3": {"endpoint": cloud["endpoint"], "region": "us-east-1", "path_style": True,
               "access_key": cloud["admin"][0], "secret_key": cloud["admin"][1]}}}])
    tags = {"team": "bench"}
    plain = dict(common, name="buckets, plain", tasks=[{"name": "Buckets", "metalstore.platform.buckets": {
        "buckets": [{"name": f"bench-plain-{i:03d}", "tags": tags} for i in range(n)]}}])
    placed = dict(common, name="buckets, placed", tasks=[{"name": "Buckets", "metalstore.platform.buckets": {
        "buckets": [{"name": f"bench-placed-{i:03d}", "tags": tags, "location": LOCATION} for i in range(n)]}}])
    looped = dict(common, name="bucket, placed", vars=dict(common["vars"], names=[f"bench-loop-{i:03d}" for i in range(n)]),
                  tasks=[{"name": "Bucket", "metalstore.platform.bucket": {
                      "name": "{{ item }}", "tags": tags, "location": LOCATION}, "loop": "{{ names }}"}])
    return location, {"buckets, plain": plain, "buckets, placed": placed, "bucket loop, placed": looped}


def count(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def run(play, work, env):
    path = playbook_runs.write(os.path.join(work, re.sub(r"\W+", "-", play["name"]) + ".yml"), [play])
    for log in (env["METALSTORE_CALL_LOG"], env["BENCH_SHELL_LOG"]):
        open(log, "w", encoding="utf-8").close()
    wall, changed = playbook_runs.timed_run(path, env)
    return {"wall_s": round(wall, 2), "changed": changed, "s3_calls": count(env["METALSTORE_CALL_LOG"]),
            "shell_runs": count(env["BENCH_SHELL_LOG"])}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--buckets", type=int, default=50)
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ms-placement-bench-")
    info = seaweedfs_server.start(work, extra=seaweedfs_server.UNTRUSTED_REMOTES)
    try:
        info["cloud"] = seaweedfs_server.start(os.path.join(work, "cloud"), keys=seaweedfs_server.CLOUD_KEYS)
        # Every admin-shell invocation of the modules goes through this wrapper, which logs one line and runs weed.
        weed = os.path.join(work, "weed-counted")
        with open(weed, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\necho "$*" >> "$BENCH_SHELL_LOG"\nexec {info["weed"]} "$@"\n')
        os.chmod(weed, 0o755)
        env = dict(os.environ, METALSTORE_CALL_LOG=os.path.join(work, "calls.log"),
                   BENCH_SHELL_LOG=os.path.join(work, "shell.log"),
                   PYTHONPATH=os.pathsep.join(filter(None, [os.path.join(HERE, "callcount"),
                                                            os.environ.get("PYTHONPATH")])),
                   ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
        location, cases = plays(info, weed, args.buckets)
        run(location, work, env)
        results = {name: {phase: run(play, work, env) for phase in ("converge", "noop")}
                   for name, play in cases.items()}
    finally:
        seaweedfs_server.stop(os.path.join(work, "cloud"))
        seaweedfs_server.stop(work)
    n = args.buckets
    print(f"\nBuckets: {n}, each with a tag; placed ones on one S3 location (a second SeaweedFS on loopback)")
    print(f"{'case':<22} {'run':<9} {'wall s':>7} {'changed':>8} {'S3/bucket':>10} {'shell runs':>11}")
    for name, phases in results.items():
        for phase, r in phases.items():
            print(f"{name:<22} {phase:<9} {r['wall_s']:>7.1f} {r['changed']:>8} {r['s3_calls'] / n:>10.1f} "
                  f"{r['shell_runs']:>11}")
    plain, placed = results["buckets, plain"]["noop"], results["buckets, placed"]["noop"]
    print(f"\nno-op of {n} placed buckets: {placed['wall_s']:.1f} s, {placed['wall_s'] / plain['wall_s']:.2f}x the "
          f"plain buckets' {plain['wall_s']:.1f} s in the same run")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    broken = [name for name, phases in results.items() if phases["noop"]["changed"] != 0
              or phases["converge"]["changed"] == 0]
    if broken:
        sys.exit(f"converge changed nothing or the no-op run changed something: {broken}")


if __name__ == "__main__":
    main()
