# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from .base import Facet

_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"

# Extra grants (beyond the owner's FULL_CONTROL) that each canned ACL produces.
CANNED = {
    "private": frozenset(),
    "public-read": frozenset({(_ALL_USERS, "READ")}),
    "public-read-write": frozenset({(_ALL_USERS, "READ"), (_ALL_USERS, "WRITE")}),
    "authenticated-read": frozenset({(_AUTH_USERS, "READ")}),
}


def canned_acl_from_grants(acl):
    """Name of the canned ACL matching a GetBucketAcl answer, or 'custom' when none matches."""
    owner = ((acl or {}).get("Owner") or {}).get("ID")
    extra = set()
    for g in (acl or {}).get("Grants") or []:
        grantee = g.get("Grantee") or {}
        if grantee.get("Type") == "CanonicalUser" and grantee.get("ID") == owner and g.get("Permission") == "FULL_CONTROL":
            continue
        extra.add((grantee.get("URI") or grantee.get("ID") or "", g.get("Permission")))
    for name, grants in CANNED.items():
        if extra == grants:
            return name
    return "custom"


class Acl(Facet):
    name = "acl"
    options = ("acl",)
    read_operation = "GetBucketAcl"

    def desired(self, params, current):
        return params["acl"]

    def read(self, client, bucket):
        return canned_acl_from_grants(self.call(client.get_bucket_acl, self.read_operation, bucket))

    def write(self, client, bucket, desired, current, params):
        self.call(client.put_bucket_acl, "PutBucketAcl", bucket, ACL=desired)
