#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bucket
short_description: Manage an S3 bucket and its configuration idempotently
version_added: 0.1.0
description:
  - Creates, configures and deletes a bucket on any S3-compatible endpoint (SeaweedFS, AWS S3, ...).
  - Only the settings you set are read and compared, and only those that differ are written. Settings
    you leave out are never touched.
  - Never calls APIs that some engines implement destructively (replication, website, notification,
    logging), because SeaweedFS turns some of them into bucket creation or deletion.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.s3
  - metalstore.platform.s3.action_group
  - metalstore.platform.seaweedfs_admin
attributes:
  check_mode:
    support: full
    description: Nothing is written; C(changed) and RV(bucket) predict the result.
  diff_mode:
    support: full
    description: Shows before and after of exactly the settings this task manages.
options:
  name:
    description: Bucket name (S3 naming rules apply and are checked before any request).
    type: str
    required: true
    aliases: [bucket]
  state:
    description: Whether the bucket should exist.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete every object, version and delete marker first.
      - Without it, deleting a bucket that is not empty fails and nothing is deleted.
    type: bool
    default: false
  versioning:
    description: Versioning state. A bucket that never had versioning counts as V(suspended).
    type: str
    choices: [enabled, suspended]
  object_lock_enabled:
    description:
      - Create the bucket with object lock (which also enables versioning).
      - S3 allows this only at creation; on an existing bucket a different value is an error.
    type: bool
  object_lock_default_retention:
    description:
      - Default retention for new objects. Needs object lock. V({}) removes it.
    type: dict
    suboptions:
      mode:
        description: Retention mode (required unless the dict is empty).
        type: str
        choices: [GOVERNANCE, COMPLIANCE]
      days:
        description: Retention period in days (exactly one of O(object_lock_default_retention.days) and O(object_lock_default_retention.years)).
        type: int
      years:
        description: Retention period in years.
        type: int
  tags:
    description: Bucket tags. V({}) with O(purge_tags=true) removes all tags.
    type: dict
  purge_tags:
    description: Remove tags not listed in O(tags). Only used when O(tags) is set.
    type: bool
    default: true
  policy:
    description:
      - Bucket policy, as a dict or JSON text. Compared by meaning, not text. V({}) removes it.
      - Malformed JSON or a policy without statements is rejected before any request.
    type: json
  cors_rules:
    description: CORS rules, in order (the first matching rule applies). V([]) removes them.
    type: list
    elements: dict
    suboptions:
      id:
        description: Rule ID.
        type: str
      allowed_methods:
        description: HTTP methods.
        type: list
        elements: str
        choices: [GET, PUT, POST, DELETE, HEAD]
        required: true
      allowed_origins:
        description: Origins, for example C(https://app.example.com) or C(*).
        type: list
        elements: str
        required: true
      allowed_headers:
        description: Headers allowed in preflight requests.
        type: list
        elements: str
      expose_headers:
        description: Response headers browsers may read.
        type: list
        elements: str
      max_age_seconds:
        description: How long browsers may cache the preflight answer.
        type: int
  encryption:
    description:
      - Default server-side encryption. V(none) removes it.
      - On SeaweedFS, V(AES256) needs the S3 gateway to have an SSE key (E(WEED_S3_SSE_KEY)).
    type: str
    choices: [none, AES256, aws:kms]
  encryption_key_id:
    description: KMS key for O(encryption=aws:kms).
    type: str
  lifecycle_rules:
    description:
      - Lifecycle rules, compared by O(lifecycle_rules[].id) regardless of order. V([]) removes them.
      - Servers that do not implement a part (SeaweedFS rejects Transition rules) make the task fail
        with a clear message.
    type: list
    elements: dict
    suboptions:
      id:
        description: Unique rule ID.
        type: str
        required: true
      status:
        description: Whether the rule is active.
        type: str
        choices: [enabled, disabled]
        default: enabled
      prefix:
        description: Key prefix the rule applies to (empty for the whole bucket).
        type: str
        default: ""
      expiration_days:
        description: Delete current objects this many days after creation.
        type: int
      noncurrent_version_expiration_days:
        description: Delete noncurrent versions this many days after they become noncurrent.
        type: int
      abort_incomplete_multipart_upload_days:
        description: Abort multipart uploads not completed after this many days.
        type: int
      transitions:
        description: Storage class transitions (not implemented by SeaweedFS).
        type: list
        elements: dict
        suboptions:
          days:
            description: Days after creation.
            type: int
            required: true
          storage_class:
            description: Target storage class.
            type: str
            required: true
  acl:
    description: Canned ACL. The current ACL is compared by its grants.
    type: str
    choices: [private, public-read, public-read-write, authenticated-read]
  quota_mb:
    description:
      - SeaweedFS-specific bucket quota in MiB, set through the SeaweedFS admin shell (C(weed shell)),
        not S3; needs O(seaweedfs_master). V(0) removes the quota.
      - SeaweedFS enforces quotas only where the platform runs C(s3.bucket.quota.enforce).
    type: int
  location:
    description:
      - Place the bucket on this cloud location (M(metalstore.platform.location), type V(s3) for now) - the cloud
        holds its data, the site caches it. SeaweedFS-specific, through the admin shell; needs O(seaweedfs_master).
      - The cloud bucket (O(location_bucket)) is created through the provider's API when it does not exist, with
        the credentials the location holds. Only an empty local bucket can be placed; a bucket has one placement.
      - V('') unmounts the bucket (the cloud keeps every object; the site's cache of them is dropped).
      - O(state=absent) on a placed bucket unmounts it first and never deletes cloud data (with O(seaweedfs_master)
        unset the module cannot see the placement - set it whenever buckets may be placed).
      - Writing local changes back to the cloud is the job of the write-back worker the platform runs beside the
        placement (docs/connectors.md).
    type: str
  location_bucket:
    description: The bucket in the cloud. Defaults to the bucket's own name. Needs O(location); ignored with O(location='').
    type: str
  location_refresh:
    description:
      - Seconds a placed bucket's listing may be old before the site re-reads the cloud bucket's listing, so that
        objects others write to the cloud bucket appear in the site's listings (an object asked for by name is read
        from the cloud at once, whatever this says). V(0) never re-reads it.
      - Unset, a new placement gets 60 seconds and an existing one keeps its own. Changing it remounts the bucket
        over the same cloud bucket and keeps the site's cache. At most one day (V(86400)).
      - Needs O(location); ignored with O(location=''), like O(location_bucket), so that emptying the location alone
        unplaces a bucket.
      - Objects deleted in the cloud by others stay listed on the site (reading one then fails).
    type: int
notes:
  - Credentials are never logged. Throttling and 5xx answers are retried with backoff.
  - A setting the server does not implement (HTTP 501) fails the task when you asked for it.
seealso:
  - module: metalstore.platform.bucket_info
"""

EXAMPLES = r"""
- name: A versioned bucket with tags, lifecycle and CORS
  metalstore.platform.bucket:
    endpoint_url: https://s3.site.example:8333
    access_key: "{{ s3_access_key }}"
    secret_key: "{{ s3_secret_key }}"
    name: backups
    versioning: enabled
    tags:
      team: platform
    lifecycle_rules:
      - id: expire-old-versions
        noncurrent_version_expiration_days: 30
      - id: abort-stale-uploads
        abort_incomplete_multipart_upload_days: 3
    cors_rules:
      - allowed_methods: [GET]
        allowed_origins: ["https://app.site.example"]

- name: Connection settings once for a whole play
  hosts: localhost
  module_defaults:
    group/metalstore.platform.s3:
      endpoint_url: https://s3.site.example:8333
      ca_bundle: /etc/metalstore/site-ca.pem
      access_key: "{{ s3_access_key }}"
      secret_key: "{{ s3_secret_key }}"
  tasks:
    - name: A write-once bucket
      metalstore.platform.bucket:
        name: audit-logs
        object_lock_enabled: true
        object_lock_default_retention:
          mode: COMPLIANCE
          days: 365

- name: Delete a bucket and everything in it
  metalstore.platform.bucket:
    name: scratch
    state: absent
    force: true
"""

RETURN = r"""
bucket:
  description:
    - The bucket after the task (predicted in check mode). Holds the settings this task manages.
  returned: always
  type: dict
  contains:
    name:
      description: Bucket name.
      type: str
      sample: backups
    exists:
      description: Whether the bucket exists.
      type: bool
      sample: true
    versioning:
      description: V(enabled) or V(suspended).
      type: str
      returned: when managed
    tags:
      description: Tags.
      type: dict
      returned: when managed
    policy:
      description: Policy in canonical form (null when none).
      type: dict
      returned: when managed
    cors:
      description: CORS rules in S3 API form.
      type: list
      returned: when managed
    lifecycle:
      description: Lifecycle rules in canonical form.
      type: list
      returned: when managed
    encryption:
      description: Default encryption (C(algorithm), C(key_id)).
      type: dict
      returned: when managed
    acl:
      description: Canned ACL name, or C(custom).
      type: str
      returned: when managed
    object_lock:
      description: C(enabled) and C(default_retention).
      type: dict
      returned: when managed
    quota:
      description: Quota in MiB (0 = none).
      type: int
      returned: when managed
    placement:
      description: >-
        The location and cloud bucket (C(location), C(bucket)) the bucket is placed on and the seconds after which
        its listing re-reads the cloud bucket (C(refresh)), or null.
      type: dict
      returned: when managed
changed_facets:
  description: Settings that were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
  sample: [versioning, tags]
objects_deleted:
  description: Object versions deleted by O(force=true).
  returned: when state=absent
  type: int
"""

from ansible_collections.metalstore.platform.plugins.module_utils.bucket_converge import (
    bucket_spec, converge, normalise_empty)
from ansible_collections.metalstore.platform.plugins.module_utils.bucket_state import make_facets
from ansible_collections.metalstore.platform.plugins.module_utils.s3_connection import s3_client
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run, s3_module, shell_factory


def main():
    module = s3_module(bucket_spec(), required_by={"encryption_key_id": "encryption"})
    params = module.params
    normalise_empty(params)
    facets = make_facets(shell_factory(params))
    run(module, lambda: converge(params, s3_client(params), facets, module.check_mode, module._diff))


if __name__ == "__main__":
    main()
