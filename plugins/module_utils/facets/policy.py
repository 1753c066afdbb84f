# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bucket policy. Servers store policies normalised (SeaweedFS re-serialises the JSON, AWS reorders and
collapses single-element lists), so policies are compared by meaning, not by text."""

from __future__ import annotations

import json

from ..s3_errors import ValidationError
from .base import Facet

_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")


def _as_sorted_list(value, lower=False):
    items = value if isinstance(value, list) else [value]
    items = [str(i).lower() if lower else str(i) for i in items]
    return sorted(set(items))


def _principal(value):
    if value == "*":
        return {"AWS": ["*"]}
    if isinstance(value, dict):
        return {k: _as_sorted_list(v) for k, v in sorted(value.items())}
    return value


def _statement(st):
    out = {}
    for key, value in st.items():
        if key in _LIST_KEYS:
            out[key] = _as_sorted_list(value, lower=key.endswith("Action"))
        elif key in ("Principal", "NotPrincipal"):
            out[key] = _principal(value)
        elif key == "Condition":
            out[key] = {op: {k: _as_sorted_list(v) for k, v in sorted(conds.items())}
                        for op, conds in sorted(value.items())}
        elif key == "Sid" and not value:
            continue
        else:
            out[key] = value
    return out


def parse_policy(value):
    """Parse a policy given as dict or JSON text; raise ValidationError with the reason if it is malformed."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationError(f"policy is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValidationError("policy must be a JSON object")
    statements = value.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise ValidationError("policy must have a non-empty 'Statement' (an object or a list of objects)")
    for i, st in enumerate(statements):
        if not isinstance(st, dict):
            raise ValidationError(f"policy Statement[{i}] must be an object")
        missing = [k for k in ("Effect",) if k not in st]
        if missing or st.get("Effect") not in ("Allow", "Deny"):
            raise ValidationError(f"policy Statement[{i}] needs Effect 'Allow' or 'Deny'")
        if not any(k in st for k in ("Action", "NotAction")):
            raise ValidationError(f"policy Statement[{i}] needs Action or NotAction")
    return value


def normalize_policy(policy):
    """Canonical form of a parsed policy (or None for no policy)."""
    if not policy:
        return None
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    norm = [_statement(s) for s in statements]
    norm.sort(key=lambda s: json.dumps(s, sort_keys=True))
    out = {k: v for k, v in policy.items() if k not in ("Statement", "Id") or (k == "Id" and v)}
    out["Statement"] = norm
    return out


class Policy(Facet):
    name = "policy"
    options = ("policy",)
    read_operation = "GetBucketPolicy"

    def desired(self, params, current):
        value = params["policy"]
        if value in ("", {}, "{}"):
            return None  # an empty policy means "no policy"
        return normalize_policy(parse_policy(value))

    def read(self, client, bucket):
        resp = self.get_or_none(client.get_bucket_policy, self.read_operation, bucket)
        if not resp or not resp.get("Policy"):
            return None
        return normalize_policy(json.loads(resp["Policy"]))

    def write(self, client, bucket, desired, current, params):
        if desired is None:
            self.call(client.delete_bucket_policy, "DeleteBucketPolicy", bucket)
        else:
            # Compared in canonical form, written as the user wrote it.
            self.call(client.put_bucket_policy, "PutBucketPolicy", bucket,
                      Policy=json.dumps(parse_policy(params["policy"])))
