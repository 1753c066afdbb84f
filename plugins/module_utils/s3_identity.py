# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 identities through the IAM API the S3 endpoint serves (SeaweedFS: `weed s3 -iam.readOnly=false`):
an identity is an IAM user, its permissions one inline policy the collection owns (POLICY_NAME), its keys IAM
access keys. Permissions are per bucket in the engine's own action names; they are translated to and read back
from the policy, so comparisons are on normalised values. Secrets are never read back (the API does not return
them): a key's secret exists only in the result of the call that created it."""

from __future__ import annotations

import json
import re

from .s3_errors import BOTO_ERRORS, S3ModuleError, ValidationError, error_code, translate

POLICY_NAME = "metalstore-permissions"
# The engine's actions, and the S3 operations each stands for in an IAM policy.
ACTIONS = {
    "Read": ["s3:GetObject", "s3:GetObjectVersion"],
    "Write": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
    "List": ["s3:ListBucket", "s3:ListBucketVersions"],
    "Tagging": ["s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObjectTagging"],
    "Admin": ["s3:*"],
}
# IAM's user-name rule (the engine applies the same): 1-64 of letters, digits and +=,.@_-
NAME_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
BUCKET_RE = re.compile(r"^(\*|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")


def validate(name, permissions):
    """Every problem with the input, in one ValidationError, before any call."""
    problems = []
    if name is not None and not NAME_RE.match(name):
        problems.append("identity name %r is not valid: 1-64 letters, digits or +=,.@_-" % name)
    seen = set()
    for i, perm in enumerate(permissions or []):
        bucket = perm.get("bucket")
        if not BUCKET_RE.match(bucket or ""):
            problems.append("permissions[%d]: bucket %r is neither '*' nor a valid bucket name" % (i, bucket))
        if bucket in seen:
            problems.append("permissions[%d]: bucket %r is listed twice: give each bucket one entry" % (i, bucket))
        seen.add(bucket)
        unknown = [a for a in perm.get("actions") or [] if a not in ACTIONS]
        if unknown:
            problems.append("permissions[%d]: %s not an action the engine knows (%s)" % (
                i, ", ".join(repr(a) for a in unknown) + (" is" if len(unknown) == 1 else " are"), ", ".join(ACTIONS)))
        if not perm.get("actions"):
            problems.append("permissions[%d]: no actions for bucket %r" % (i, bucket))
    if problems:
        raise ValidationError("; ".join(problems))


def normalise(permissions):
    """[{bucket, actions}] sorted by bucket, actions unique and sorted: the form compared and returned."""
    merged = {}
    for perm in permissions or []:
        merged.setdefault(perm["bucket"], set()).update(perm.get("actions") or [])
    return [{"bucket": b, "actions": sorted(a)} for b, a in sorted(merged.items())]


def to_policy(permissions):
    statements = []
    for perm in normalise(permissions):
        b = perm["bucket"]
        resources = ["arn:aws:s3:::*"] if b == "*" else ["arn:aws:s3:::%s" % b, "arn:aws:s3:::%s/*" % b]
        actions = sorted({op for a in perm["actions"] for op in ACTIONS[a]})
        statements.append({"Sid": "bucket-" + ("all" if b == "*" else b), "Effect": "Allow", "Action": actions,
                           "Resource": resources})
    return {"Version": "2012-10-17", "Statement": statements}


def from_policy(document):
    """Permissions from a policy this collection wrote; None when the document is not in that form (changed by
    someone else: it is then rewritten)."""
    if isinstance(document, str):
        document = json.loads(document)
    perms = []
    for st in (document or {}).get("Statement") or []:
        res = st.get("Resource") or []
        res = [res] if isinstance(res, str) else res
        ops = st.get("Action") or []
        ops = set([ops] if isinstance(ops, str) else ops)
        if st.get("Effect") != "Allow" or not res:
            return None
        bucket = "*" if res == ["arn:aws:s3:::*"] else res[0].split(":::", 1)[-1].split("/", 1)[0]
        actions = [a for a, needed in ACTIONS.items() if set(needed) <= ops]
        if "Admin" in actions:
            actions = ["Admin"]
        perms.append({"bucket": bucket, "actions": actions})
    return normalise(perms)


class Identities(object):
    """The calls, each mapped onto the collection's typed errors."""

    def __init__(self, iam):
        self.iam = iam

    def _call(self, operation, missing_ok=False, **kwargs):
        try:
            return getattr(self.iam, operation)(**kwargs)
        except BOTO_ERRORS as exc:
            if missing_ok and error_code(exc) in ("NoSuchEntity", "404", "NotFound"):
                return None
            err = translate(exc, operation, client=self.iam)
            if error_code(exc) in ("InvalidInput", "ValidationError", "MalformedPolicyDocument", "EntityAlreadyExists"):
                raise ValidationError(str(err), err.code, operation, err.request_id)
            raise err

    def names(self):
        out, marker = [], None
        while True:
            page = self._call("list_users", **({"Marker": marker} if marker else {}))
            out += [u["UserName"] for u in page.get("Users") or []]
            if not page.get("IsTruncated"):
                return sorted(out)
            marker = page.get("Marker")

    def read(self, name):
        """{'name', 'permissions', 'access_keys'} or None when the identity does not exist."""
        if self._call("get_user", missing_ok=True, UserName=name) is None:
            return None
        policy = self._call("get_user_policy", missing_ok=True, UserName=name, PolicyName=POLICY_NAME)
        perms = [] if policy is None else from_policy(policy.get("PolicyDocument"))
        keys = self._call("list_access_keys", UserName=name).get("AccessKeyMetadata") or []
        return {"name": name, "permissions": perms,
                "access_keys": sorted(({"access_key": k["AccessKeyId"], "status": k.get("Status", "Active")}
                                       for k in keys), key=lambda k: k["access_key"])}

    def create(self, name):
        self._call("create_user", UserName=name)

    def delete(self, name, current):
        for key in current["access_keys"]:
            self._call("delete_access_key", UserName=name, AccessKeyId=key["access_key"])
        if current["permissions"] or current["permissions"] is None:
            self._call("delete_user_policy", missing_ok=True, UserName=name, PolicyName=POLICY_NAME)
        self._call("delete_user", UserName=name)

    def put_permissions(self, name, permissions):
        if permissions:
            self._call("put_user_policy", UserName=name, PolicyName=POLICY_NAME,
                       PolicyDocument=json.dumps(to_policy(permissions), sort_keys=True))
        else:
            self._call("delete_user_policy", missing_ok=True, UserName=name, PolicyName=POLICY_NAME)

    def create_key(self, name):
        key = self._call("create_access_key", UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def delete_key(self, name, access_key):
        self._call("delete_access_key", UserName=name, AccessKeyId=access_key)


def rollback_error(exc, undo_exc):
    """The error to report when undoing a just-created identity failed too."""
    return S3ModuleError("%s; removing the just-created identity failed as well (%s): delete it by hand" % (exc, undo_exc),
                         exc.code, exc.operation, exc.request_id)
