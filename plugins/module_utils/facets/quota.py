# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bucket quota: SeaweedFS-specific, set through its admin shell (there is no S3 API for quotas).
Enforcement is SeaweedFS's own job (`s3.bucket.quota.enforce`), run by the platform, not per bucket."""

from __future__ import annotations

from .base import Facet


class Quota(Facet):
    name = "quota"
    options = ("quota_mb",)
    read_operation = "s3.bucket.quota -op=get"

    def __init__(self, shell_factory):
        # The shell is built only when quota is managed, so seaweedfs_master is required only then.
        self._factory = shell_factory
        self._shell = None

    @property
    def shell(self):
        if self._shell is None:
            self._shell = self._factory()
        return self._shell

    def desired(self, params, current):
        return params["quota_mb"]

    def read(self, client, bucket):
        # Existence is learned from S3 (HeadBucket, or another facet's GET), never from the shell's wording.
        from ..seaweedfs_shell import parse_quota
        return max(parse_quota(self.shell.run(f"s3.bucket.quota -name={bucket} -op=get")), 0)

    def write(self, client, bucket, desired, current, params):
        if desired == 0:
            self.shell.run(f"s3.bucket.quota -name={bucket} -op=remove")
        else:
            self.shell.run(f"s3.bucket.quota -name={bucket} -op=set -sizeMB={int(desired)}")
