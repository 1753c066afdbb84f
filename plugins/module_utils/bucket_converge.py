# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converging one bucket: the bucket options' argument spec and the present/absent logic, shared by the
`bucket` module (one bucket per task) and the `buckets` module (many buckets in one process)."""

from __future__ import annotations

import time

from .bucket_state import (NEW_BUCKET_DEFAULTS, apply, bucket_is_empty, empty_bucket, facet_options, plan,
                           prevalidate, read_facets)
from .bucket_validation import validate_bucket_params
from .s3_errors import BOTO_ERRORS, NotSupported, S3ModuleError, translate

# AWS S3 documents bucket configuration as eventually consistent right after CreateBucket: a first write may answer
# NoSuchBucket or OperationAborted for a moment. Only those, only on a bucket this task created, within ~6 s.
NEW_BUCKET_RETRY_DELAYS = (0.5, 1.0, 2.0, 2.5)
NEW_BUCKET_TRANSIENT = frozenset(("NoSuchBucket", "OperationAborted"))


def apply_new(client, name, steps, params):
    """apply() for a bucket just created, riding out the documented propagation delay of AWS S3."""
    for delay in NEW_BUCKET_RETRY_DELAYS + (None,):
        try:
            return apply(client, name, steps, params)
        except S3ModuleError as exc:
            if delay is None or exc.code not in NEW_BUCKET_TRANSIENT:
                raise
            time.sleep(delay)
    return None


CORS_RULE = dict(
    id=dict(type="str"),
    allowed_methods=dict(type="list", elements="str", required=True, choices=["GET", "PUT", "POST", "DELETE", "HEAD"]),
    allowed_origins=dict(type="list", elements="str", required=True),
    allowed_headers=dict(type="list", elements="str"),
    expose_headers=dict(type="list", elements="str"),
    max_age_seconds=dict(type="int"),
)
LIFECYCLE_RULE = dict(
    id=dict(type="str", required=True),
    status=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
    prefix=dict(type="str", default=""),
    expiration_days=dict(type="int"),
    noncurrent_version_expiration_days=dict(type="int"),
    abort_incomplete_multipart_upload_days=dict(type="int"),
    transitions=dict(type="list", elements="dict", options=dict(
        days=dict(type="int", required=True), storage_class=dict(type="str", required=True))),
)


def bucket_spec():
    """Options of one bucket (connection options come from s3_module)."""
    spec = dict(
        name=dict(type="str", required=True, aliases=["bucket"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        force=dict(type="bool", default=False),
        versioning=dict(type="str", choices=["enabled", "suspended"]),
        object_lock_enabled=dict(type="bool"),
        object_lock_default_retention=dict(type="dict", options=dict(
            mode=dict(type="str", choices=["GOVERNANCE", "COMPLIANCE"]),
            days=dict(type="int"), years=dict(type="int")), mutually_exclusive=[["days", "years"]]),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        policy=dict(type="json"),
        cors_rules=dict(type="list", elements="dict", options=CORS_RULE),
        encryption=dict(type="str", choices=["none", "AES256", "aws:kms"]),
        encryption_key_id=dict(type="str", no_log=False),
        lifecycle_rules=dict(type="list", elements="dict", options=LIFECYCLE_RULE),
        acl=dict(type="str", choices=["private", "public-read", "public-read-write", "authenticated-read"]),
        quota_mb=dict(type="int"),
        location=dict(type="str"),
        location_bucket=dict(type="str"),
        location_refresh=dict(type="int"),
    )
    return spec


def normalise_empty(params):
    # An empty retention dict arrives as {mode: None, ...} from the argument spec; {} means "remove it".
    ret = params.get("object_lock_default_retention")
    if ret is not None and not any(ret.values()):
        params["object_lock_default_retention"] = {}


def ensure_absent(params, client, facets, check_mode, diff):
    name = params["name"]
    exists = read_facets(client, name, []) is not None
    result = dict(changed=False, bucket={"name": name, "exists": False}, changed_facets=[], objects_deleted=0)
    if not exists:
        return result
    # A bucket placed on a cloud location is unmounted first: the engine would send every delete to the cloud.
    # Its data stays there. (Without seaweedfs_master the mount cannot be seen: docs/connectors.md.)
    placement = next((f for f in facets if f.name == "placement"), None) if params.get("seaweedfs_master") else None
    placed = placement.mount_of(name) if placement else None
    if placed:
        result["changed_facets"].append("placement")
        if not check_mode:
            placement.locations.unmount("/buckets/" + name)
    if not params["force"] and not (placed and check_mode) and not bucket_is_empty(client, name):
        raise S3ModuleError(f"bucket '{name}' is not empty: nothing was deleted. Set force=true to delete it "
                            "with all its objects and versions")
    result.update(changed=True, changed_facets=result["changed_facets"] + ["exists"])
    if diff:
        result["diff"] = {"before": {"exists": True}, "after": {"exists": False}}
    if not check_mode:
        if params["force"]:
            result["objects_deleted"] = empty_bucket(client, name)
        try:
            client.delete_bucket(Bucket=name)
        except BOTO_ERRORS as exc:
            raise translate(exc, "DeleteBucket", name, client) from exc
    return result


def ensure_present(params, client, facets, check_mode, diff):
    name = params["name"]
    managed = [f for f in facets if f.wanted(params)]
    current = read_facets(client, name, managed)
    created = current is None
    if created:
        lock = bool(params.get("object_lock_enabled"))
        current = {f.name: NEW_BUCKET_DEFAULTS[f.name] for f in managed}
        if lock:
            current.update(object_lock={"enabled": True, "default_retention": None})
            if "versioning" in current:
                current["versioning"] = "enabled"
    steps = plan(managed, params, current)  # may raise ValidationError: still nothing written
    changed_facets = [f.name for f, before, after in steps if before != after]
    after = {step[0].name: step[2] for step in steps}
    result = dict(changed=created or bool(changed_facets),
                  changed_facets=(["exists"] if created else []) + changed_facets,
                  bucket=dict(name=name, exists=True, **after))
    if diff:
        before = {"exists": not created}
        if not created:
            before.update({step[0].name: step[1] for step in steps})
        result["diff"] = {"before": before, "after": dict(exists=True, **after)}
    if check_mode:
        return result
    if created:
        kwargs = {"ObjectLockEnabledForBucket": True} if params.get("object_lock_enabled") else {}
        try:
            client.create_bucket(Bucket=name, **kwargs)
        except BOTO_ERRORS as exc:
            raise translate(exc, "CreateBucket", name, client) from exc
    try:
        (apply_new if created else apply)(client, name, steps, params)
    except S3ModuleError as exc:
        hint = " You asked for this setting; remove it or use a server that implements it." \
            if isinstance(exc, NotSupported) else ""
        if created:
            # The bucket is new and still empty: remove it so a rejected setting leaves nothing behind.
            try:
                client.delete_bucket(Bucket=name)
                hint += " The bucket this task had just created was removed again."
            except BOTO_ERRORS:  # keep the original error; say what is left
                hint += " The bucket was created, but the remaining settings were not applied."
        raise type(exc)(f"{exc}{hint}", exc.code, exc.operation, exc.request_id) from exc
    return result


def converge(params, client, facets, check_mode, diff):
    """Validate one bucket's options (nothing is sent before), then make the server match them."""
    validate_bucket_params(params, facet_options(facets))
    prevalidate(params)
    if params["state"] == "absent":
        return ensure_absent(params, client, facets, check_mode, diff)
    return ensure_present(params, client, facets, check_mode, diff)
