#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bucket_info
short_description: List S3 buckets and read their configuration
version_added: 0.1.0
description:
  - Lists buckets on an S3-compatible endpoint, optionally by exact name or prefix, and reads the
    chosen settings of each (the same settings M(metalstore.platform.bucket) manages). Read-only.
  - A setting the server does not implement (HTTP 501) is skipped with a warning.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.s3
  - metalstore.platform.s3.action_group
  - metalstore.platform.seaweedfs_admin
  - metalstore.platform.read_only
options:
  name:
    description: Only the bucket with this exact name.
    type: str
    aliases: [bucket]
  prefix:
    description: Only buckets whose name starts with this.
    type: str
  facets:
    description:
      - Settings to read for each bucket. V(quota) and V(placement) need O(seaweedfs_master).
      - An empty list returns only names and creation dates (one request in all).
    type: list
    elements: str
    choices: [acl, cors, encryption, lifecycle, object_lock, placement, policy, quota, tags, versioning]
    default: [acl, cors, encryption, lifecycle, object_lock, policy, tags, versioning]
notes:
  - Credentials are never logged.
seealso:
  - module: metalstore.platform.bucket
"""

EXAMPLES = r"""
- name: Everything about one bucket
  metalstore.platform.bucket_info:
    endpoint_url: https://s3.site.example:8333
    access_key: "{{ s3_access_key }}"
    secret_key: "{{ s3_secret_key }}"
    name: backups
  register: info

- name: Names of the team's buckets only
  metalstore.platform.bucket_info:
    prefix: team-a-
    facets: []
"""

RETURN = r"""
buckets:
  description: Matching buckets, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Bucket name.
      type: str
    creation_date:
      description: Creation time (ISO 8601).
      type: str
    versioning:
      description: V(enabled) or V(suspended).
      type: str
    tags:
      description: Tags.
      type: dict
    policy:
      description: Policy in canonical form, or null.
      type: dict
    cors:
      description: CORS rules.
      type: list
    lifecycle:
      description: Lifecycle rules in canonical form.
      type: list
    encryption:
      description: Default encryption.
      type: dict
    acl:
      description: Canned ACL name or C(custom).
      type: str
    object_lock:
      description: Object lock state.
      type: dict
    quota:
      description: Quota in MiB.
      type: int
    placement:
      description: >-
        The location and cloud bucket the bucket is placed on (C(location), C(bucket)) and the seconds after which
        its listing re-reads the cloud bucket (C(refresh), 0 for never), or null.
      type: dict
    unsupported:
      description: Settings the server does not implement (skipped).
      type: list
      elements: str
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.metalstore.platform.plugins.module_utils.s3_connection import s3_client
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run, s3_module, shell_factory
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import (
    BOTO_ERRORS, NotSupported, BucketNotFound, ValidationError, translate)
from ansible_collections.metalstore.platform.plugins.module_utils.bucket_state import FACET_NAMES, make_facets


def describe(client, facets, bucket, warnings):
    out = {"name": bucket["Name"], "creation_date": bucket["CreationDate"].isoformat()}
    unsupported = []
    for facet in facets:
        try:
            out[facet.name] = facet.read(client, bucket["Name"])
        except NotSupported:
            unsupported.append(facet.name)
            warnings.append(f"bucket '{bucket['Name']}': {facet.name} is not supported by this server; skipped")
    if unsupported:
        out["unsupported"] = unsupported
    return out


def main():
    spec = dict(
        name=dict(type="str", aliases=["bucket"]),
        prefix=dict(type="str"),
        facets=dict(type="list", elements="str", choices=sorted(FACET_NAMES),
                    default=sorted(n for n in FACET_NAMES if n not in ("quota", "placement"))),
    )
    module = s3_module(spec)
    p = module.params
    warnings = []

    def body():
        shell_only = [f for f in ("placement", "quota") if f in p["facets"]]
        if shell_only and not p.get("seaweedfs_master"):
            raise ValidationError("facets=%s: read through the SeaweedFS admin shell, set seaweedfs_master"
                                  % ",".join(shell_only))
        facets = [f for f in make_facets(shell_factory(p)) if f.name in p["facets"]]
        client = s3_client(p)
        try:
            listing = client.list_buckets().get("Buckets") or []
        except BOTO_ERRORS as exc:
            raise translate(exc, "ListBuckets", client=client) from exc
        chosen = [b for b in listing if (not p["name"] or b["Name"] == p["name"])
                  and (not p["prefix"] or b["Name"].startswith(p["prefix"]))]
        chosen.sort(key=lambda b: b["Name"])

        def one(bucket):
            try:
                return describe(client, facets, bucket, warnings)
            except BucketNotFound:
                return None  # deleted between the listing and the read

        with ThreadPoolExecutor(max_workers=8) as pool:
            buckets = [b for b in pool.map(one, chosen) if b is not None]
        for w in warnings:
            module.warn(w)
        return {"changed": False, "buckets": buckets}
    run(module, body)


if __name__ == "__main__":
    main()
