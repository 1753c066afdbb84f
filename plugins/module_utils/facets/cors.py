# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from .base import Facet

# module option name -> S3 API name
_FIELDS = (("id", "ID"), ("allowed_methods", "AllowedMethods"), ("allowed_origins", "AllowedOrigins"),
           ("allowed_headers", "AllowedHeaders"), ("expose_headers", "ExposeHeaders"),
           ("max_age_seconds", "MaxAgeSeconds"))
_LISTS = ("AllowedMethods", "AllowedOrigins", "AllowedHeaders", "ExposeHeaders")


def normalize_cors_rule(rule):
    """Canonical S3-API form of one rule: lists sorted (their order carries no meaning), empty parts dropped."""
    out = {}
    for key in _LISTS:
        values = rule.get(key) or []
        if values:
            out[key] = sorted(set(str(v) for v in values))
    # Servers report an unset max age as 0 (SeaweedFS): both mean "no caching hint".
    if rule.get("MaxAgeSeconds"):
        out["MaxAgeSeconds"] = int(rule["MaxAgeSeconds"])
    if rule.get("ID"):
        out["ID"] = rule["ID"]
    return out


def cors_from_options(rules):
    """Module options (snake_case) -> canonical list. Rule order is kept: the first matching rule wins."""
    return [normalize_cors_rule({api: r.get(opt) for opt, api in _FIELDS}) for r in rules or []]


class Cors(Facet):
    name = "cors"
    options = ("cors_rules",)
    read_operation = "GetBucketCors"

    def desired(self, params, current):
        return cors_from_options(params["cors_rules"])

    def read(self, client, bucket):
        resp = self.get_or_none(client.get_bucket_cors, self.read_operation, bucket)
        return [normalize_cors_rule(r) for r in (resp or {}).get("CORSRules") or []]

    def write(self, client, bucket, desired, current, params):
        if not desired:
            self.call(client.delete_bucket_cors, "DeleteBucketCors", bucket)
        else:
            self.call(client.put_bucket_cors, "PutBucketCors", bucket, CORSConfiguration={"CORSRules": desired})
