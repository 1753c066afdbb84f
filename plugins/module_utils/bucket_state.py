# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read, compare and converge a bucket, one facet handler at a time.

Only the facets the user set are read and compared (one GET each, sent concurrently), and only
facets that differ are written. Existence is learned from those same GETs: no extra HEAD unless
no facet is managed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .facets.acl import Acl
from .facets.cors import Cors
from .facets.encryption import Encryption
from .facets.lifecycle import Lifecycle, validate_lifecycle_rules
from .facets.object_lock import ObjectLock
from .facets.placement import Placement, placement_problems
from .facets.policy import Policy, parse_policy
from .facets.quota import Quota
from .facets.tags import Tags
from .facets.versioning import Versioning
from .s3_errors import BOTO_ERRORS, BucketNotFound, S3ModuleError, ValidationError, error_code, translate

# Values every facet has on a freshly created bucket: after a create, nothing needs to be read back.
NEW_BUCKET_DEFAULTS = {
    "versioning": "suspended", "tags": {}, "policy": None, "cors": [], "encryption": {"algorithm": "none"},
    "lifecycle": [], "acl": "private", "quota": 0, "placement": None,
    "object_lock": {"enabled": False, "default_retention": None},
}
# GETs that answer NoSuchBucket for a missing bucket (SeaweedFS answers "no encryption" instead).
_RELIABLE_EXISTENCE = frozenset(("versioning", "tags", "policy", "cors", "lifecycle", "acl", "object_lock"))


def make_facets(shell_factory):
    """All handlers in write order: versioning before object lock (lock needs it); lifecycle and
    encryption early because servers reject parts of them (e.g. Transition rules) most often."""
    return [Versioning(), ObjectLock(), Lifecycle(), Encryption(), Policy(), Cors(), Tags(), Acl(),
            Quota(shell_factory), Placement(shell_factory)]


# Every facet's name, in write order (bucket_info's choices come from here too).
FACET_NAMES = tuple(f.name for f in make_facets(None))


def facet_options(facets):
    return tuple(o for f in facets for o in f.options)


def prevalidate(params):
    """Pure checks on facet values (policy JSON, lifecycle rules) so they fail before any request."""
    if params.get("policy") not in (None, "", {}, "{}"):
        parse_policy(params["policy"])
    if params.get("lifecycle_rules"):
        validate_lifecycle_rules(params["lifecycle_rules"])
    problems = placement_problems(params)
    if problems:
        raise ValidationError("; ".join(problems))


def bucket_exists(client, bucket):
    try:
        client.head_bucket(Bucket=bucket)
        return True
    except BOTO_ERRORS as exc:
        if error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise translate(exc, "HeadBucket", bucket, client) from exc


def read_facets(client, bucket, facets, workers=8):
    """{facet name: normalised value} for the given facets, read concurrently.
    Returns None when the bucket does not exist. Raises the first other error."""
    if not facets:
        return {} if bucket_exists(client, bucket) else None
    check_head = not any(f.name in _RELIABLE_EXISTENCE for f in facets)
    if check_head and not bucket_exists(client, bucket):
        return None

    def one(facet):
        try:
            return facet.name, facet.read(client, bucket), None
        except S3ModuleError as exc:
            return facet.name, None, exc

    if len(facets) == 1:
        results = [one(facets[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(facets))) as pool:
            results = list(pool.map(one, facets))
    errors = [r[2] for r in results if r[2] is not None]
    if any(isinstance(err, BucketNotFound) for err in errors):
        return None
    if errors:
        raise errors[0]
    return {r[0]: r[1] for r in results}


def plan(facets, params, current):
    """[(facet, before, after)] for the managed facets; computed entirely before any write."""
    steps = []
    for facet in facets:
        before = current[facet.name]
        steps.append((facet, before, facet.desired(params, before)))
    return steps


def apply(client, bucket, steps, params):
    """Write the facets that differ; return the names written."""
    written = []
    for facet, before, after in steps:
        if before != after:
            facet.write(client, bucket, after, before, params)
            written.append(facet.name)
    return written


def bucket_is_empty(client, bucket):
    """True when the bucket holds no object, version or delete marker."""
    try:
        resp = client.list_object_versions(Bucket=bucket, MaxKeys=1)
    except BOTO_ERRORS as exc:
        raise translate(exc, "ListObjectVersions", bucket, client) from exc
    return not (resp.get("Versions") or resp.get("DeleteMarkers"))


# Keys per DeleteObjects request. S3 allows 1000, but SeaweedFS deletes them one after another within the request:
# 200 objects in one request outlasted the 7 s read timeout on the loaded lab (CI 2026-12-07, clients.sh cleanup).
DELETE_BATCH = 50


def empty_bucket(client, bucket):
    """Delete every object version and delete marker; return how many were deleted."""
    deleted = 0
    try:
        paginator = client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket):
            keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]
            for i in range(0, len(keys), DELETE_BATCH):
                resp = client.delete_objects(Bucket=bucket, Delete={"Objects": keys[i:i + DELETE_BATCH], "Quiet": True},
                                             BypassGovernanceRetention=True)
                if resp.get("Errors"):
                    first = resp["Errors"][0]
                    raise S3ModuleError(f"could not delete {len(resp['Errors'])} object(s) from '{bucket}', e.g. "
                                        f"{first.get('Key')}: {first.get('Code')} {first.get('Message')} "
                                        "(objects under COMPLIANCE retention cannot be deleted)")
                deleted += len(keys[i:i + DELETE_BATCH])
    except BOTO_ERRORS as exc:
        raise translate(exc, "DeleteObjects", bucket, client) from exc
    return deleted
