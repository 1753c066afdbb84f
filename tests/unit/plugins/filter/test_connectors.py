# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.metalstore.platform.plugins.filter.connectors import (
    location_problems, replication_toml, replication_workers)

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

LOCATIONS = [
    {"name": "aws-eu-1", "type": "s3", "s3": {"endpoint": "https://s3.example", "region": "eu-west-1",
                                              "access_key": "AK", "secret_key": 'se"cr\\et'}},
    {"name": "azure-west", "type": "azure", "azure": {"account_name": "acct", "account_key": "a2V5"}},
    {"name": "gcs-1", "type": "gcs", "gcs": {"project_id": "p"}},
    {"name": "going", "state": "absent"},
]


def plan(*targets, **entry):
    return replication_workers([dict({"name": "photos", "replicate_to": list(targets)}, **entry)], LOCATIONS)


def test_one_worker_per_bucket_and_location():
    p = plan({"location": "aws-eu-1", "copy_deletes": False},
             {"location": "azure-west", "bucket": "photos-dr", "copy_deletes": True})
    assert p["problems"] == []
    assert [(w["name"], w["type"], w["cloud_bucket"], w["copy_deletes"]) for w in p["workers"]] == [
        ("seaweedfs-replica-photos-aws-eu-1", "s3", "photos", False),
        ("seaweedfs-replica-photos-azure-west", "azure", "photos-dr", True)]


def test_buckets_without_replicas_and_absent_buckets_have_no_workers():
    p = replication_workers([{"name": "plain"}, {"name": "gone", "state": "absent", "replicate_to": [
        {"location": "aws-eu-1", "copy_deletes": True}]}], LOCATIONS)
    assert p == {"workers": [], "problems": []}


@pytest.mark.parametrize("target, entry, message", [
    ({"location": "nowhere", "copy_deletes": True}, {}, "location 'nowhere' is not in objectstore_locations"),
    ({"location": "aws-eu-1"}, {}, "needs copy_deletes: true or false"),
    ({"location": "aws-eu-1", "copy_deletes": "yes"}, {}, "needs copy_deletes: true or false"),
    ({"location": "gcs-1", "copy_deletes": True}, {}, "replicas on gcs locations are not offered"),
    ({"location": "going", "copy_deletes": True}, {}, "is being removed"),
    ({"location": "aws-eu-1", "bucket": "Bad_Name", "copy_deletes": True}, {}, "a name the cloud rejects for a bucket"),
    ({"location": "azure-west", "bucket": "a.b.c", "copy_deletes": True}, {}, "rejects for a container"),
    ({"location": "aws-eu-1", "copy_deletes": True, "prefix": "x"}, {}, "unknown option(s) prefix"),
    ({"location": "aws-eu-1", "copy_deletes": True}, {"location": "azure-west"}, "either placed on a location or replicated"),
])
def test_bad_input_is_a_problem(target, entry, message):
    problems = plan(target, **entry)["problems"]
    assert any(message in p for p in problems), problems


def test_every_problem_at_once():
    p = plan({"location": "aws-eu-1", "copy_deletes": True}, {"location": "aws-eu-1", "copy_deletes": True},
             {"location": "nowhere"}, location="azure-west")
    assert len(p["problems"]) == 3
    assert any("lists location aws-eu-1 twice" in x for x in p["problems"])


def test_replicate_to_must_be_a_list_of_targets():
    p = replication_workers([{"name": "photos", "replicate_to": "aws-eu-1"}], LOCATIONS)
    assert "must be a list of {location, bucket, copy_deletes}" in p["problems"][0]


def _worker(location):
    return plan({"location": location, "copy_deletes": False})["workers"][0]


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_s3_sink_reads_back_as_written():
    toml = tomllib.loads(replication_toml(_worker("aws-eu-1"), LOCATIONS[0]))
    assert toml == {"sink": {"s3": {"enabled": True, "aws_access_key_id": "AK", "aws_secret_access_key": 'se"cr\\et',
                                    "region": "eu-west-1", "bucket": "photos", "endpoint": "https://s3.example",
                                    "s3_force_path_style": True, "directory": "/", "is_incremental": False}}}


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_azure_sink_and_aws_defaults():
    toml = tomllib.loads(replication_toml(_worker("azure-west"), LOCATIONS[1]))
    assert toml["sink"]["azure"] == {"enabled": True, "account_name": "acct", "account_key": "a2V5", "endpoint": "",
                                     "container": "photos", "directory": "/", "is_incremental": False}
    aws = {"name": "aws-eu-1", "type": "s3", "s3": {"access_key": "AK", "secret_key": "s", "path_style": False}}
    s3 = tomllib.loads(replication_toml(_worker("aws-eu-1"), aws))["sink"]["s3"]
    assert (s3["endpoint"], s3["region"], s3["s3_force_path_style"]) == ("", "us-east-1", False)


def test_a_location_without_its_credentials_is_an_error():
    with pytest.raises(AnsibleFilterError, match="lacks aws_secret_access_key"):
        replication_toml(_worker("aws-eu-1"), {"name": "aws-eu-1", "type": "s3", "s3": {"access_key": "AK"}})


def test_location_problems_found_in_the_plan():
    private = {"name": "lab-cloud", "type": "s3", "s3": {"endpoint": "http://10.1.2.3:8333"}}
    problems = location_problems([private, {"name": "Bad_Name", "type": "s3"}, {"name": "ftp", "type": "ftp"}])
    assert len(problems) == 3
    assert "lab-cloud: endpoint http://10.1.2.3:8333 is on a private" in problems[0]
    assert "objectstore_allow_private_endpoints is the site's opt-in" in problems[0]
    assert "use 2-63 lowercase letters" in problems[1]
    assert location_problems([private], True) == []
    assert location_problems([{"name": "gone", "state": "absent"}]) == []


def test_gcs_locations_carry_their_key_in_the_role():
    """A key file would be needed in every pod: the role takes the key itself (gcs.credentials), which the engine
    stores; the file option is refused with that reason, with the other problems of the location."""
    assert location_problems([{"name": "gcs-1", "type": "gcs", "gcs": {"project_id": "site-backups-1"}}]) == []
    problems = location_problems([{"name": "gcs-1", "type": "gcs",
                                   "gcs": {"project_id": "Bad", "credentials_file": "/etc/k.json"}}])
    assert len(problems) == 2
    assert "gcs-1: gcs.credentials_file is not taken by the role" in problems[0] and "gcs.credentials" in problems[0]
    assert "Google project ids" in problems[1]
    assert location_problems([{"name": "gcs-1", "type": "gcs", "state": "absent"}]) == []


def test_replicas_that_would_share_a_worker_name():
    locations = LOCATIONS + [{"name": "eu-dr", "type": "s3", "s3": {}}, {"name": "dr", "type": "s3", "s3": {}}]
    p = replication_workers([{"name": "photos", "replicate_to": [{"location": "eu-dr", "copy_deletes": True}]},
                             {"name": "photos-eu", "replicate_to": [{"location": "dr", "copy_deletes": True}]}],
                            locations)
    assert p["problems"] == ["[objectstore] replicas photos -> eu-dr and photos-eu -> dr would share the worker name "
                             "seaweedfs-replica-photos-eu-dr (bucket and location names joined by hyphens): rename "
                             "one of the locations"]
