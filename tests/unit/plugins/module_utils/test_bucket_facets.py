# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure comparison and normalisation logic of the bucket facets (no I/O)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils.facets.acl import canned_acl_from_grants
from ansible_collections.metalstore.platform.plugins.module_utils.facets.cors import (
    cors_from_options, normalize_cors_rule)
from ansible_collections.metalstore.platform.plugins.module_utils.facets.encryption import encryption_from_api
from ansible_collections.metalstore.platform.plugins.module_utils.facets.lifecycle import (
    lifecycle_from_api, lifecycle_from_options, lifecycle_to_api, validate_lifecycle_rules)
from ansible_collections.metalstore.platform.plugins.module_utils.facets.object_lock import ObjectLock, lock_from_api
from ansible_collections.metalstore.platform.plugins.module_utils.facets.policy import normalize_policy, parse_policy
from ansible_collections.metalstore.platform.plugins.module_utils.facets.tags import desired_tags, tagset_to_dict
from ansible_collections.metalstore.platform.plugins.module_utils.facets.versioning import normalize_versioning
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError


def test_versioning_never_enabled_counts_as_suspended():
    assert normalize_versioning("") == "suspended"
    assert normalize_versioning(None) == "suspended"
    assert normalize_versioning("Suspended") == "suspended"
    assert normalize_versioning("Enabled") == "enabled"


@pytest.mark.parametrize("current,wanted,purge,expected", [
    ({"a": "1", "b": "2"}, {"a": "1"}, True, {"a": "1"}),
    ({"a": "1", "b": "2"}, {"c": 3}, False, {"a": "1", "b": "2", "c": "3"}),
    ({"a": "1"}, {}, True, {}),
    ({}, {"x": None}, True, {"x": ""}),
])
def test_desired_tags(current, wanted, purge, expected):
    assert desired_tags(current, wanted, purge) == expected


def test_tagset_to_dict():
    assert tagset_to_dict([{"Key": "a", "Value": "1"}]) == {"a": "1"}
    assert tagset_to_dict(None) == {}


def test_policy_equivalent_forms_normalise_equal():
    a = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                 "Resource": "arn:aws:s3:::b/*"}]}
    b = {"Statement": {"Resource": ["arn:aws:s3:::b/*"], "Action": ["S3:GetObject"], "Principal": {"AWS": "*"},
                       "Effect": "Allow", "Sid": ""}, "Version": "2012-10-17"}
    assert normalize_policy(a) == normalize_policy(b)


def test_policy_statement_order_and_list_order_do_not_matter():
    s1 = {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "r1"}
    s2 = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "r2"}
    p1 = {"Version": "2012-10-17", "Statement": [s1, s2]}
    p2 = {"Version": "2012-10-17", "Statement": [s2, dict(s1, Action=["s3:ListBucket", "s3:GetObject"])]}
    assert normalize_policy(p1) == normalize_policy(p2)


def test_policy_differences_are_kept():
    base = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                    "Resource": "r"}]}
    other = json.loads(json.dumps(base))
    other["Statement"][0]["Effect"] = "Deny"
    assert normalize_policy(base) != normalize_policy(other)


def test_policy_condition_values_normalised():
    c1 = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    c2 = {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}
    st = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "r"}
    assert normalize_policy({"Statement": [dict(st, Condition=c1)]}) == \
        normalize_policy({"Statement": [dict(st, Condition=c2)]})


