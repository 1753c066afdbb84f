# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from .base import Facet


def tagset_to_dict(tagset):
    return {t["Key"]: t["Value"] for t in tagset or []}


def desired_tags(current, wanted, purge):
    """Tags after the change: exactly `wanted` with purge, else `current` updated with `wanted`."""
    wanted = {str(k): "" if v is None else str(v) for k, v in (wanted or {}).items()}
    if purge:
        return wanted
    merged = dict(current or {})
    merged.update(wanted)
    return merged


class Tags(Facet):
    name = "tags"
    options = ("tags",)
    read_operation = "GetBucketTagging"

    def desired(self, params, current):
        return desired_tags(current, params["tags"], params.get("purge_tags", True))

    def read(self, client, bucket):
        resp = self.get_or_none(client.get_bucket_tagging, self.read_operation, bucket)
        return tagset_to_dict((resp or {}).get("TagSet"))

    def write(self, client, bucket, desired, current, params):
        if not desired:
            self.call(client.delete_bucket_tagging, "DeleteBucketTagging", bucket)
            return
        self.call(client.put_bucket_tagging, "PutBucketTagging", bucket,
                  Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(desired.items())]})
