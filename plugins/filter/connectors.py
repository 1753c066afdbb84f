# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connector layer in the object-store role's plan: the inventory's cloud locations judged before anything
changes, the replication workers the role runs (one `weed filer.backup` per bucket and location), and each worker's
replication.toml. Pure functions over the inventory; documentation next to this file (location_problems.yml,
replication_workers.yml, replication_toml.yml)."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError
from ansible_collections.metalstore.platform.plugins.module_utils import remote_location as rl
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError


# Location options the modules take but the role does not, and why (docs/connectors.md).
NOT_IN_ROLE = {("gcs", "credentials_file"): "gcs.credentials_file is not taken by the role: the engine's processes "
                                            "read that file in every SeaweedFS pod, and no pod has it; give the "
                                            "key itself as gcs.credentials (e.g. a lookup of a vault-encrypted key "
                                            "file), which the engine stores"}


# The engine's replication sink of each location type.
SINKS = {"s3": "s3", "azure": "azure"}
# Location types a bucket can be placed on but not replicated to, and why (docs/connectors.md).
NO_REPLICAS = {"gcs": "replicas on gcs locations are not offered: the engine's GCS replication sink (SeaweedFS "
                      "4.48) writes every object under its key with a leading '/', so the copy would not keep the "
                      "site's keys; place the bucket on the location instead (docs/connectors.md)"}


def location_problems(locations, allow_private=False):
    """Every problem with the inventory's locations, as the location module would refuse them (names, types,
    endpoints, private addresses without the opt-in), found in the plan instead of halfway through a run."""
    if not isinstance(locations, list):
        raise AnsibleFilterError("location_problems expects objectstore_locations (a list)")
    problems = []
    for loc in locations:
        if not isinstance(loc, dict):
            problems.append("[objectstore] objectstore_locations: %r is not a location (a dict)" % (loc,))
            continue
        params = {k: loc.get(k) for k in ("name", "type", "s3", "azure", "gcs")}
        params.update(name=str(loc.get("name") or ""), state=loc.get("state", "present"),
                      allow_private_endpoint=bool(allow_private))
        if params["state"] != "absent" and params["type"] not in rl.TYPES:
            problems.append("[objectstore] location %s: type %r is not one of %s" % (
                params["name"], params["type"], ", ".join(sorted(rl.TYPES))))
            continue
        if params["state"] != "absent":
            problems += ["[objectstore] location %s: %s" % (params["name"], why)
                         for (kind, option), why in sorted(NOT_IN_ROLE.items())
                         if params["type"] == kind and (params.get(kind) or {}).get(option) is not None]
        try:
            rl.validate(params)
        except ValidationError as exc:
            problems.append("[objectstore] location %s: %s%s" % (
                params["name"], exc, "" if allow_private else
                " (objectstore_allow_private_endpoints is the site's opt-in)" if "private" in str(exc) else ""))
    return problems


def worker_name(bucket, location):
    return "seaweedfs-replica-%s-%s" % (bucket, location)