@pytest.mark.parametrize("bad,reason", [
    ('{"Statement": [}', "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"Version": "2012-10-17"}', "non-empty 'Statement'"),
    ('{"Statement": [{"Action": "s3:*"}]}', "Effect"),
    ('{"Statement": [{"Effect": "Allow"}]}', "Action or NotAction"),
])
def test_parse_policy_rejects_malformed(bad, reason):
    with pytest.raises(ValidationError, match=reason):
        parse_policy(bad)


def test_cors_lists_sorted_and_unset_max_age_dropped():
    assert normalize_cors_rule({"AllowedMethods": ["PUT", "GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 0}) == \
        {"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["*"]}
    opts = [{"allowed_methods": ["GET"], "allowed_origins": ["https://a"], "max_age_seconds": 60, "id": None,
             "allowed_headers": None, "expose_headers": []}]
    assert cors_from_options(opts) == [{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://a"],
                                        "MaxAgeSeconds": 60}]


def _rule(**kw):
    base = {"id": "r", "status": "enabled", "prefix": "", "expiration_days": None,
            "noncurrent_version_expiration_days": None, "abort_incomplete_multipart_upload_days": None,
            "transitions": None}
    base.update(kw)
    return base


def test_lifecycle_round_trip_through_api_form():
    opts = [_rule(id="b", prefix="logs/", expiration_days=30),
            _rule(id="a", noncurrent_version_expiration_days=7, abort_incomplete_multipart_upload_days=2)]
    canonical = lifecycle_from_options(opts)
    assert [r["id"] for r in canonical] == ["a", "b"]
    assert lifecycle_from_api(lifecycle_to_api(canonical)) == canonical


def test_lifecycle_server_form_with_legacy_prefix_and_extras():
    api = [{"ID": "x", "Status": "Enabled", "Prefix": "tmp/", "Expiration": {"Days": 1}}]
    assert lifecycle_from_api(api) == [{"id": "x", "status": "enabled", "prefix": "tmp/", "expiration_days": 1}]


@pytest.mark.parametrize("rules,reason", [
    ([_rule()], "at least one action"),
    ([_rule(expiration_days=0)], "must be 1 or more"),
    ([_rule(expiration_days=1), _rule(expiration_days=2)], "duplicate rule id"),
])
def test_lifecycle_validation(rules, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_lifecycle_rules(rules)


def test_encryption_from_api():
    assert encryption_from_api(None) == {"algorithm": "none"}
    resp = {"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}, "BucketKeyEnabled": False}]}}
    assert encryption_from_api(resp) == {"algorithm": "aws:kms", "key_id": "k"}


def test_canned_acl_detection():
    owner = {"Grantee": {"Type": "CanonicalUser", "ID": "o"}, "Permission": "FULL_CONTROL"}
    public = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
              "Permission": "READ"}
    assert canned_acl_from_grants({"Owner": {"ID": "o"}, "Grants": [owner]}) == "private"
    assert canned_acl_from_grants({"Owner": {"ID": "o"}, "Grants": [owner, public]}) == "public-read"
    other = {"Grantee": {"Type": "CanonicalUser", "ID": "someone"}, "Permission": "WRITE"}
    assert canned_acl_from_grants({"Owner": {"ID": "o"}, "Grants": [owner, other]}) == "custom"


def test_object_lock_rules():
    unlocked = lock_from_api(None)
    locked = lock_from_api({"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {
        "DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}}})
    assert locked == {"enabled": True, "default_retention": {"mode": "GOVERNANCE", "days": 2}}
    facet = ObjectLock()
    with pytest.raises(ValidationError, match="only when a bucket is created"):
        facet.desired({"object_lock_enabled": True}, unlocked)
    with pytest.raises(ValidationError, match="needs object lock"):
        facet.desired({"object_lock_default_retention": {"mode": "GOVERNANCE", "days": 1}}, unlocked)
    assert facet.desired({"object_lock_default_retention": {}}, locked)["default_retention"] is None
    assert facet.desired({"object_lock_enabled": True}, locked) == locked


SIMPLE_RULE = [{"id": "r1", "status": "enabled", "prefix": "logs/", "expiration_days": 30}]


@pytest.mark.parametrize("extra", [
    {"Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "tier", "Value": "cold"}]}}},
    {"Filter": {"Prefix": "logs/", "Tag": {"Key": "tier", "Value": "cold"}}},
    {"Filter": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 1024}}},
    {"Expiration": {"Days": 30, "ExpiredObjectDeleteMarker": True}},
    {"Expiration": {"Date": "2030-01-01T00:00:00Z"}},
    {"NoncurrentVersionTransitions": [{"NoncurrentDays": 10, "StorageClass": "GLACIER"}]},
    {"NoncurrentVersionExpiration": {"NoncurrentDays": 5, "NewerNoncurrentVersions": 2}},
    {"Transitions": [{"Date": "2030-01-01T00:00:00Z", "StorageClass": "GLACIER"}]},
])
def test_lifecycle_parts_the_module_does_not_model_are_a_difference(extra):
    api = {"ID": "r1", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}
    assert lifecycle_from_api([api]) == lifecycle_from_options(SIMPLE_RULE)  # the plain rule compares equal
    drifted = lifecycle_from_api([dict(api, **extra)])
    assert drifted != lifecycle_from_options(SIMPLE_RULE)
    assert drifted[0]["not_modelled"], drifted


def test_lifecycle_off_values_are_not_drift():
    api = {"ID": "r1", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
           "Expiration": {"Days": 30, "ExpiredObjectDeleteMarker": False}}
    assert lifecycle_from_api([api]) == lifecycle_from_options(SIMPLE_RULE)


def test_encryption_bucket_key_and_extra_rules_are_a_difference():
    plain = {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}
    assert encryption_from_api(plain) == {"algorithm": "AES256"}
    keyed = {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]}}
    assert encryption_from_api(keyed) != {"algorithm": "AES256"}
    two = {"ServerSideEncryptionConfiguration": {"Rules": plain["ServerSideEncryptionConfiguration"]["Rules"] * 2}}
    assert encryption_from_api(two) != {"algorithm": "AES256"}
