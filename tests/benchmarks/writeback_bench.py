# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the delay from a PUT through the site to the object being in the cloud, for a bucket placed on a
cloud location, on one real SeaweedFS with a second SeaweedFS on loopback as the S3 cloud. The location and the
placement are made by the collection's modules; the write-back worker is `weed filer.remote.sync` with the
arguments the object-store role's worker Deployment gives it (roles/objectstore/templates/writeback.yaml.j2).
Objects go up one at a time; each is timed from the end of its PUT to the first HEAD in the cloud that finds it
(polled every 10 ms). The lab's figure, through the cluster, comes from tests/objectstore/connectors.py latency (run by hand).

  python tests/benchmarks/writeback_bench.py --objects 100
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "objectstore"))
import seaweedfs_server  # noqa: E402  pylint: disable=wrong-import-position
import playbook_runs  # noqa: E402  pylint: disable=wrong-import-position
import connectors  # noqa: E402  pylint: disable=wrong-import-position

BUCKET = "bench-placed"


def place(info, work):
    cloud = info["cloud"]
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
             "vars": {"ansible_python_interpreter": sys.executable},
             "module_defaults": {
                 "group/metalstore.platform.s3": {"endpoint_url": info["endpoint"], "access_key": info["admin"][0],
                                                  "secret_key": info["admin"][1]},
                 "group/metalstore.platform.seaweedfs_admin": {"seaweedfs_master": info["master"],
                                                               "seaweedfs_weed_path": info["weed"]}},
             "tasks": [
                 {"name": "Location", "metalstore.platform.location": {
                     "name": "bench-cloud", "type": "s3", "allow_private_endpoint": True,
                     "s3": {"endpoint": cloud["endpoint"], "region": "us-east-1", "path_style": True,
                            "access_key": cloud["admin"][0], "secret_key": cloud["admin"][1]}}},
                 {"name": "Placed bucket", "metalstore.platform.bucket": {"name": BUCKET, "location": "bench-cloud"}}]}]
    playbook_runs.timed_run(playbook_runs.write(os.path.join(work, "place.yml"), play))


def client(endpoint, key, secret):
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1", config=Config(retries={"max_attempts": 1},
                                                               s3={"addressing_style": "path"}))


def measure(site, cloud, n, size):
    lat = []
    for i in range(n):
        key = f"obj-{size}-{i:04d}"
        site.put_object(Bucket=BUCKET, Key=key, Body=os.urandom(size))
        lat.append(connectors.seconds_until_in(cloud, BUCKET, key))
    return lat


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=100)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ms-writeback-bench-")
    info = seaweedfs_server.start(work, extra=seaweedfs_server.UNTRUSTED_REMOTES)
    worker = None
    try:
        info["cloud"] = seaweedfs_server.start(os.path.join(work, "cloud"), keys=seaweedfs_server.CLOUD_KEYS)
        place(info, work)
        log = open(os.path.join(work, "writeback.log"), "wb")  # pylint: disable=consider-using-with
        worker = subprocess.Popen([info["weed"], "-logtostderr", "filer.remote.sync", f"-filer={info['filer_grpc']}",
                                   f"-dir=/buckets/{BUCKET}"], stdout=log, stderr=subprocess.STDOUT)
        site = client(info["endpoint"], *info["admin"])
        cloud = client(info["cloud"]["endpoint"], *info["cloud"]["admin"])
        measure(site, cloud, 3, 1024)  # the worker's first events: its subscription starting
        print(f"\nPUT -> cloud, {args.objects} objects one at a time, site and cloud on loopback (weed "
              f"{subprocess.run([info['weed'], 'version'], capture_output=True, text=True, check=False).stdout.split()[2]})")
        for size in (4096, 1024 * 1024):
            lat = measure(site, cloud, args.objects, size)
            q = statistics.quantiles(lat, n=20, method="inclusive")
            print(f"  {size // 1024:>5} KiB: p50 {statistics.median(lat) * 1000:6.0f} ms  p95 {q[18] * 1000:6.0f} ms  "
                  f"max {max(lat) * 1000:6.0f} ms")
    finally:
        if worker:
            worker.terminate()
            worker.wait()
        seaweedfs_server.stop(os.path.join(work, "cloud"))
        seaweedfs_server.stop(work)


if __name__ == "__main__":
    main()
