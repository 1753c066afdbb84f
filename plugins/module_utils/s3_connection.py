# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options and a boto3 S3 client with retries and a guard against dangerous calls."""

from __future__ import annotations

import os

try:
    # botocore alone: boto3's resource layer and s3transfer add ~150 ms to every module start.
    import botocore.session
    from botocore.config import Config
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's packages
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc

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
    max_attempts=dict(type="int", default=5),
)


def _refuse_forbidden(model, **kwargs):
    if model.name in FORBIDDEN_OPERATIONS:
        raise S3ModuleError(
            f"refusing to call {model.name}: some S3 engines turn it into bucket creation or deletion",
            operation=model.name)


def s3_client(params, on_call=None):
    """Build an S3 client from the module's connection parameters.

    `on_call(operation_name)` is called for every API request actually sent (retries included),
    which the benchmarks use to count calls.
    """
    if params.get("ca_bundle") and not os.path.isfile(params["ca_bundle"]):
        raise S3ModuleError(f"ca_bundle '{params['ca_bundle']}' does not exist or is not a file")
    config = Config(
        s3={"addressing_style": params.get("addressing_style") or "path"},
        retries={"mode": "standard", "max_attempts": max(1, params.get("max_attempts") or 5)},
        connect_timeout=10, read_timeout=60,
        # A single module run issues a handful of calls, several at once when reading facets.
        max_pool_connections=16,
        user_agent_extra="metalstore.platform",
    )
    verify = params.get("ca_bundle") or params.get("validate_certs", True)
    session = botocore.session.get_session()
    client = session.create_client(
        "s3", region_name=params.get("region") or "us-east-1", endpoint_url=params.get("endpoint_url") or None,
        verify=verify, config=config, aws_access_key_id=params.get("access_key"),
        aws_secret_access_key=params.get("secret_key"), aws_session_token=params.get("session_token"))
    client.meta.events.register("before-call.s3", _refuse_forbidden)
    if on_call is not None:
        client.meta.events.register("before-send.s3", lambda request, **kw: on_call(request))
    return client
