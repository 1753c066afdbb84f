# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placement: the bucket lives on a cloud location (metalstore.platform.location); the cloud holds its data and the
site caches it. SeaweedFS-specific: a remote mount of the bucket's directory, made through the admin shell.

The engine sends deletes in a mounted directory to the cloud synchronously, so a placement is only ever undone by
an unmount (which purges the local cache and leaves the cloud alone), and deleting a placed bucket unmounts first.
Only an empty local bucket is placed: the engine would refuse the mount, and objects written before it would stay
local only.

Objects written to the cloud bucket by others: the engine reads one on demand when it is asked for by name, and a
listing re-reads the cloud bucket once its cached listing is older than the mount's refresh (the engine's listing
cache TTL). A changed refresh is a remount over the same cloud bucket (-nonempty), which keeps the site's cache."""

from __future__ import annotations

import threading

from .base import Facet
from .. import remote_location as rl
from ..bucket_validation import bucket_name_problems
from ..s3_errors import BOTO_ERRORS, NotSupported, ValidationError, translate


# Seconds a placed bucket's listing may be old before it re-reads the cloud bucket, for a placement that does not
# say: objects others write to the cloud show up in listings within a minute, for one cloud listing a minute at most.
DEFAULT_REFRESH = 60
MAX_REFRESH = 86400


def placement_problems(params):
    """Pure checks on the placement options. With location '' (unplace) the other two are moot and ignored: an
    inventory entry is unplaced by emptying its location alone."""
    location, remote = params.get("location"), params.get("location_bucket")
    refresh = params.get("location_refresh")
    if remote is not None and location is None:
        return ["location_bucket needs location"]
    if refresh is not None and location is None:
        return ["location_refresh needs location"]
    if not location:
        return []
    if not rl.NAME_RE.match(location):
        return ["location %r is not a location name (metalstore.platform.location)" % location]
    if refresh is not None and not 0 <= refresh <= MAX_REFRESH:
        return ["location_refresh %d is not between 0 (never re-read the cloud's listing) and %d seconds"
                % (refresh, MAX_REFRESH)]
    if remote is not None:
        problems = bucket_name_problems(remote)
        if problems:
            return ["location_bucket %r is a name the cloud rejects: %s" % (remote, "; ".join(problems))]
    return []


class Placement(Facet):
    name = "placement"
    options = ("location", "location_bucket", "location_refresh")
    read_operation = "remote.mount"

    def __init__(self, shell_factory):
        # One handler serves every bucket of a buckets/bucket_info run, from several threads: what it learns is
        # kept per bucket, and the engine's mount table is read once per run (each bucket only changes its own).
        self._factory = shell_factory
        self._locations = None
        self._mounts = None
        self._lock = threading.Lock()
        self.local_objects = {}  # bucket -> does the unplaced bucket hold objects? (learned by read)
        self.kinds = {}  # bucket -> type of the location it is being placed on (learned by desired)

    @property
    def locations(self):
        with self._lock:
            if self._locations is None:
                self._locations = rl.Locations(self._factory())
            return self._locations

    def mount_of(self, bucket):
        locations = self.locations
        with self._lock:
            if self._mounts is None:
                self._mounts = locations.mounts()
            return self._mounts.get("/buckets/" + bucket)

    def read(self, client, bucket):
        mount = self.mount_of(bucket)
        if mount is None:
            self.local_objects[bucket] = not _is_empty(client, bucket)
            return None
        return {"location": rl.user_name(mount.get("name", "")), "bucket": mount.get("bucket", ""),
                "refresh": int(mount.get("listingCacheTtlSeconds") or 0)}

    def desired(self, params, current):
        if not params.get("location"):
            return None
        want = {"location": params["location"], "bucket": params.get("location_bucket") or params["name"]}
        if current is not None and {k: current[k] for k in want} != want:
            raise ValidationError("bucket '%s' is placed on %s (cloud bucket %s); a bucket has one placement: set "
                                  "location: '' first to unmount it (the cloud keeps the data), nothing was changed"
                                  % (params["name"], current["location"], current["bucket"]))
        if current is None:
            conf = self.locations.read_all().get(rl.engine_name(want["location"]))
            if conf is None:
                raise ValidationError("location %s does not exist (create it with metalstore.platform.location), "
                                      "nothing was changed" % want["location"])
            kind = conf.get("type")
            if kind not in rl.CLOUD_BUCKET_NAME_PROBLEMS:
                raise NotSupported("placing a bucket on a %s location is not supported (s3, azure and gcs locations "
                                   "are), nothing was changed" % kind)
            problem = rl.cloud_bucket_name_problems(kind, want["bucket"])
            if problem:
                raise ValidationError(problem + "; set location_bucket, nothing was changed")
            self.kinds[params["name"]] = kind
            if self.local_objects.get(params["name"]):
                raise ValidationError("bucket '%s' already holds objects: only an empty bucket can be placed on a "
                                      "location (copy its objects to the cloud bucket, then place a new, empty "
                                      "bucket), nothing was changed" % params["name"])
        refresh = params.get("location_refresh")
        if refresh is None:  # not managed: an existing placement keeps its refresh, a new one gets the default
            refresh = current["refresh"] if current is not None else DEFAULT_REFRESH
        want["refresh"] = refresh
        return want

    def write(self, client, bucket, desired, current, params):
        if desired is None:
            self.locations.unmount("/buckets/" + bucket)
            return
        if current is None:
            self.locations.ensure_cloud_bucket(desired["location"], desired["bucket"], self.kinds.get(bucket, "s3"))
        self.locations.mount("/buckets/" + bucket, desired["location"], desired["bucket"], desired["refresh"],
                             remount=current is not None)


def _is_empty(client, bucket):
    try:
        resp = client.list_objects_v2(Bucket=bucket, MaxKeys=1)
    except BOTO_ERRORS as exc:
        raise translate(exc, "ListObjectsV2", bucket, client) from exc
    return not resp.get("KeyCount") and not resp.get("Contents")
