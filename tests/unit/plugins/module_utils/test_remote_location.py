# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils import remote_location as rl
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import AdminShellError, ValidationError

# What weed 4.48 printed: two documents back to back, then a note about the mount mapping (shortened documents).
LISTING = ('{\n  "type":  "s3",\n  "name":  "awsXeuX1",\n  "s3SecretKey":  "**",\n  "s3Endpoint":  "https://e"\n}'
           '{\n  "type":  "azure",\n  "name":  "az1",\n  "azureAccountKey":  "KEY"\n}skipping mount.mapping\n')
# The blob weed 4.48 stored for: -name=awsXeuX1 -type=s3 -s3.access_key=AK1 -s3.secret_key=SECRETONE
# -s3.region=eu-1 -s3.endpoint=http://127.0.0.1:1
BLOB = (b'\n\x02s3\x12\x08awsXeuX1"\x03AK1*\tSECRETONE2\x04eu-1:\x12http://127.0.0.1:1H\x01h\x01'
        b'\xba\x01\x0bus-west-002')


def test_names_map_one_to_one_and_back():
    assert rl.engine_name("aws-eu-1") == "awsXeuX1"
    assert rl.user_name("awsXeuX1") == "aws-eu-1"
    assert rl.user_name("ByHand1") == "ByHand1"


def test_listing_with_notes_between_documents():
    confs = rl.parse_listing(LISTING)
    assert sorted(confs) == ["awsXeuX1", "az1"] and confs["awsXeuX1"]["s3Endpoint"] == "https://e"
    with pytest.raises(AdminShellError):
        rl.parse_listing('{"name": ')


def test_public_view_has_no_secret():
    conf = rl.parse_listing(LISTING)["az1"]
    assert rl.public(conf) == {"name": "az1", "engine_name": "az1", "type": "azure", "account_name": None,
                               "endpoint": None}


def test_secret_read_from_the_stored_blob():
    assert rl.blob_field(BLOB, 5) == b"SECRETONE"
    assert rl.blob_field(BLOB, 4) == b"AK1"
    assert rl.blob_field(BLOB, 16) == b""
    with pytest.raises(AdminShellError):
        rl.blob_field(b"\x2a\x80", 5)


def test_mounts_and_their_users():
    mounts = rl.parse_mounts('{"mappings": {"/buckets/b1": {"name": "awsXeuX1", "bucket": "c"}, '
                             '"/data/x": {"name": "awsXeuX1"}, "/buckets/b2": {"name": "az1"}}}')
    assert rl.users_of(mounts, "awsXeuX1") == ["/data/x", "b1"]


def fake_resolver(answers):
    def resolve(host, port):
        if host not in answers:
            raise socket.gaierror("Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
    return resolve


def test_endpoints():
    public = fake_resolver({"s3.example": ["52.1.2.3"], "inside.example": ["10.1.2.3"]})
    assert rl.endpoint_problems("s3", "https://s3.example", False, public) == []
    assert "not an http(s) URL" in rl.endpoint_problems("s3", "s3.example", False, public)[0]
    assert "invalid port" in rl.endpoint_problems("s3", "https://s3.example:99999", False, public)[0]
    assert "private" in rl.endpoint_problems("s3", "https://inside.example", False, public)[0]
    assert "private" in rl.endpoint_problems("s3", "http://100.64.0.1:9000", False, public)[0]
    assert rl.endpoint_problems("s3", "http://127.0.0.1:9000", True, public) == []
    assert "does not resolve" in rl.endpoint_problems("s3", "https://nowhere.example", False, public)[0]
    assert "https only" in rl.endpoint_problems("azure", "http://127.0.0.1:10000", True, public)[0]


def test_every_problem_at_once():
    with pytest.raises(ValidationError) as err:
        rl.validate({"name": "Bad_Name", "type": "azure", "s3": {"region": "x"},
                     "azure": {"account_name": "No", "account_key": "sec ret", "endpoint": "ftp://x"}})
    msg = str(err.value)
    for part in ("use 2-63 lowercase", "s3 is set, but", "azure.account_key contains whitespace", "3-24 lowercase",
                 "not an http(s) URL"):
        assert part in msg
    assert "sec ret" not in msg


def test_required_for_a_new_location():
    assert rl.missing_for_new("s3", {"access_key": "a"}) == "a new s3 location needs s3.secret_key"
    assert rl.missing_for_new("gcs", {"project_id": "p"}) is None


class RecordingShell:
    """Stands in for the admin shell: answers the reads, and records how many commands ran at once."""

    def __init__(self):
        self.commands, self.running, self.most = [], 0, 0
        self._lock = threading.Lock()

    def run(self, command, **kwargs):
        with self._lock:
            self.commands.append(command)
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self._lock:
            self.running -= 1
        if command == "remote.configure":
            return LISTING
        return BLOB if kwargs.get("binary") else ""


def test_mount_table_written_by_one_command_at_a_time():
    # The engine rewrites the whole mount table per command: concurrent mounts lost one (seen with 50 buckets).
    shell = RecordingShell()
    locations = rl.Locations(shell)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: locations.mount("/buckets/b%d" % i, "aws-eu-1", "c%d" % i, 60), range(16)))
        list(pool.map(lambda i: locations.unmount("/buckets/b%d" % i), range(16)))
    assert len(shell.commands) == 32 and shell.most == 1


def test_locations_and_secrets_read_once_per_run_until_written():
    shell = RecordingShell()
    locations = rl.Locations(shell)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda dummy: (locations.read_all(), locations.secret("awsXeuX1", 5)), range(16)))
    assert shell.commands == ["remote.configure", "fs.cat /etc/remote/awsXeuX1.conf"]
    locations.configure("awsXeuX1", "s3", {"access_key": "AK1"})
    assert locations.secret("awsXeuX1", 5) == "SECRETONE" and "awsXeuX1" in locations.read_all()
    assert shell.commands[-2:] == ["fs.cat /etc/remote/awsXeuX1.conf", "remote.configure"]
