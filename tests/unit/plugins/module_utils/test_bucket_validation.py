# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils.bucket_validation import (
    bucket_name_problems, validate_bucket_params)
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError
from ansible_collections.metalstore.platform.plugins.module_utils.seaweedfs_shell import parse_quota, WeedShell


@pytest.mark.parametrize("name", ["abc", "my-bucket.logs", "a" * 63, "0day"])
def test_valid_names(name):
    assert bucket_name_problems(name) == []


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper", "under_score", "-start", "end-", "a..b", "10.0.0.1",
                                  "xn--abc", "b-s3alias", "a.-b"])
def test_invalid_names(name):
    assert bucket_name_problems(name)


def _params(**kw):
    base = dict(name="good-name", state="present", versioning=None, encryption=None, encryption_key_id=None,
                object_lock_enabled=None, object_lock_default_retention=None, quota_mb=None, seaweedfs_master=None)
    base.update(kw)
    return base


@pytest.mark.parametrize("kw,reason", [
    (dict(state="absent", versioning="enabled"), "state=absent conflicts"),
    (dict(encryption="AES256", encryption_key_id="k"), "requires encryption=aws:kms"),
    (dict(versioning="suspended", object_lock_enabled=True), "object lock requires versioning"),
    (dict(object_lock_default_retention={"mode": "GOVERNANCE"}), "needs days or years"),
    (dict(object_lock_default_retention={"days": 1}), "needs a mode"),
    (dict(quota_mb=5), "set seaweedfs_master"),
    (dict(quota_mb=-1, seaweedfs_master="h:1"), "0 \\(no quota\\) or more"),
])
def test_conflicting_options(kw, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_bucket_params(_params(**kw), ("versioning", "encryption", "quota_mb"))


def test_quota_parsing_and_master_syntax():
    assert parse_quota("bucket quota: 100MiB \n") == 100
    assert parse_quota("bucket quota: -100MiB") == -100
    WeedShell("127.0.0.1:9333")
    WeedShell("master.site:9333.19333")
    with pytest.raises(ValidationError):
        WeedShell("127.0.0.1")
    with pytest.raises(ValidationError):
        WeedShell("h:1; rm -rf /")
