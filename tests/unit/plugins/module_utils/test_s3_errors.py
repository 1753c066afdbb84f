# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mapping of botocore's exception types onto the modules' typed errors. Server answers come from botocore's
Stubber; connection-level failures are raised where botocore's HTTP layer raises them (before-send), so they go
through the real retry handler. No request leaves the process."""

from __future__ import annotations

import pytest
from botocore.exceptions import (ConnectTimeoutError, EndpointConnectionError, NoCredentialsError, ParamValidationError,
                                 ReadTimeoutError, SSLError)
from botocore.stub import Stubber

from ansible_collections.metalstore.platform.plugins.module_utils.facets.base import Facet
from ansible_collections.metalstore.platform.plugins.module_utils.s3_connection import S3_CONNECTION_SPEC, s3_client
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import (
    AccessDenied, BadCredentials, BucketNotFound, EndpointError, EndpointTimeout, NotSupported, S3ModuleError)

ENDPOINT = "http://127.0.0.1:9"  # never contacted


def client(**overrides):
    params = {k: v.get("default") for k, v in S3_CONNECTION_SPEC.items()}
    params.update(endpoint_url=ENDPOINT, access_key="AKIDTEST", secret_key="secret", max_attempts=2)
    params.update(overrides)
    return s3_client(params)


def get_versioning(c):
    return Facet().call(c.get_bucket_versioning, "GetBucketVersioning", "b1")


@pytest.mark.parametrize("code,status,expected", [
    ("NoSuchBucket", 404, BucketNotFound),
    ("AccessDenied", 403, AccessDenied),
    ("SignatureDoesNotMatch", 403, BadCredentials),
    ("InvalidAccessKeyId", 403, BadCredentials),
    ("NotImplemented", 501, NotSupported),
    ("InternalError", 500, S3ModuleError),
])
def test_client_errors_map_by_code_and_carry_the_request_id(code, status, expected):
    c = client()
    with Stubber(c) as stub:
        stub.add_client_error("get_bucket_versioning", service_error_code=code, service_message="told you",
                              http_status_code=status, response_meta={"RequestId": "REQ-42"})
        with pytest.raises(expected) as err:
            get_versioning(c)
    assert err.type is expected  # the exact class, not a parent
    assert err.value.code == code and err.value.operation == "GetBucketVersioning"
    assert err.value.request_id == "REQ-42" and "request id REQ-42" in str(err.value)
    assert err.value.result() == {"error_code": code, "operation": "GetBucketVersioning", "request_id": "REQ-42"}


def raising(exc):
    def handler(**kwargs):
        raise exc
    return handler


@pytest.mark.parametrize("exc,expected,words", [
    (ReadTimeoutError(endpoint_url=ENDPOINT), EndpointTimeout, "timed out: the S3 endpoint accepted the connection"),
    (ConnectTimeoutError(endpoint_url=ENDPOINT), EndpointTimeout, "no connection to the S3 endpoint within 5s"),
    (EndpointConnectionError(endpoint_url=ENDPOINT), EndpointError, "cannot reach the S3 endpoint"),
    (SSLError(endpoint_url=ENDPOINT, error="certificate verify failed"), EndpointError, "TLS with the S3 endpoint"),
])
def test_connection_errors_are_endpoint_errors_after_the_configured_attempts(exc, expected, words):
    c = client()
    sent = []
    c.meta.events.register("before-send.s3", lambda **kw: sent.append(1))
    c.meta.events.register("before-send.s3", raising(exc))
    with pytest.raises(expected) as err:
        get_versioning(c)
    assert words in str(err.value)
    assert "(2 attempts)" in str(err.value) or expected is EndpointError
    assert len(sent) == 2  # retried once, then reported


def test_read_timeout_message_names_the_configured_bound():
    c = client(read_timeout=3, max_attempts=1)
    c.meta.events.register("before-send.s3", raising(ReadTimeoutError(endpoint_url=ENDPOINT)))
    with pytest.raises(EndpointTimeout, match=r"no answer within 3s \(1 attempts\) \(read_timeout\)"):
        get_versioning(c)


def test_missing_credentials_are_a_credentials_error():
    c = client()
    c.meta.events.register("before-sign.s3", raising(NoCredentialsError()))
    with pytest.raises(BadCredentials, match="no complete credentials.*Set access_key and secret_key"):
        get_versioning(c)


def test_parameter_validation_errors_are_not_misreported():
    # A request botocore refuses to build is a bug or unvalidated input: it keeps its own type and traceback.
    with pytest.raises(ParamValidationError):
        Facet().call(client().put_bucket_versioning, "PutBucketVersioning", "b1", VersioningConfiguration="x")


def test_other_exceptions_propagate_unchanged():
    c = client()
    c.meta.events.register("before-send.s3", raising(ZeroDivisionError("a plain bug")))
    with pytest.raises(ZeroDivisionError):
        get_versioning(c)


def test_a_not_configured_answer_reads_as_none():
    c = client()
    with Stubber(c) as stub:
        stub.add_client_error("get_bucket_tagging", service_error_code="NoSuchTagSet", http_status_code=404)
        assert Facet().get_or_none(c.get_bucket_tagging, "GetBucketTagging", "b1") is None


def test_a_new_bucket_rides_out_eventually_consistent_configuration(monkeypatch):
    # AWS may answer NoSuchBucket to the first configuration write after CreateBucket; the module waits for it.
    from ansible_collections.metalstore.platform.plugins.module_utils import bucket_converge
    from ansible_collections.metalstore.platform.plugins.module_utils.bucket_converge import bucket_spec, converge
    from ansible_collections.metalstore.platform.plugins.module_utils.bucket_state import make_facets
    monkeypatch.setattr(bucket_converge, "NEW_BUCKET_RETRY_DELAYS", (0, 0))
    params = {k: v.get("default") for k, v in bucket_spec().items()}
    params.update(name="ms-new", versioning="enabled")
    c = client()
    with Stubber(c) as stub:
        stub.add_client_error("get_bucket_versioning", service_error_code="NoSuchBucket", http_status_code=404)
        stub.add_response("create_bucket", {})
        stub.add_client_error("put_bucket_versioning", service_error_code="NoSuchBucket", http_status_code=404)
        stub.add_response("put_bucket_versioning", {})
        result = converge(params, c, make_facets(None), check_mode=False, diff=False)
        stub.assert_no_pending_responses()
    assert result["changed"] and result["changed_facets"] == ["exists", "versioning"]


def test_an_existing_bucket_that_vanishes_is_not_retried(monkeypatch):
    from ansible_collections.metalstore.platform.plugins.module_utils.bucket_converge import bucket_spec, converge
    from ansible_collections.metalstore.platform.plugins.module_utils.bucket_state import make_facets
    params = {k: v.get("default") for k, v in bucket_spec().items()}
    params.update(name="ms-old", versioning="enabled")
    c = client()
    with Stubber(c) as stub:
        stub.add_response("get_bucket_versioning", {"Status": "Suspended"})
        stub.add_client_error("put_bucket_versioning", service_error_code="NoSuchBucket", http_status_code=404)
        with pytest.raises(BucketNotFound):
            converge(params, c, make_facets(None), check_mode=False, diff=False)
