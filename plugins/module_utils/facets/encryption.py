# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Default encryption. What the module does not model (S3 Bucket Keys, more than one rule) shows in the normalised
value, so it compares as a difference instead of being dropped."""
from __future__ import annotations

from .base import Facet


def encryption_from_api(resp):
    rules = ((resp or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    if not rules:
        return {"algorithm": "none"}
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    out = {"algorithm": default.get("SSEAlgorithm") or "none"}
    if default.get("KMSMasterKeyID"):
        out["key_id"] = default["KMSMasterKeyID"]
    if rules[0].get("BucketKeyEnabled"):
        out["bucket_key_enabled"] = True
    if len(rules) > 1:
        out["more_rules"] = rules[1:]
    return out


class Encryption(Facet):
    name = "encryption"
    options = ("encryption",)
    read_operation = "GetBucketEncryption"

    def desired(self, params, current):
        out = {"algorithm": params["encryption"]}
        if params.get("encryption_key_id"):
            out["key_id"] = params["encryption_key_id"]
        return out

    def read(self, client, bucket):
        return encryption_from_api(self.get_or_none(client.get_bucket_encryption, self.read_operation, bucket))

    def write(self, client, bucket, desired, current, params):
        if desired["algorithm"] == "none":
            self.call(client.delete_bucket_encryption, "DeleteBucketEncryption", bucket)
            return
        default = {"SSEAlgorithm": desired["algorithm"]}
        if desired.get("key_id"):
            default["KMSMasterKeyID"] = desired["key_id"]
        self.call(client.put_bucket_encryption, "PutBucketEncryption", bucket,
                  ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
