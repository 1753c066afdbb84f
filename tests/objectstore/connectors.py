"""A bucket placed on a cloud location, on the lab's cluster (docs/connectors.md), run by
tests/objectstore/connector_checks.sh: the cloud is a second SeaweedFS on the lab's gateway address (real SigV4),
started by `cloud-start`, or fake-gcs-server with its token endpoint (tests/gcs_server.py), started by `gcs-start`;
the site is the deployed object store, reached through its HTTPS endpoint.

  connectors.py --client-dir DIR --cloud-dir DIR cloud-start GATEWAY_IP | cloud-stop | vars FILE LOCATION BUCKET
  connectors.py --client-dir DIR --cloud-dir DIR gcs-start GATEWAY_IP | add-gcs-location FILE LOCATION BUCKET
  connectors.py --client-dir DIR --cloud-dir DIR add-location FILE LOCATION | rotate FILE LOCATION
  connectors.py --client-dir DIR --cloud-dir DIR write BUCKET PREFIX N | arrived BUCKET PREFIX TIMEOUT
  connectors.py --client-dir DIR --cloud-dir DIR latency BUCKET N | deleted BUCKET PREFIX COUNT TIMEOUT
  connectors.py --client-dir DIR --cloud-dir DIR absent BUCKET PREFIX | kept BUCKET PREFIX COUNT
  connectors.py --client-dir DIR --cloud-dir DIR from-cloud BUCKET PREFIX N TIMEOUT

`write` puts N objects of mixed sizes (1 B to 1 MiB) through the site and keeps their checksums in the cloud dir;
`arrived` waits
until every one of them is in the cloud bucket with the same content and prints how long that took; `latency` puts
N objects one at a time and measures each from the end of its PUT to its first appearance in the cloud (p50/p95);
`deleted` deletes COUNT of a prefix's objects through the site and waits until the cloud has none of them; `absent`
checks that none of a prefix's objects is in the cloud; `kept` that the COUNT a `deleted` took are still there;
`from-cloud` puts N objects straight into the cloud bucket (someone else's writes) and waits until the site lists
them all, then reads each back through the site.
`add-location` adds this cloud to a vars file as another location, `rotate` switches a location of the file to the
cloud's third identity; `add-gcs-location` adds the GCS cloud as a location with its service account key, BUCKET
placed on it, and the site's GCS endpoint (the checks then read that cloud through GCS's JSON API).
--cloud-bucket names the cloud's bucket when it is not the site bucket's name (replicas); --sums the checksum file
of `write` (default: in the cloud dir), for checking the same objects in a second cloud.
No request is retried: a failed one fails the check."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import client_dir  # noqa: E402  pylint: disable=wrong-import-position
import gcs_server  # noqa: E402  pylint: disable=wrong-import-position
import seaweedfs_server  # noqa: E402  pylint: disable=wrong-import-position


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def s3(endpoint, key, secret, ca=None):
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3, read_timeout=30,
                 s3={"addressing_style": "path"})
    return boto3.session.Session().client("s3", endpoint_url=endpoint, verify=ca if ca else True,
                                          region_name="us-east-1", config=cfg, aws_access_key_id=key,
                                          aws_secret_access_key=secret)


class Clouds:
    def __init__(self, args):
        self.args = args
        self.cloud_dir = args.cloud_dir
        self.sums_path = args.sums or os.path.join(self.cloud_dir, "sums.json")
        self.cloud_bucket = args.cloud_bucket

    @property
    def site(self):
        site = client_dir.read(self.args.client_dir)
        return s3(site["endpoint"], site["key"], site["secret"], site["ca"])

    @property
    def cloud(self):
        with open(os.path.join(self.cloud_dir, "server.json"), encoding="utf-8") as f:
            info = json.load(f)
        return s3(info["endpoint"], *info["admin"])

    def all_sums(self):
        try:
            with open(self.sums_path, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def sums(self, bucket):
        """key -> checksum of what `write` put into the site's BUCKET (kept per bucket: prefixes may repeat)."""
        return self.all_sums().get(bucket, {})

    def gcs(self):
        """The GCS cloud's info, when this cloud dir holds one (gcs-start)."""
        try:
            with open(os.path.join(self.cloud_dir, "gcs.json"), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def cloud_sum(self, bucket, key):
        gcs = self.gcs()
        if gcs:
            url = "%s/storage/v1/b/%s/o/%s?alt=media" % (gcs["endpoint"], self.cloud_bucket or bucket, quote(key, safe=""))
            try:
                with urllib.request.urlopen(url, timeout=30) as resp:
                    return hashlib.sha256(resp.read()).hexdigest()
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                raise
        try:
            return hashlib.sha256(self.cloud.get_object(Bucket=self.cloud_bucket or bucket, Key=key)["Body"].read()).hexdigest()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise


def cmd_cloud_start(c, ip):
    os.makedirs(c.cloud_dir, exist_ok=True)
    info = seaweedfs_server.start(c.cloud_dir, keys=seaweedfs_server.CLOUD_KEYS + (seaweedfs_server.CLOUD_ROTATED,), ip=ip)
    print(f"ok: the lab's cloud (a second SeaweedFS) answers at {info['endpoint']}")


def cmd_cloud_stop(c):
    seaweedfs_server.stop(c.cloud_dir)
    gcs_server.stop(c.cloud_dir)


def cmd_gcs_start(c, ip):
    info = gcs_server.start(c.cloud_dir, ip=ip)
    print(f"ok: the lab's GCS cloud (fake-gcs-server) answers at {info['endpoint']}, its tokens at {info['token_uri']}")


def cmd_add_gcs_location(c, path, location, bucket):
    """The GCS cloud as a location of a vars file made by `vars` (its key inline, as the role takes it), BUCKET
    placed on it, and the site's GCS endpoint."""
    gcs = c.gcs()
    with open(gcs["credentials"], encoding="utf-8") as f:
        key = json.load(f)
    _edit_vars(path, lambda d: (
        d["objectstore_locations"].append({"name": location, "type": "gcs",
                                           "gcs": {"project_id": gcs["project"], "credentials": key}}),
        d["objectstore_buckets"].append({"name": bucket, "location": location, "location_refresh": 5}),
        d.update(objectstore_gcs_endpoint=gcs["endpoint"])))


def cmd_vars(c, path, location, bucket):
    """Extra vars placing BUCKET on LOCATION (a 0600 file: it holds the cloud's keys). The cloud bucket does not
    exist yet: the bucket module makes it through the cloud's API."""
    with open(os.path.join(c.cloud_dir, "server.json"), encoding="utf-8") as f:
        info = json.load(f)
    data = {"objectstore_allow_private_endpoints": True,
            "objectstore_locations": [_location(info, location, info["admin"])],
            # A short listing refresh: objects written to the cloud by others show up within seconds.
            "objectstore_buckets": [{"name": bucket, "location": location, "location_refresh": 5}]}
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(data, f)


def _location(info, name, key):
    return {"name": name, "type": "s3", "s3": {"endpoint": info["endpoint"], "region": "us-east-1", "path_style": True,
                                               "access_key": key[0], "secret_key": key[1]}}


def _edit_vars(path, change):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    change(data)
    with open(os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(data, f)


def cmd_add_location(c, path, location):
    """This cloud as one more location of a vars file made by `vars`."""
    with open(os.path.join(c.cloud_dir, "server.json"), encoding="utf-8") as f:
        info = json.load(f)
    _edit_vars(path, lambda d: d["objectstore_locations"].append(_location(info, location, info["admin"])))


def cmd_rotate(c, path, location):
    """The location's keys switched to the cloud's third identity (a key rotation at the cloud provider)."""
    with open(os.path.join(c.cloud_dir, "server.json"), encoding="utf-8") as f:
        info = json.load(f)
    new = _location(info, location, seaweedfs_server.CLOUD_ROTATED)
    _edit_vars(path, lambda d: d.update(objectstore_locations=[
        new if loc["name"] == location else loc for loc in d["objectstore_locations"]]))


def cmd_write(c, bucket, prefix, n):
    rng = random.Random(prefix)
    every = c.all_sums()
    sums = every.setdefault(bucket, {})
    site = c.site
    for i in range(n):
        # Not empty: the engine's write-back (4.48) never copies an empty object (docs/connectors.md).
        body = os.urandom(rng.choice([1, 1024, 64 * 1024, 1024 * 1024 + 7]))
        key = f"{prefix}/obj-{i:03d}"
        site.put_object(Bucket=bucket, Key=key, Body=body)
        sums[key] = hashlib.sha256(body).hexdigest()
    with open(c.sums_path, "w", encoding="utf-8") as f:
        json.dump(every, f)
    print(f"ok: {n} objects written through the site into {bucket}/{prefix}/")


def cmd_arrived(c, bucket, prefix, timeout):
    want = {k: v for k, v in c.sums(bucket).items() if k.startswith(prefix + "/")}
    start, missing = time.monotonic(), dict(want)
    while missing and time.monotonic() - start < timeout:
        for key in list(missing):
            got = c.cloud_sum(bucket, key)
            if got == missing[key]:
                del missing[key]
            elif got is not None:
                fail(f"{key} in the cloud has other content than was written through the site")
        if missing:
            time.sleep(0.5)
    if missing:
        fail(f"{len(missing)} of {len(want)} objects of {prefix}/ not in the cloud after {timeout} s: "
             f"{sorted(missing)[:5]}")
    print(f"ok: all {len(want)} objects of {prefix}/ in the cloud with the right content "
          f"({time.monotonic() - start:.1f} s after the last write)")


def cmd_kept(c, bucket, prefix, count):
    """The objects a `deleted` of the same prefix and count removed on the site are still in the cloud (a replica
    without delete copying)."""
    sums = c.sums(bucket)
    keys = sorted(k for k in sums if k.startswith(prefix + "/"))[:count]
    gone = [k for k in keys if c.cloud_sum(bucket, k) != sums[k]]
    if gone:
        fail(f"{len(gone)} objects deleted on the site are gone from (or changed in) the cloud: {gone[:5]}")
    print(f"ok: the {len(keys)} objects deleted on the site are kept in the cloud")


def cmd_absent(c, bucket, prefix):
    """None of a prefix's objects is in the cloud (while no worker runs, nothing else copies them)."""
    there = [k for k in c.sums(bucket) if k.startswith(prefix + "/") and c.cloud_sum(bucket, k) is not None]
    if there:
        fail(f"{len(there)} objects of {prefix}/ reached the cloud without a write-back worker: {there[:5]}")
    print(f"ok: no object of {prefix}/ in the cloud while the worker is stopped")


def seconds_until_in(cloud, bucket, key, timeout=60):
    """Seconds from now until a HEAD in the cloud finds KEY (polled every 10 ms); fails after TIMEOUT."""
    start = time.monotonic()
    while True:
        try:
            cloud.head_object(Bucket=bucket, Key=key)
            return time.monotonic() - start
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("404", "NoSuchKey"):
                raise
        if time.monotonic() - start > timeout:
            fail(f"{key} not in the cloud {timeout} s after its PUT")
        time.sleep(0.01)


def cmd_latency(c, bucket, n):
    site, cloud, lat = c.site, c.cloud, []
    for i in range(n):
        key = f"latency/obj-{i:03d}"
        site.put_object(Bucket=bucket, Key=key, Body=os.urandom(4096))
        lat.append(seconds_until_in(cloud, c.cloud_bucket or bucket, key))
    q = statistics.quantiles(lat, n=20, method="inclusive")
    print(f"ok: PUT -> cloud over {n} objects of 4 KiB: p50 {statistics.median(lat):.3f} s, p95 {q[18]:.3f} s, "
          f"max {max(lat):.3f} s")


def cmd_from_cloud(c, bucket, prefix, n, timeout):
    cloud, site, bodies = c.cloud, c.site, {}
    for i in range(n):
        key = f"{prefix}/obj-{i:03d}"
        bodies[key] = os.urandom(1024 + i)
        cloud.put_object(Bucket=c.cloud_bucket or bucket, Key=key, Body=bodies[key])
    start, listed = time.monotonic(), set()
    while time.monotonic() - start < timeout:
        pages = site.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
        listed = {o["Key"] for page in pages for o in page.get("Contents", [])}
        if set(bodies) <= listed:
            break
        time.sleep(1)
    else:
        fail(f"{len(set(bodies) - listed)} of the {n} objects written to the cloud not listed by the site after {timeout} s")
    seconds = time.monotonic() - start
    wrong = [k for k, body in bodies.items() if site.get_object(Bucket=bucket, Key=k)["Body"].read() != body]
    if wrong:
        fail(f"{len(wrong)} objects written to the cloud read back other content through the site: {wrong[:5]}")
    print(f"ok: {n} objects written straight into the cloud listed by the site after {seconds:.1f} s, and read back")


def cmd_deleted(c, bucket, prefix, count, timeout):
    keys = sorted(k for k in c.sums(bucket) if k.startswith(prefix + "/"))[:count]
    site = c.site
    for key in keys:
        site.delete_object(Bucket=bucket, Key=key)
    start, left = time.monotonic(), list(keys)
    while left and time.monotonic() - start < timeout:
        left = [k for k in left if c.cloud_sum(bucket, k) is not None]
        if left:
            time.sleep(0.5)
    if left:
        fail(f"{len(left)} objects deleted through the site are still in the cloud after {timeout} s")
    print(f"ok: {len(keys)} objects deleted through the site are gone from the cloud "
          f"({time.monotonic() - start:.1f} s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client-dir", required=True)
    ap.add_argument("--cloud-dir", required=True)
    ap.add_argument("--cloud-bucket", help="the cloud's bucket, when it is not named as the site's")
    ap.add_argument("--sums", help="the checksums of `write` (default: CLOUD_DIR/sums.json)")
    ap.add_argument("command")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    c = Clouds(a)
    commands = {"cloud-start": (cmd_cloud_start, [str]), "cloud-stop": (cmd_cloud_stop, []),
                "vars": (cmd_vars, [str, str, str]), "write": (cmd_write, [str, str, int]),
                "gcs-start": (cmd_gcs_start, [str]), "add-gcs-location": (cmd_add_gcs_location, [str, str, str]),
                "arrived": (cmd_arrived, [str, str, float]), "absent": (cmd_absent, [str, str]), "latency": (cmd_latency, [str, int]),
                "deleted": (cmd_deleted, [str, str, int, float]), "kept": (cmd_kept, [str, str, int]),
                "add-location": (cmd_add_location, [str, str]), "rotate": (cmd_rotate, [str, str]),
                "from-cloud": (cmd_from_cloud, [str, str, int, float])}
    if a.command not in commands or len(a.args) != len(commands[a.command][1]):
        ap.error(f"unknown command or wrong arguments: {a.command} {a.args}")
    func, types = commands[a.command]
    func(c, *[t(v) for t, v in zip(types, a.args)])


if __name__ == "__main__":
    main()
