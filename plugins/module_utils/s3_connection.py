# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options and a botocore S3 client with bounded timeouts and retries, and a guard against dangerous
calls. Defaults make a dead endpoint (one that accepts connections and never answers) fail within 30 seconds,
retries included: 3 attempts x 7 s read timeout + at most 3 s of backoff."""

from __future__ import annotations

import os

try:
    # botocore alone: boto3's resource layer and s3transfer add ~150 ms to every module start.
    import botocore.session
    from botocore.config import Config
    HAS_BOTOCORE = True
    BOTOCORE_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's packages
    HAS_BOTOCORE = False
    BOTOCORE_IMPORT_ERROR = exc

from ansible.module_utils.basic import env_fallback

from .s3_errors import S3ModuleError

# Operations some S3 engines implement destructively: SeaweedFS 4.48 treats PUT ?replication, ?notification,
# ?website and ?logging as CreateBucket, and DELETE ?replication / ?website as DeleteBucket (data loss).
# No module of this collection needs them, so they are refused before any request is sent.
FORBIDDEN_OPERATIONS = frozenset((
    "PutBucketReplication", "DeleteBucketReplication", "PutBucketWebsite", "DeleteBucketWebsite",
    "PutBucketNotificationConfiguration", "PutBucketNotification", "PutBucketLogging",
))

S3_CONNECTION_SPEC = dict(
    endpoint_url=dict(type="str", aliases=["aws_endpoint_url", "s3_url"],
                      fallback=(env_fallback, ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])),
    region=dict(type="str", aliases=["aws_region"], fallback=(env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])),
    access_key=dict(type="str", aliases=["aws_access_key_id", "aws_access_key"], no_log=False,
                    fallback=(env_fallback, ["AWS_ACCESS_KEY_ID"])),
    secret_key=dict(type="str", aliases=["aws_secret_access_key", "aws_secret_key"], no_log=True,
                    fallback=(env_fallback, ["AWS_SECRET_ACCESS_KEY"])),
    session_token=dict(type="str", aliases=["aws_session_token"], no_log=True,
                       fallback=(env_fallback, ["AWS_SESSION_TOKEN"])),
    validate_certs=dict(type="bool", default=True),
    ca_bundle=dict(type="path", aliases=["aws_ca_bundle"], fallback=(env_fallback, ["AWS_CA_BUNDLE"])),
    addressing_style=dict(type="str", choices=["path", "virtual", "auto"], default="path"),
    max_attempts=dict(type="int", default=3),
    connect_timeout=dict(type="int", default=5),
    read_timeout=dict(type="int", default=7),
)


def _refuse_forbidden(model, **kwargs):
    if model.name in FORBIDDEN_OPERATIONS:
        raise S3ModuleError(
            f"refusing to call {model.name}: some S3 engines turn it into bucket creation or deletion",
            operation=model.name)


def timeouts(params):
    """The bounds in force, for error messages."""
    return {"connect": params.get("connect_timeout") or 5, "read": params.get("read_timeout") or 7,
            "attempts": max(1, params.get("max_attempts") or 3)}


def s3_client(params, pool=16):
    """Build an S3 client from the module's connection parameters; pool: connections kept for concurrent calls."""
    if params.get("ca_bundle") and not os.path.isfile(params["ca_bundle"]):
        raise S3ModuleError(f"ca_bundle '{params['ca_bundle']}' does not exist or is not a file")
    bounds = timeouts(params)
    config = Config(
        s3={"addressing_style": params.get("addressing_style") or "path"},
        retries={"mode": "standard", "total_max_attempts": bounds["attempts"]},
        connect_timeout=bounds["connect"], read_timeout=bounds["read"],
        # A module run sends several calls at once (a bucket's settings are read concurrently).
        max_pool_connections=max(pool, 16),
        user_agent_extra="metalstore.platform",
    )
    verify = params.get("ca_bundle") or params.get("validate_certs", True)
    session = botocore.session.get_session()
    client = session.create_client(
        "s3", region_name=params.get("region") or "us-east-1", endpoint_url=params.get("endpoint_url") or None,
        verify=verify, config=config, aws_access_key_id=params.get("access_key"),
        aws_secret_access_key=params.get("secret_key"), aws_session_token=params.get("session_token"))
    client.meta.events.register("before-call.s3", _refuse_forbidden)
    return client


def iam_client(params):
    """An IAM client for the IAM API the S3 endpoint itself serves (same URL, credentials, CA and bounds)."""
    if params.get("ca_bundle") and not os.path.isfile(params["ca_bundle"]):
        raise S3ModuleError(f"ca_bundle '{params['ca_bundle']}' does not exist or is not a file")
    bounds = timeouts(params)
    config = Config(retries={"mode": "standard", "total_max_attempts": bounds["attempts"]},
                    connect_timeout=bounds["connect"], read_timeout=bounds["read"],
                    user_agent_extra="metalstore.platform")
    session = botocore.session.get_session()
    return session.create_client(
        "iam", region_name=params.get("region") or "us-east-1", endpoint_url=params.get("endpoint_url") or None,
        verify=params.get("ca_bundle") or params.get("validate_certs", True), config=config,
        aws_access_key_id=params.get("access_key"), aws_secret_access_key=params.get("secret_key"),
        aws_session_token=params.get("session_token"))
