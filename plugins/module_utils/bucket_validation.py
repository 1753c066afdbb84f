# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks for bucket modules: all of them run before any request is sent."""

from __future__ import annotations

import re

from .s3_errors import ValidationError

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def bucket_name_problems(name):
    """Reasons a name breaks the S3 bucket naming rules (empty list when it is valid)."""
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append("must be 3 to 63 characters long")
    if not _NAME_RE.match(name):
        problems.append("may contain only lowercase letters, digits, dots and hyphens, "
                        "and must start and end with a letter or digit")
    if ".." in name or ".-" in name or "-." in name:
        problems.append("must not contain '..', '.-' or '-.'")
    if _IP_RE.match(name):
        problems.append("must not look like an IP address")
    if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3")):
        problems.append("must not use a reserved prefix or suffix (xn--, sthree-, -s3alias, --ol-s3)")
    return problems


def validate_bucket_name(name):
    problems = bucket_name_problems(name)
    if problems:
        raise ValidationError(f"invalid bucket name '{name}': " + "; ".join(problems))


def validate_bucket_params(params, facet_options):
    """Cross-option checks the argument spec cannot express."""
    validate_bucket_name(params["name"])
    if params["state"] == "absent":
        set_facets = sorted(o for o in facet_options if params.get(o) is not None)
        if set_facets:
            raise ValidationError(f"state=absent conflicts with bucket settings: {', '.join(set_facets)}")
    if params.get("encryption_key_id") and params.get("encryption") != "aws:kms":
        raise ValidationError("encryption_key_id requires encryption=aws:kms")
    lock = params.get("object_lock_enabled")
    if params.get("versioning") == "suspended" and lock:
        raise ValidationError("object lock requires versioning: versioning=suspended conflicts with "
                              "object_lock_enabled=true")
    ret = params.get("object_lock_default_retention")
    if ret:
        if not ret.get("mode"):
            raise ValidationError("object_lock_default_retention needs a mode (GOVERNANCE or COMPLIANCE)")
        if not (ret.get("days") or ret.get("years")):  # both at once: the argument spec refuses it
            raise ValidationError("object_lock_default_retention needs days or years")
        if (ret.get("days") or ret.get("years")) < 1:
            raise ValidationError("object_lock_default_retention days/years must be 1 or more")
    if params.get("location") is not None and not params.get("seaweedfs_master"):
        raise ValidationError("location (placement) is managed through the SeaweedFS admin shell: set seaweedfs_master")
    if params.get("quota_mb") is not None:
        if params["quota_mb"] < 0:
            raise ValidationError("quota_mb must be 0 (no quota) or more")
        if not params.get("seaweedfs_master"):
            raise ValidationError("quota_mb is managed through the SeaweedFS admin shell: set seaweedfs_master")
