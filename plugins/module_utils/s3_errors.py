# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors for the S3 modules, and translation of botocore errors into messages people can act on."""

from __future__ import annotations

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

    def __init__(self, message, code=None, operation=None):
        super().__init__(message)
        self.code = code
        self.operation = operation


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


def translate(exc, operation, bucket=None):
    """Turn a botocore exception raised by `operation` into a typed S3ModuleError with a clear message."""
    where = f"{operation} on bucket '{bucket}'" if bucket else operation
    code = error_code(exc)
    if code is None:
        # Connection-level problem (botocore EndpointConnectionError, SSLError, ...): no S3 code.
        return EndpointError(f"{where} failed: cannot reach the S3 endpoint: {exc}", operation=operation)
    message = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message") or str(exc)
    if code in CREDENTIAL_CODES:
        return BadCredentials(
            f"{where} was refused: the credentials are not valid for this endpoint ({code}: {message}). "
            "Check access_key/secret_key.", code, operation)
    if code in ACCESS_CODES or http_status(exc) == 403:
        return AccessDenied(
            f"{where} was refused: access denied ({code}). The credentials in use lack permission for it.",
            code, operation)
    if code in NOT_FOUND_CODES:
        return BucketNotFound(f"{where} failed: the bucket does not exist.", code, operation)
    if code in NOT_IMPLEMENTED_CODES or http_status(exc) == 501:
        return NotSupported(f"{where} is not supported by this S3 server ({code}: {message}).", code, operation)
    return S3ModuleError(f"{where} failed: {code}: {message}", code, operation)
