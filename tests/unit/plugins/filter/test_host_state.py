# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired-state filters drift_info reads (pure logic)."""

from __future__ import annotations

import hashlib

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.metalstore.platform.plugins.filter.host_state import content_states, directory_states


def test_directory_states_default_and_unconstrained():
    assert directory_states(["/a"]) == [{"path": "/a", "state": "directory", "mode": "0755", "owner": "root", "group": "root"}]
    assert directory_states(["/a"], mode=None, owner=None, group=None)[0]["mode"] is None
    with pytest.raises(AnsibleFilterError):
        directory_states("/a")


def test_content_states_per_file_settings():
    got = content_states({"/x": "a\n", "/y": {"content": "b", "mode": "0600", "group": "g"}})
    assert got[0] == {"path": "/x", "sha256": hashlib.sha256(b"a\n").hexdigest(), "mode": "0644", "owner": "root", "group": "root"}
    assert (got[1]["mode"], got[1]["owner"], got[1]["group"]) == ("0600", "root", "g")
