# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The placement facet's plan: its options' checks, the refresh read from the mount table, what it wants for a new
and an existing placement, and the admin-shell commands it writes (a fake shell: pure logic, no engine)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils.facets import placement as pl
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError

LOCATIONS = '{\n  "type":  "s3",\n  "name":  "awsXeuX1",\n  "s3Endpoint":  "https://e"\n}'


class FakeShell:
    def __init__(self, mappings):
        self.mappings, self.commands = mappings, []

    def run(self, command, **_kw):
        self.commands.append(command)
        if command == "remote.mount":
            return json.dumps({"mappings": self.mappings})
        if command == "remote.configure":
            return LOCATIONS
        return ""


def facet(mappings):
    shell = FakeShell(mappings)
    return pl.Placement(lambda: shell), shell


@pytest.mark.parametrize("params, problem", [
    ({"location_refresh": 5}, "location_refresh needs location"),
    ({"location": "aws-eu-1", "location_refresh": -1}, "is not between 0"),
    ({"location": "aws-eu-1", "location_refresh": 86401}, "is not between 0"),
])
def test_refresh_checked_before_anything(params, problem):
    assert problem in pl.placement_problems(dict(params, name="bkt-1"))[0]


def test_unplacing_ignores_the_other_placement_options():
    # An inventory entry is unplaced by emptying its location alone (the lab's undo run does exactly that).
    assert pl.placement_problems({"name": "bkt-1", "location": "", "location_refresh": 5, "location_bucket": "B_"}) == []


def test_refresh_bounds_accepted():
    assert pl.placement_problems({"name": "bkt-1", "location": "aws-eu-1", "location_refresh": 0}) == []
    assert pl.placement_problems({"name": "bkt-1", "location": "aws-eu-1", "location_refresh": 86400}) == []


def test_read_gives_the_refresh_and_zero_when_the_mount_has_none():
    f, dummy = facet({"/buckets/bkt-1": {"name": "awsXeuX1", "bucket": "c1", "listingCacheTtlSeconds": 30},
                      "/buckets/b2": {"name": "awsXeuX1", "bucket": "c2"}})
    assert f.read(None, "bkt-1") == {"location": "aws-eu-1", "bucket": "c1", "refresh": 30}
    assert f.read(None, "b2") == {"location": "aws-eu-1", "bucket": "c2", "refresh": 0}


def test_unset_refresh_keeps_an_existing_placement_and_defaults_a_new_one():
    f, dummy = facet({})
    current = {"location": "aws-eu-1", "bucket": "bkt-1", "refresh": 0}
    assert f.desired({"name": "bkt-1", "location": "aws-eu-1"}, current) == current
    assert f.desired({"name": "bkt-1", "location": "aws-eu-1", "location_refresh": 5}, current)["refresh"] == 5
    f.local_objects["new-one"] = False
    assert f.desired({"name": "new-one", "location": "aws-eu-1"}, None) == {
        "location": "aws-eu-1", "bucket": "new-one", "refresh": pl.DEFAULT_REFRESH}


def test_another_cloud_bucket_is_refused_whatever_the_refresh():
    f, dummy = facet({})
    with pytest.raises(ValidationError, match="a bucket has one placement"):
        f.desired({"name": "bkt-1", "location": "aws-eu-1", "location_bucket": "other"},
                  {"location": "aws-eu-1", "bucket": "bkt-1", "refresh": 60})


def test_a_changed_refresh_remounts_over_the_same_cloud_bucket_keeping_the_cache():
    f, shell = facet({})
    f.write(None, "bkt-1", {"location": "aws-eu-1", "bucket": "bkt-1", "refresh": 5},
            {"location": "aws-eu-1", "bucket": "bkt-1", "refresh": 60}, {})
    assert shell.commands == ["remote.mount -dir=/buckets/bkt-1 -remote=awsXeuX1/bkt-1 -listingCacheTTL=5 -nonempty"]
