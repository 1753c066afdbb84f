# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The many-bucket module's input checks: every problem of every item, before any request (pure logic)."""

from __future__ import annotations

import types

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils.bucket_state import make_facets
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError
from ansible_collections.metalstore.platform.plugins.modules import buckets


def module(items, **shared):
    params = {k: None for k in buckets.SHARED}
    params.update(shared, buckets=items)
    return types.SimpleNamespace(params=params)


def test_every_problem_of_every_item_is_reported():
    items = [{"name": "Bad_Name"}, {"name": "ms-ok", "versioning": "sometimes"}, {"name": "ms-ok"},
             {"name": "ms-dup"}, {"name": "ms-dup"}, {"name": "ms-q", "quota_mb": 5}, {"versioning": "enabled"}]
    with pytest.raises(ValidationError) as err:
        buckets.validated(module(items), make_facets(None))
    msg = str(err.value)
    assert msg.startswith("nothing was changed; 5 problem(s): ")
    assert "buckets[0] (Bad_Name): invalid bucket name" in msg
    assert "buckets[1] (ms-ok): value of versioning must be one of" in msg
    assert "buckets[4] (ms-dup): bucket ms-dup appears more than once" in msg
    assert "buckets[5] (ms-q): quota_mb is managed through the SeaweedFS admin shell" in msg
    assert "buckets[6]: missing required arguments: name" in msg


def test_valid_items_get_defaults_and_the_shared_connection():
    entries = buckets.validated(module([{"bucket": "ms-a", "tags": {"a": 1}}], endpoint_url="https://s3.example"),
                                make_facets(None))
    assert entries[0]["name"] == "ms-a" and entries[0]["state"] == "present" and entries[0]["purge_tags"] is True
    assert entries[0]["endpoint_url"] == "https://s3.example"
