# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors for the S3 modules, and the mapping of botocore's own exception types onto them.

Only what botocore defines is mapped (ClientError by its S3 code, connection and timeout errors, missing
credentials). Anything else is a bug or an unexpected condition and is not caught: it reaches the user with its
traceback instead of being misreported as an unreachable endpoint.
"""

from __future__ import annotations

try:
    from botocore.exceptions import (ClientError, ConnectionClosedError, ConnectTimeoutError,
                                     EndpointConnectionError, NoCredentialsError, PartialCredentialsError,
                                     ProxyConnectionError, ReadTimeoutError, SSLError)
    # What every S3 call site catches: exactly the types translate() maps.
    BOTO_ERRORS = (ClientError, ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError,
                   ConnectionClosedError, ProxyConnectionError, SSLError, NoCredentialsError, PartialCredentialsError)
except ImportError:  # pragma: no cover - the modules report the missing library themselves
    class _Absent(Exception):
        """Stands in for botocore's types when it is missing (nothing can raise them then)."""

    ClientError = ConnectionClosedError = ConnectTimeoutError = EndpointConnectionError = _Absent
    NoCredentialsError = PartialCredentialsError = ProxyConnectionError = ReadTimeoutError = SSLError = _Absent
    BOTO_ERRORS = ()

# Error codes that mean "this facet is simply not configured" on a GET.
NOT_CONFIGURED_CODES = frozenset((
    "NoSuchTagSet", "NoSuchBucketPolicy", "NoSuchCORSConfiguration", "NoSuchLifecycleConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError", "ObjectLockConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration", "OwnershipControlsNotFoundError",
))
NOT_FOUND_CODES = frozenset(("NoSuchBucket", "404", "NotFound"))
ACCESS_CODES = frozenset(("AccessDenied", "Forbidden", "403", "AllAccessDisabled"))
CREDENTIAL_CODES = frozenset(("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                              "InvalidClientTokenId", "AuthorizationHeaderMalformed"))
NOT_IMPLEMENTED_CODES = frozenset(("NotImplemented", "501"))


class S3ModuleError(Exception):
    """Base class: `str(err)` is the message shown to the user."""

    def __init__(self, message, code=None, operation=None, request_id=None):
        super().__init__(message)
        self.code = code
        self.operation = operation
        self.request_id = request_id

    def result(self):
        """Fields of the module's failure result besides msg."""
        return {"error_code": self.code, "operation": self.operation, "request_id": self.request_id}


class BucketNotFound(S3ModuleError):
    pass


class AccessDenied(S3ModuleError):
    pass


class BadCredentials(S3ModuleError):
    pass


class NotSupported(S3ModuleError):
    """The server answered 501 NotImplemented (or equivalent) for a facet."""


class ValidationError(S3ModuleError):
    """The user's input is wrong; raised before anything is written."""


class EndpointError(S3ModuleError):
    """The endpoint cannot be reached (DNS, refused connection, TLS)."""


class EndpointTimeout(EndpointError):
    """The endpoint did not connect or answer within the configured timeout."""


class AdminShellError(S3ModuleError):
    """`weed shell` failed or timed out."""


def error_code(exc):
    """The S3 error code of a botocore ClientError, or None."""
    response = getattr(exc, "response", None) or {}
    code = (response.get("Error") or {}).get("Code")
    if code:
        return str(code)
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return str(status) if status else None


def http_status(exc):
    response = getattr(exc, "response", None) or {}
    return (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")


def request_id(exc):
    """The server's id of the failed request (what its logs and support know it by), or None."""
    meta = (getattr(exc, "response", None) or {}).get("ResponseMetadata") or {}
    headers = meta.get("HTTPHeaders") or {}
    return meta.get("RequestId") or headers.get("x-amz-request-id") or None


def translate(exc, operation, bucket=None, client=None):
    """Turn one of BOTO_ERRORS raised by `operation` into a typed S3ModuleError with a clear message.
    client: the client that sent it; its configured timeouts go into the message of a timeout."""
    where = "%s on bucket '%s'" % (operation, bucket) if bucket else operation
    if not isinstance(exc, ClientError):
        return _connection_error(exc, where, operation, client_bounds(client))
    code = error_code(exc)
    rid = request_id(exc)
    ref = " (request id %s)" % rid if rid else ""
    # Some engines (radosgw) send error documents without a message.
    message = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message") or "no message from the server"
    if code in CREDENTIAL_CODES:
        return BadCredentials(
            "%s was refused: the credentials are not valid for this endpoint (%s: %s)%s. Check access_key/secret_key."
            % (where, code, message, ref), code, operation, rid)
    if code in ACCESS_CODES or http_status(exc) == 403:
        return AccessDenied("%s was refused: access denied (%s)%s. The credentials in use lack permission for it."
                            % (where, code, ref), code, operation, rid)
    if code in NOT_FOUND_CODES:
        return BucketNotFound("%s failed: the bucket does not exist%s." % (where, ref), code, operation, rid)
    if code in NOT_IMPLEMENTED_CODES or http_status(exc) == 501:
        return NotSupported("%s is not supported by this S3 server (%s: %s)%s." % (where, code, message, ref),
                            code, operation, rid)
    return S3ModuleError("%s failed: %s: %s%s" % (where, code, message, ref), code, operation, rid)


def client_bounds(client):
    config = getattr(getattr(client, "meta", None), "config", None)
    if config is None:
        return {}
    return {"connect": config.connect_timeout, "read": config.read_timeout,
            "attempts": (config.retries or {}).get("max_attempts") or (config.retries or {}).get("total_max_attempts")}


def _connection_error(exc, where, operation, timeouts):
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return BadCredentials("%s: no complete credentials (%s). Set access_key and secret_key (or "
                              "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)." % (where, exc), operation=operation)
    attempts = timeouts.get("attempts")
    tries = " (%d attempts)" % attempts if attempts else ""
    if isinstance(exc, ReadTimeoutError):
        return EndpointTimeout("%s timed out: the S3 endpoint accepted the connection but sent no answer within %ss%s "
                               "(read_timeout). Is the service behind it running?"
                               % (where, timeouts.get("read", "?"), tries), operation=operation)
    if isinstance(exc, ConnectTimeoutError):
        return EndpointTimeout("%s timed out: no connection to the S3 endpoint within %ss%s (connect_timeout): %s"
                               % (where, timeouts.get("connect", "?"), tries, exc), operation=operation)
    if isinstance(exc, SSLError):
        return EndpointError("%s failed: TLS with the S3 endpoint failed (%s). Check ca_bundle / validate_certs."
                             % (where, exc), operation=operation)
    return EndpointError("%s failed: cannot reach the S3 endpoint: %s" % (where, exc), operation=operation)
