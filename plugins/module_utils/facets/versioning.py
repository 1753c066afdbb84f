# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from .base import Facet


def normalize_versioning(status):
    """S3 reports '' for a bucket that never had versioning; for convergence that equals 'suspended':
    both mean new objects get no versions, and suspending such a bucket would be a pointless write."""
    return "enabled" if (status or "").lower() == "enabled" else "suspended"


class Versioning(Facet):
    name = "versioning"
    options = ("versioning",)
    read_operation = "GetBucketVersioning"

    def desired(self, params, current):
        return params["versioning"]

    def read(self, client, bucket):
        resp = self.call(client.get_bucket_versioning, self.read_operation, bucket)
        return normalize_versioning(resp.get("Status"))

    def write(self, client, bucket, desired, current, params):
        self.call(client.put_bucket_versioning, "PutBucketVersioning", bucket,
                  VersioningConfiguration={"Status": desired.capitalize()})