def replication_workers(buckets, locations):
    """{'workers': [{name, bucket, location, type, cloud_bucket, copy_deletes}], 'problems': [...]}:
    every replica of objectstore_buckets, and every problem with them at once (nothing secret in either)."""
    if not isinstance(buckets, list) or not isinstance(locations, list):
        raise AnsibleFilterError("replication_workers expects objectstore_buckets and objectstore_locations (lists)")
    known = {str(loc.get("name")): loc for loc in locations if isinstance(loc, dict)}
    workers, problems = [], []
    for entry in buckets:
        if not isinstance(entry, dict) or "replicate_to" not in entry:
            continue
        bucket = str(entry.get("name"))
        where = "[objectstore] bucket %s: replicate_to" % bucket
        targets = entry.get("replicate_to")
        if entry.get("state", "present") == "absent":
            continue  # an absent bucket has no replicas; its workers go with it
        if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
            problems.append("%s must be a list of {location, bucket, copy_deletes}" % where)
            continue
        if targets and entry.get("location"):
            problems.append("%s: the bucket is placed on %s; a bucket is either placed on a location or replicated "
                            "(place or replicate it, not both)" % (where, entry["location"]))
        seen = set()
        for target in targets:
            name = str(target.get("location") or "")
            unknown = sorted(set(target) - {"location", "bucket", "copy_deletes"})
            if unknown:
                problems.append("%s: unknown option(s) %s (use location, bucket, copy_deletes)" % (where, ", ".join(unknown)))
            if name in seen:
                problems.append("%s lists location %s twice" % (where, name))
            seen.add(name)
            location = known.get(name)
            if location is None:
                problems.append("%s: location %r is not in objectstore_locations (the role needs its settings to "
                                "run the replication worker)" % (where, name))
                continue
            if location.get("state", "present") == "absent":
                problems.append("%s: location %s is being removed (state: absent)" % (where, name))
                continue
            kind = location.get("type")
            if kind in NO_REPLICAS:
                problems.append("%s: location %s: %s" % (where, name, NO_REPLICAS[kind]))
                continue
            if kind not in SINKS:
                problems.append("%s: replicating to a %s location is not supported (s3 and azure locations are)"
                                % (where, kind))
                continue
            if not isinstance(target.get("copy_deletes"), bool):
                problems.append("%s: location %s needs copy_deletes: true or false - whether a delete on the site "
                                "also deletes the cloud's copy (there is no default)" % (where, name))
            cloud_bucket = str(target.get("bucket") or bucket)
            bad = rl.cloud_bucket_name_problems(kind, cloud_bucket)
            if bad:
                problems.append("%s: %s" % (where, bad))
            workers.append({"name": worker_name(bucket, name), "bucket": bucket, "location": name, "type": kind,
                            "cloud_bucket": cloud_bucket, "copy_deletes": target.get("copy_deletes") is True})
    pairs_of = {}  # worker name -> the distinct (bucket, location) pairs that make it (a location listed twice is told above)
    for w in workers:
        pairs_of.setdefault(w["name"], set()).add((w["bucket"], w["location"]))
    for name in sorted(n for n, p in pairs_of.items() if len(p) > 1):
        pairs = ["%s -> %s" % pair for pair in sorted(pairs_of[name])]
        problems.append("[objectstore] replicas %s would share the worker name %s (bucket and location names joined "
                        "by hyphens): rename one of the locations" % (" and ".join(pairs), name))
    return {"workers": workers, "problems": problems}


def _toml(value):
    """A TOML value: JSON's string escapes are TOML basic-string escapes; booleans lowercase."""
    return ("true" if value else "false") if isinstance(value, bool) else json.dumps(str(value))


def replication_toml(worker, location):
    """The replication.toml of one worker (replication_workers), with the location's credentials: the one sink
    it writes to. It holds a secret - render it only where nothing prints it."""
    kind = worker["type"]
    settings = location.get(kind) or {}
    if kind == "s3":
        values = [("aws_access_key_id", settings.get("access_key")),
                  ("aws_secret_access_key", settings.get("secret_key")),
                  ("region", settings.get("region") or "us-east-1"),
                  ("bucket", worker["cloud_bucket"]),
                  ("endpoint", settings.get("endpoint") or ""),
                  # Location path_style unset: path style, as the location module's own calls use.
                  ("s3_force_path_style", settings.get("path_style") is not False)]
    elif kind == "azure":
        values = [("account_name", settings.get("account_name")), ("account_key", settings.get("account_key")),
                  ("endpoint", settings.get("endpoint") or ""), ("container", worker["cloud_bucket"])]
    else:
        raise AnsibleFilterError("replication_toml: a %s location cannot be a replication target" % kind)
    missing = [k for k, v in values if v is None]
    if missing:
        raise AnsibleFilterError("replication_toml: location %s lacks %s" % (
            location.get("name"), ", ".join(missing)))
    # The cloud bucket's root: objects keep their keys. filer.backup's resume checkpoint (in the filer) is its own
    # per cloud endpoint and bucket (seen with 4.48), and the same across a credential change: a rotated key resumes.
    values += [("directory", "/"), ("is_incremental", False)]
    lines = ["# Written by the metalstore.platform object-store role: bucket %s -> location %s (%s)."
             % (worker["bucket"], worker["location"], rl.engine_name(worker["location"])),
             "[sink.%s]" % SINKS[kind], "enabled = true"]
    lines += ["%s = %s" % (k, _toml(v)) for k, v in values]
    return "\n".join(lines) + "\n"


class FilterModule(object):
    def filters(self):
        return {"location_problems": location_problems, "replication_workers": replication_workers,
                "replication_toml": replication_toml}
