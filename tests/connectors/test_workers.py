# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's cloud workers on loopback, configured exactly as the object-store role configures them on the
cluster (the collection's replication_toml filter; the worker arguments of roles/objectstore/templates): a real
SeaweedFS as the site, a second SeaweedFS as the S3 cloud (real SigV4, its own keys), Azurite over HTTPS as the
Azure cloud and fake-gcs-server as Google Cloud Storage. Run by scripts/test.d/40-integration-s3.sh.

- one bucket replicated to two locations at once (S3 without delete copying, Azure with it): 50 objects arrive in
  both with the same content under the same keys; deletes reach Azure only;
- a cloud outage of a minute while writing: every local write succeeds, and once the cloud is back every object
  arrives, for a replicated and for a placed bucket (write-back); the catch-up time is printed;
- a location's key rotated to another identity of the cloud: the worker resumes from its checkpoint with the new
  key and data keeps flowing;
- GCS: a placed bucket written back (50 objects with their content; the cloud's own object listed and read through
  the site; deletes reach the cloud), and the engine defect that keeps replicas off gcs locations.
No request is retried: a failed one fails the test."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import azurite_server  # noqa: E402  pylint: disable=wrong-import-position
import gcs_server  # noqa: E402  pylint: disable=wrong-import-position
import seaweedfs_server as ss  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.metalstore.platform.plugins.filter.connectors import (  # noqa: E402
    replication_toml, replication_workers)
from ansible_collections.metalstore.platform.plugins.module_utils.azure_blob import AzureBlob  # noqa: E402
from ansible_collections.metalstore.platform.plugins.module_utils.gcs_storage import canonical_credentials  # noqa: E402

ROTATED = ss.CLOUD_ROTATED
OUTAGE_S = int(os.environ.get("CONNECTOR_OUTAGE_SECONDS", "60"))


def s3(info, key=None):
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel
    key = key or info["admin"]
    return boto3.client("s3", endpoint_url=info["endpoint"], aws_access_key_id=key[0], aws_secret_access_key=key[1],
                        region_name="us-east-1", config=Config(retries={"max_attempts": 1}, connect_timeout=3,
                                                               read_timeout=30, s3={"addressing_style": "path"}))


@pytest.fixture(scope="module")
def clouds():
    work = tempfile.mkdtemp(prefix="connectors.", dir=os.environ.get("TMPDIR"))
    azure = azurite_server.start(os.path.join(work, "azure"))
    gcs = gcs_server.start(os.path.join(work, "gcs"))
    engine_env = {"SSL_CERT_FILE": azure["trust"], "STORAGE_EMULATOR_HOST": gcs["emulator_host"]}
    site = ss.start(os.path.join(work, "site"), extra=ss.UNTRUSTED_REMOTES, env=engine_env)
    cloud = ss.start(os.path.join(work, "cloud"), keys=ss.CLOUD_KEYS + (ROTATED,))
    env = {"work": work, "site": site, "cloud": cloud, "azure": azure, "gcs": gcs, "engine_env": engine_env,
           "workers": []}
    yield env
    for w in env["workers"]:
        w.stop()
    ss.stop(os.path.join(work, "cloud"))
    ss.stop(os.path.join(work, "site"))
    azurite_server.stop(os.path.join(work, "azure"))
    gcs_server.stop(os.path.join(work, "gcs"))
    shutil.rmtree(work, ignore_errors=True)


def locations(env, s3_key=None):
    cloud, azure = env["cloud"], env["azure"]
    key = s3_key or cloud["admin"]
    return [{"name": "aws-test", "type": "s3", "s3": {"endpoint": cloud["endpoint"], "region": "us-east-1",
                                                      "path_style": True, "access_key": key[0], "secret_key": key[1]}},
            {"name": "azure-test", "type": "azure", "azure": {"account_name": azure["account"],
                                                              "account_key": azure["key"],
                                                              "endpoint": azure["endpoint"]}}]


class Worker:
    """One engine worker as the role's Deployment runs it: the same subcommand and arguments, its
    replication.toml in its working directory, the site's filer for -filer."""

    def __init__(self, env, name, args, toml=None):
        self.dir = os.path.join(env["work"], name)
        os.makedirs(self.dir, exist_ok=True)
        if toml is not None:
            with open(os.open(os.path.join(self.dir, "replication.toml"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                              0o600), "w", encoding="utf-8") as f:
                f.write(toml)
        self.argv = [env["site"]["weed"], "-logtostderr"] + args[:1] + ["-filer=" + env["site"]["filer_grpc"]] + args[1:]
        self.env = dict(os.environ, **env["engine_env"])
        self.proc = None
        env["workers"].append(self)
        self.start()

    def start(self):
        log = open(os.path.join(self.dir, "worker.log"), "ab")
        self.proc = subprocess.Popen(self.argv, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def log(self):
        with open(os.path.join(self.dir, "worker.log"), encoding="utf-8", errors="replace") as f:
            return f.read()


def replica(env, bucket, location, copy_deletes, cloud_bucket, locs=None):
    locs = locs or locations(env)
    plan = replication_workers([{"name": bucket, "replicate_to": [
        {"location": location, "bucket": cloud_bucket, "copy_deletes": copy_deletes}]}], locs)
    assert plan["problems"] == []
    w = plan["workers"][0]
    args = ["filer.backup", "-filerPath=/buckets/" + bucket, "-doDeleteFiles=" + str(copy_deletes).lower()]
    return Worker(env, w["name"], args, replication_toml(w, next(loc for loc in locs if loc["name"] == location)))


def write(client, bucket, prefix, n, seed):
    rng, sums = random.Random(seed), {}
    for i in range(n):
        # Not empty: the engine's write-back never copies an empty object (docs/connectors.md).
        body = os.urandom(rng.choice([1, 1024, 64 * 1024, 1024 * 1024 + 7]))
        key = "%s/obj-%03d" % (prefix, i)
        client.put_object(Bucket=bucket, Key=key, Body=body)
        sums[key] = hashlib.sha256(body).hexdigest()
    return sums


def s3_sum(client, bucket, key):
    from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel
    try:
        return hashlib.sha256(client.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise


def azure_client(env):
    a = env["azure"]
    return AzureBlob(a["account"], a["key"], a["endpoint"], a["ca"])


def azure_sum(blob, container, key):
    status, body = blob.request("GET", "%s/%s" % (container, key), {}, "Get Blob")
    return None if status == 404 else hashlib.sha256(body).hexdigest()


def azure_keys(blob, container):
    dummy, body = blob.request("GET", container, {"restype": "container", "comp": "list"}, "List Blobs")
    return set(re.findall(r"<Name>([^<]+)</Name>", body.decode()))


def gcs(env, method, path, body=None, upload=False):
    """(status, bytes) of one call to the GCS emulator's JSON API."""
    base = env["gcs"]["endpoint"] + ("/upload" if upload else "") + "/storage/v1/"
    req = urllib.request.Request(base + path, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return 404, b""
        raise


def gcs_sum(env, bucket, key):
    status, body = gcs(env, "GET", "b/%s/o/%s?alt=media" % (bucket, quote(key, safe="")))
    return None if status == 404 else hashlib.sha256(body).hexdigest()


def gcs_keys(env, bucket):
    dummy, body = gcs(env, "GET", "b/%s/o?maxResults=1000" % bucket)
    return {o["name"] for o in json.loads(body).get("items") or []}


def gcs_bucket(env, name):
    gcs(env, "POST", "b?project=" + env["gcs"]["project"], json.dumps({"name": name}).encode())


def wait_until(what, check, timeout):
    """Seconds until check() is true; fails the test with what after timeout."""
    start = time.monotonic()
    while True:
        missing = check()
        if not missing:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            pytest.fail("%s: still %d missing after %d s, e.g. %s" % (what, len(missing), timeout, sorted(missing)[:3]))
        time.sleep(0.5)


def test_replicated_to_two_locations_at_once(clouds):
    site, cloud = s3(clouds["site"]), s3(clouds["cloud"])
    blob = azure_client(clouds)
    site.create_bucket(Bucket="twice")
    cloud.create_bucket(Bucket="twice-aws")
    blob.create_container("twice-azure")
    replica(clouds, "twice", "aws-test", False, "twice-aws")
    replica(clouds, "twice", "azure-test", True, "twice-azure")
    sums = write(site, "twice", "burst", 50, "twice")
    took = wait_until("objects in the S3 cloud", lambda: [k for k, v in sums.items()
                                                          if s3_sum(cloud, "twice-aws", k) != v], 120)
    print("50 objects in the S3 cloud after %.1f s" % took)
    wait_until("objects in Azure", lambda: [k for k, v in sums.items() if azure_sum(blob, "twice-azure", k) != v], 120)
    deleted = sorted(sums)[:10]
    site.delete_objects(Bucket="twice", Delete={"Objects": [{"Key": k} for k in deleted]})
    wait_until("deletes copied to Azure", lambda: [k for k in deleted if k in azure_keys(blob, "twice-azure")], 60)
    time.sleep(3)  # the S3 worker has had as long to (wrongly) copy them
    kept = [k for k in deleted if s3_sum(cloud, "twice-aws", k) != sums[k]]
    assert kept == [], "deletes reached the S3 cloud although copy_deletes is false: %s" % kept
    assert azure_keys(blob, "twice-azure") == set(sums) - set(deleted)


def shell(env, commands):
    """The site's admin shell, in the engine's environment (a GCS mount lists the bucket from the shell itself)."""
    out = subprocess.run([env["site"]["weed"], "shell", "-master=" + env["site"]["master"]], input=commands.encode(),
                         capture_output=True, timeout=60, check=False, env=dict(os.environ, **env["engine_env"]))
    assert out.returncode == 0 and b"error:" not in out.stdout, out.stdout + out.stderr


def mount(env, bucket, cloud_bucket):
    """A placed bucket, as metalstore.platform.bucket places it (the engine's remote mount)."""
    cloud = env["cloud"]
    shell(env, "remote.configure -name=awsXplaced -type=s3 -s3.access_key=%s -s3.secret_key=%s -s3.endpoint=%s "
          "-s3.region=us-east-1 -s3.force_path_style=true\nremote.mount -dir=/buckets/%s -remote=awsXplaced/%s\n"
          % (cloud["admin"][0], cloud["admin"][1], cloud["endpoint"], bucket, cloud_bucket))


def test_gcs_placed(clouds):
    """Google Cloud Storage: a placed bucket written back (50 objects with their content; an object made in the cloud
    listed and read through the site; deletes reach the cloud)."""
    site = s3(clouds["site"])
    site.create_bucket(Bucket="gplaced")
    gcs_bucket(clouds, "gplaced-g")
    # What metalstore.platform.location and .bucket store: the service account key inline (every engine process,
    # the worker too, reads it from the filer and gets its tokens from the key's token_uri), a 2 s listing refresh
    # (for the cloud's own object below).
    with open(clouds["gcs"]["credentials"], encoding="utf-8") as f:
        key = canonical_credentials(json.load(f))
    shell(clouds, "remote.configure -name=gcsXtest -type=gcs -gcs.projectId=%s -gcs.appCredentialsFile='%s'\n"
          "remote.mount -dir=/buckets/gplaced -remote=gcsXtest/gplaced-g -listingCacheTTL=2\n"
          % (clouds["gcs"]["project"], key))
    Worker(clouds, "writeback-gplaced", ["filer.remote.sync", "-dir=/buckets/gplaced"])
    sums = write(site, "gplaced", "burst", 50, "gplaced")
    took = wait_until("objects in GCS", lambda: [k for k, v in sums.items() if gcs_sum(clouds, "gplaced-g", k) != v],
                      120)
    print("placed on GCS: 50 objects in the cloud after %.1f s" % took)
    gcs(clouds, "POST", "b/gplaced-g/o?uploadType=media&name=cloud/made.txt", b"made in GCS", upload=True)
    wait_until("the cloud's own object listed through the site", lambda: [] if "cloud/made.txt" in {
        o["Key"] for o in site.list_objects_v2(Bucket="gplaced", Prefix="cloud/").get("Contents") or []} else [1], 30)
    assert site.get_object(Bucket="gplaced", Key="cloud/made.txt")["Body"].read() == b"made in GCS"
    deleted = sorted(sums)[:10]
    site.delete_objects(Bucket="gplaced", Delete={"Objects": [{"Key": k} for k in deleted]})
    wait_until("deletes in GCS", lambda: [k for k in deleted if k in gcs_keys(clouds, "gplaced-g")], 60)
    assert gcs_keys(clouds, "gplaced-g") == (set(sums) - set(deleted)) | {"cloud/made.txt"}
    with open(os.path.join(clouds["work"], "gcs", "grants.log"), encoding="utf-8") as f:
        grants = f.read().split("\n")
    email = "credentials@%s.iam.gserviceaccount.com" % clouds["gcs"]["project"]
    assert any(g.startswith("granted %s 127.0.0.1 Go-http-client" % email) for g in grants), grants
    assert not any(g.startswith("refused") for g in grants), grants


def test_gcs_replica_sink_still_misnames_keys(clouds):
    """Why the collection refuses replicas on gcs locations (plugins/filter/connectors.py NO_REPLICAS): the engine's
    GCS sink writes key K as '/K'. When this fails, the engine keeps keys: offer GCS replicas."""
    site = s3(clouds["site"])
    site.create_bucket(Bucket="greplica")
    gcs_bucket(clouds, "greplica-g")
    toml = ('[sink.google_cloud_storage]\nenabled = true\ngoogle_application_credentials = ""\nbucket = "greplica-g"\n'
            'directory = "/"\nis_incremental = false\n')
    Worker(clouds, "replica-greplica", ["filer.backup", "-filerPath=/buckets/greplica", "-doDeleteFiles=false"], toml)
    write(site, "greplica", "k", 1, "greplica")
    wait_until("the replica's object in GCS", lambda: [] if gcs_keys(clouds, "greplica-g") else [1], 60)
    assert gcs_keys(clouds, "greplica-g") == {"/k/obj-000"}


def test_cloud_outage_loses_nothing(clouds):
    site, cloud = s3(clouds["site"]), s3(clouds["cloud"])
    for bucket in ("outage-rep", "outage-placed"):
        site.create_bucket(Bucket=bucket)
        cloud.create_bucket(Bucket=bucket + "-c")
    replica(clouds, "outage-rep", "aws-test", False, "outage-rep-c")
    mount(clouds, "outage-placed", "outage-placed-c")
    Worker(clouds, "writeback-outage-placed", ["filer.remote.sync", "-dir=/buckets/outage-placed"])
    before = {b: write(site, b, "before", 5, b) for b in ("outage-rep", "outage-placed")}
    for b, sums in before.items():
        wait_until("objects before the outage (%s)" % b, lambda b=b, sums=sums: [
            k for k, v in sums.items() if s3_sum(cloud, b + "-c", k) != v], 60)
    cloud_dir = os.path.join(clouds["work"], "cloud")
    ss.stop(cloud_dir)
    written, start = {b: {} for b in before}, time.monotonic()
    i = 0
    while time.monotonic() - start < OUTAGE_S:  # every local write must succeed while the cloud is away
        for b in written:
            written[b].update(write(site, b, "outage-%03d" % i, 1, "%s-%d" % (b, i)))
        i += 1
        time.sleep(1)
    ss.restart(cloud_dir)
    back = time.monotonic()
    for b, sums in written.items():
        wait_until("objects written during the outage (%s)" % b, lambda b=b, sums=sums: [
            k for k, v in sums.items() if s3_sum(cloud, b + "-c", k) != v], 300)
        print("%s: %d objects written during a %d s outage, all in the cloud %.1f s after it returned"
              % (b, len(sums), OUTAGE_S, time.monotonic() - back))


def test_rotated_key_keeps_data_flowing(clouds):
    site, cloud = s3(clouds["site"]), s3(clouds["cloud"])
    site.create_bucket(Bucket="rotated")
    cloud.create_bucket(Bucket="rotated-c")
    w = replica(clouds, "rotated", "aws-test", False, "rotated-c")
    first = {}
    for i in range(8):  # spread over the worker's checkpoint interval (a few seconds, saved only after an event)
        first.update(write(site, "rotated", "first-%d" % i, 1, "first-%d" % i))
        time.sleep(1)
    wait_until("objects with the first key", lambda: [k for k, v in first.items()
                                                      if s3_sum(cloud, "rotated-c", k) != v], 60)
    w.stop()
    assert "progressed to" in w.log(), "the worker saved no checkpoint: the resume below would prove nothing"
    # What the role does on a rotation: a new replication.toml, and the worker restarted (its pod rolls).
    rotated = replica(clouds, "rotated", "aws-test", False, "rotated-c", locations(clouds, ROTATED))
    second = write(site, "rotated", "second", 5, "second")
    wait_until("objects with the rotated key", lambda: [k for k, v in second.items()
                                                        if s3_sum(cloud, "rotated-c", k) != v], 60)
    starts = [line for line in rotated.log().splitlines() if "starting from" in line or "resuming from" in line]
    assert "resuming from" in starts[-1], "the worker did not resume from its checkpoint after the rotation: %s" % starts
