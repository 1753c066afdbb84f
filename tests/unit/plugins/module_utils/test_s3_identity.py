# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError
from ansible_collections.metalstore.platform.plugins.module_utils.s3_identity import (
    from_policy, normalise, to_policy, validate)


def test_policy_round_trip_is_normalised():
    perms = [{"bucket": "b2", "actions": ["Write", "Read"]}, {"bucket": "*", "actions": ["List"]},
             {"bucket": "b2", "actions": ["Read"]}]
    doc = json.loads(json.dumps(to_policy(perms)))
    assert from_policy(doc) == normalise(perms) == [
        {"bucket": "*", "actions": ["List"]}, {"bucket": "b2", "actions": ["Read", "Write"]}]


def test_admin_reads_back_as_admin_only():
    assert from_policy(to_policy([{"bucket": "b", "actions": ["Admin", "Read"]}])) == [{"bucket": "b", "actions": ["Admin"]}]


def test_foreign_policy_is_not_ours():
    assert from_policy({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}) is None


def test_every_problem_at_once():
    with pytest.raises(ValidationError) as err:
        validate("has space", [{"bucket": "UPPER", "actions": ["Read"]}, {"bucket": "ok-bucket", "actions": []}])
    msg = str(err.value)
    assert "'has space' is not valid" in msg and "'UPPER' is neither" in msg and "no actions" in msg
