#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: buckets
short_description: Converge many S3 buckets in one task
version_added: 0.2.0
description:
  - Converges every bucket of O(buckets) exactly like M(metalstore.platform.bucket) does for one, in a single module
    process and concurrently, so a site's inventory of buckets converges in one task instead of one process per
    bucket. Each bucket reads only the settings it sets (one GET each) and writes only what differs.
  - Every bucket's options are validated (with M(metalstore.platform.bucket)'s own argument spec) before any request
    is sent, and every problem of every bucket is reported at once.
  - A bucket that fails does not stop the others; the task then fails naming each failed bucket and why, and
    RV(buckets) still reports those that converged.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.s3
  - metalstore.platform.s3.action_group
  - metalstore.platform.seaweedfs_admin
attributes:
  check_mode:
    support: full
    description: Nothing is written; C(changed) and RV(buckets) predict the result.
  diff_mode:
    support: full
    description: Before and after of the managed settings, per bucket name.
options:
  buckets:
    description:
      - The buckets. Each item takes the bucket options of M(metalstore.platform.bucket) (C(name), C(state),
        C(force), C(versioning), C(tags), C(purge_tags), C(policy), C(cors_rules), C(lifecycle_rules),
        C(encryption), C(encryption_key_id), C(acl), C(object_lock_enabled), C(object_lock_default_retention),
        C(quota_mb), C(location), C(location_bucket), C(location_refresh)) with the same meaning; connection options
        are given once, for all, at the top level.
      - Bucket names must be unique in the list.
    type: list
    elements: dict
    required: true
  concurrency:
    description: How many buckets are converged at the same time.
    type: int
    default: 8
notes:
  - Credentials are never logged.
seealso:
  - module: metalstore.platform.bucket
  - module: metalstore.platform.bucket_info
"""

EXAMPLES = r"""
- name: Every bucket of the site inventory
  metalstore.platform.buckets:
    endpoint_url: https://s3.site.example:8333
    ca_bundle: /etc/metalstore/site-ca.pem
    access_key: "{{ s3_access_key }}"
    secret_key: "{{ s3_secret_key }}"
    buckets:
      - name: backups
        versioning: enabled
        lifecycle_rules:
          - id: expire-old-versions
            noncurrent_version_expiration_days: 30
      - name: scratch
        state: absent
        force: true
"""

RETURN = r"""
buckets:
  description: One entry per bucket that converged (predicted in check mode), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Bucket name.
      type: str
    changed:
      description: Whether this bucket changed.
      type: bool
    changed_facets:
      description: Settings that were (or would be) written for this bucket.
      type: list
      elements: str
    bucket:
      description: The bucket after the task, as M(metalstore.platform.bucket) returns it.
      type: dict
    objects_deleted:
      description: Object versions deleted by C(force=true).
      type: int
      returned: when the bucket's state is absent
failed_buckets:
  description: Buckets that failed, with the reason (the task fails when there is any).
  returned: on failure
  type: list
  elements: dict
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.metalstore.platform.plugins.module_utils.bucket_converge import (
    bucket_spec, converge, normalise_empty)
from ansible_collections.metalstore.platform.plugins.module_utils.bucket_state import facet_options, make_facets, prevalidate
from ansible_collections.metalstore.platform.plugins.module_utils.bucket_validation import validate_bucket_params
from ansible_collections.metalstore.platform.plugins.module_utils.s3_connection import S3_CONNECTION_SPEC, s3_client
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import S3ModuleError, ValidationError
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run, s3_module, shell_factory
from ansible_collections.metalstore.platform.plugins.module_utils.seaweedfs_shell import SEAWEEDFS_ADMIN_SPEC

SHARED = tuple(S3_CONNECTION_SPEC) + tuple(SEAWEEDFS_ADMIN_SPEC)


def validated(module, facets):
    """Each item checked against the bucket module's own spec and rules; every problem of every item at once."""
    validator = ArgumentSpecValidator(bucket_spec(), required_by={"encryption_key_id": "encryption"})
    shared = {k: module.params[k] for k in SHARED}
    entries, problems, seen = [], [], set()
    for i, item in enumerate(module.params["buckets"]):
        where = "buckets[%d]%s" % (i, " (%s)" % item["name"] if isinstance(item, dict) and item.get("name") else "")
        result = validator.validate(dict(item) if isinstance(item, dict) else {})
        if result.error_messages:
            problems += ["%s: %s" % (where, msg) for msg in result.error_messages]
            continue
        params = dict(result.validated_parameters, **shared)
        normalise_empty(params)
        try:
            validate_bucket_params(params, facet_options(facets))
            prevalidate(params)
        except ValidationError as exc:
            problems.append("%s: %s" % (where, exc))
            continue
        if params["name"] in seen:
            problems.append("%s: bucket %s appears more than once" % (where, params["name"]))
        seen.add(params["name"])
        entries.append(params)
    if problems:
        raise ValidationError("nothing was changed; %d problem(s): %s" % (len(problems), "; ".join(problems)))
    return entries


def main():
    module = s3_module(dict(buckets=dict(type="list", elements="dict", required=True),
                            concurrency=dict(type="int", default=8)))
    p = module.params

    def body():
        if p["concurrency"] < 1:
            raise ValidationError("concurrency must be 1 or more")
        facets = make_facets(shell_factory(p))
        entries = validated(module, facets)
        # Each bucket reads its settings concurrently too: enough connections for both levels.
        client = s3_client(p, pool=p["concurrency"] * len(facets))

        def one(params):
            try:
                return params["name"], converge(params, client, facets, module.check_mode, module._diff), None
            except S3ModuleError as exc:
                return params["name"], None, exc

        with ThreadPoolExecutor(max_workers=min(p["concurrency"], max(1, len(entries)))) as pool:
            outcomes = list(pool.map(one, entries))
        done = [dict(r, name=name) for name, r, err in outcomes if err is None]
        out = {"changed": any(r["changed"] for r in done), "buckets": [dict(r) for r in done]}
        for r in out["buckets"]:
            r.pop("diff", None)
        if module._diff:
            out["diff"] = {"before": {r["name"]: r["diff"]["before"] for r in done if "diff" in r},
                           "after": {r["name"]: r["diff"]["after"] for r in done if "diff" in r}}
        failed = [(name, err) for name, r, err in outcomes if err is not None]
        if failed:
            module.fail_json(msg="%d of %d buckets failed: %s" % (len(failed), len(entries), "; ".join(
                "%s: %s" % (name, err) for name, err in failed)),
                failed_buckets=[dict(name=name, msg=str(err), **err.result()) for name, err in failed], **out)
        return out
    run(module, body)


if __name__ == "__main__":
    main()
