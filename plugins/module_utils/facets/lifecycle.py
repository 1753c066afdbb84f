# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lifecycle rules. Rules are compared in a canonical flat form keyed by ID (their order carries no meaning).

What the module does not model (tag and size filters, expiration dates, expired-delete-marker cleanup, noncurrent
transitions, ...) is kept in the canonical form under "not_modelled", so a server rule that has it never compares
equal to a declared rule without it: the module reports the drift and rewrites the rule as declared."""

from __future__ import annotations

from ..s3_errors import ValidationError
from .base import Facet


def _canonical(rule_id, status, prefix, expiration_days=None, noncurrent_days=None, abort_days=None,
               transitions=None):
    out = {"id": rule_id, "status": status, "prefix": prefix or ""}
    if expiration_days is not None:
        out["expiration_days"] = int(expiration_days)
    if noncurrent_days is not None:
        out["noncurrent_version_expiration_days"] = int(noncurrent_days)
    if abort_days is not None:
        out["abort_incomplete_multipart_upload_days"] = int(abort_days)
    if transitions:
        out["transitions"] = sorted(({"days": int(t["days"]), "storage_class": str(t["storage_class"])}
                                     for t in transitions), key=lambda t: (t["days"], t["storage_class"]))
    return out


# The parts of an API rule the canonical form expresses; everything else is "not modelled".
_MODELLED = {
    "ID": True, "Status": True, "Prefix": True,
    "Filter": {"Prefix": True, "And": {"Prefix": True}},
    "Expiration": {"Days": True},
    "NoncurrentVersionExpiration": {"NoncurrentDays": True},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": True},
    "Transitions": True,  # checked element by element below
}
_MODELLED_TRANSITION = frozenset(("Days", "StorageClass"))


def _not_modelled(raw, model):
    """What of `raw` (an API structure) `model` does not cover; values that mean "off" are left out."""
    out = {}
    for key, value in (raw or {}).items():
        if value in (None, False, "", [], {}):
            continue
        sub = model.get(key)
        if sub is True:
            continue
        if isinstance(sub, dict) and isinstance(value, dict):
            rest = _not_modelled(value, sub)
            if rest:
                out[key] = rest
        else:
            out[key] = value
    return out


def validate_lifecycle_rules(rules):
    """Problems a server would reject (or silently misapply), found before anything is written."""
    seen = set()
    for i, r in enumerate(rules or []):
        where = f"lifecycle_rules[{i}] (id '{r.get('id')}')"
        if r["id"] in seen:
            raise ValidationError(f"{where}: duplicate rule id")
        seen.add(r["id"])
        actions = ("expiration_days", "noncurrent_version_expiration_days",
                   "abort_incomplete_multipart_upload_days", "transitions")
        if not any(r.get(a) is not None and r.get(a) != [] for a in actions):
            raise ValidationError(f"{where}: a rule needs at least one action: {', '.join(actions)}")
        for a in actions[:3]:
            if r.get(a) is not None and r[a] < 1:
                raise ValidationError(f"{where}: {a} must be 1 or more, got {r[a]}")
        for t in r.get("transitions") or []:
            if t["days"] < 0:
                raise ValidationError(f"{where}: transition days must not be negative")


def lifecycle_from_options(rules):
    out = [_canonical(r["id"], r.get("status") or "enabled", r.get("prefix"), r.get("expiration_days"),
                      r.get("noncurrent_version_expiration_days"), r.get("abort_incomplete_multipart_upload_days"),
                      r.get("transitions")) for r in rules or []]
    return sorted(out, key=lambda r: r["id"])


def lifecycle_from_api(api_rules):
    out = []
    for r in api_rules or []:
        flt = r.get("Filter") or {}
        prefix = flt.get("Prefix", r.get("Prefix", "")) or ((flt.get("And") or {}).get("Prefix", ""))
        rule = _canonical(
            r.get("ID", ""), (r.get("Status") or "Enabled").lower(), prefix,
            (r.get("Expiration") or {}).get("Days"),
            (r.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
            (r.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
            [{"days": t.get("Days", 0), "storage_class": t.get("StorageClass")} for t in r.get("Transitions") or []],
        )
        rest = _not_modelled(r, _MODELLED)
        odd = [t for t in r.get("Transitions") or [] if set(t) - _MODELLED_TRANSITION]
        if odd:
            rest["Transitions"] = odd
        if rest:
            rule["not_modelled"] = rest
        out.append(rule)
    return sorted(out, key=lambda r: r["id"])


def lifecycle_to_api(rules):
    api = []
    for r in rules:
        rule = {"ID": r["id"], "Status": r["status"].capitalize(), "Filter": {"Prefix": r["prefix"]}}
        if "expiration_days" in r:
            rule["Expiration"] = {"Days": r["expiration_days"]}
        if "noncurrent_version_expiration_days" in r:
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": r["noncurrent_version_expiration_days"]}
        if "abort_incomplete_multipart_upload_days" in r:
            rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": r["abort_incomplete_multipart_upload_days"]}
        if r.get("transitions"):
            rule["Transitions"] = [{"Days": t["days"], "StorageClass": t["storage_class"]} for t in r["transitions"]]
        api.append(rule)
    return api


class Lifecycle(Facet):
    name = "lifecycle"
    options = ("lifecycle_rules",)
    read_operation = "GetBucketLifecycleConfiguration"

    def desired(self, params, current):
        return lifecycle_from_options(params["lifecycle_rules"])

    def read(self, client, bucket):
        resp = self.get_or_none(client.get_bucket_lifecycle_configuration, self.read_operation, bucket)
        return lifecycle_from_api((resp or {}).get("Rules"))

    def write(self, client, bucket, desired, current, params):
        if not desired:
            self.call(client.delete_bucket_lifecycle, "DeleteBucketLifecycle", bucket)
        else:
            self.call(client.put_bucket_lifecycle_configuration, "PutBucketLifecycleConfiguration", bucket,
                      LifecycleConfiguration={"Rules": lifecycle_to_api(desired)})
