# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Object lock: enabled only at creation (S3 cannot add or remove it later), plus a default retention."""

from __future__ import annotations

from ..s3_errors import ValidationError
from .base import Facet


def retention_from_options(opt):
    if not opt:
        return None
    out = {"mode": opt["mode"]}
    out["days" if opt.get("days") else "years"] = opt.get("days") or opt.get("years")
    return out


def lock_from_api(resp):
    conf = (resp or {}).get("ObjectLockConfiguration") or {}
    if conf.get("ObjectLockEnabled") != "Enabled":
        return {"enabled": False, "default_retention": None}
    ret = (conf.get("Rule") or {}).get("DefaultRetention")
    if not ret:
        return {"enabled": True, "default_retention": None}
    out = {"mode": ret["Mode"]}
    out["days" if ret.get("Days") else "years"] = ret.get("Days") or ret.get("Years")
    return {"enabled": True, "default_retention": out}


class ObjectLock(Facet):
    name = "object_lock"
    options = ("object_lock_enabled", "object_lock_default_retention")
    read_operation = "GetObjectLockConfiguration"

    def desired(self, params, current):
        out = dict(current)
        enabled = params.get("object_lock_enabled")
        if enabled is not None and enabled != current["enabled"]:
            raise ValidationError(
                f"object lock is {'enabled' if current['enabled'] else 'not enabled'} on this existing bucket and "
                "S3 allows choosing it only when a bucket is created: recreate the bucket to change it")
        if params.get("object_lock_default_retention") is not None:
            if not current["enabled"]:
                raise ValidationError("object_lock_default_retention needs object lock, which this existing bucket "
                                      "does not have (it can only be enabled at creation)")
            out["default_retention"] = retention_from_options(params["object_lock_default_retention"])
        return out

    def read(self, client, bucket):
        return lock_from_api(self.get_or_none(client.get_object_lock_configuration, self.read_operation, bucket))

    def write(self, client, bucket, desired, current, params):
        conf = {"ObjectLockEnabled": "Enabled"}
        ret = desired.get("default_retention")
        if ret:
            period = {"Days": ret["days"]} if "days" in ret else {"Years": ret["years"]}
            conf["Rule"] = {"DefaultRetention": dict(Mode=ret["mode"], **period)}
        self.call(client.put_object_lock_configuration, "PutObjectLockConfiguration", bucket,
                  ObjectLockConfiguration=conf)
