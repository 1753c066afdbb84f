#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_identity
short_description: Create, change, rotate the keys of and remove an S3 identity
version_added: 0.3.0
description:
  - Manages one identity of the S3 endpoint through the IAM API the endpoint serves (the platform's SeaweedFS
    gateways run with C(-iam.readOnly=false); the call needs an identity with the C(Admin) action, such as the
    platform's admin identity).
  - The identity's permissions are per bucket, in the engine's action names; they are kept as one inline policy the
    module owns and compared on normalised values. Only what you set is compared and written.
  - Keys are made by the server. A new key's secret exists only in this task's result (or in O(secret_file)); the API
    never returns it again, so register the result with C(no_log), or use O(secret_file).
  - The whole plan is computed before any write; an identity the task just created is removed again when the server
    rejects its permissions.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.s3
  - metalstore.platform.s3.action_group
options:
  name:
    description: The identity's name (1-64 letters, digits or C(+=,.@_-)).
    type: str
    required: true
  state:
    description: V(absent) deletes the identity with its keys and permissions.
    type: str
    choices: [present, absent]
    default: present
  permissions:
    description:
      - What the identity may do, per bucket (V(*) for every bucket). Replaces the identity's permissions; V([])
        removes them all (the identity then can do nothing). Unset, permissions are not managed.
    type: list
    elements: dict
    suboptions:
      bucket:
        description: A bucket name, or V(*).
        type: str
        required: true
      actions:
        description: The engine's actions.
        type: list
        elements: str
        required: true
        choices: [Read, Write, List, Tagging, Admin]
  access_keys:
    description:
      - V(ensure) makes a key when the identity has none; V(rotate) makes a new key and then deletes every other
        (always a change - rotate on purpose, not on every run); V(keep) leaves keys alone.
    type: str
    choices: [ensure, rotate, keep]
    default: ensure
  secret_file:
    description:
      - When the task makes a key, write it to this file (AWS shared-credentials format, mode 0600, on the host
        running the module) instead of returning the secret. An existing file is replaced.
    type: path
  secret_file_profile:
    description: Profile name in O(secret_file) (default the identity's name).
    type: str
notes:
  - Credentials and new secrets are never logged by the module; a secret returned in the result is printed by
    Ansible unless the task has C(no_log).
  - Supports check mode (the key a run would make is reported as V(null)) and diff mode (names, permissions and
    access key ids; never secrets).
seealso:
  - module: metalstore.platform.s3_identity_info
"""

EXAMPLES = r"""
- name: A backup job that may read and write one bucket; its key goes into a file
  metalstore.platform.s3_identity:
    endpoint_url: https://s3.site.example
    ca_bundle: /etc/metalstore/site-ca.crt
    access_key: "{{ s3_admin_access_key }}"
    secret_key: "{{ s3_admin_secret_key }}"
    name: backup-job
    permissions:
      - {bucket: backups, actions: [Read, Write, List]}
    secret_file: /root/.aws/backup-job
  delegate_to: localhost

- name: Rotate its key (the old one stops working once the new one exists)
  metalstore.platform.s3_identity:
    name: backup-job
    access_keys: rotate
    secret_file: /root/.aws/backup-job
  delegate_to: localhost

- name: A read-only identity, the secret returned (hide it)
  metalstore.platform.s3_identity:
    name: auditor
    permissions:
      - {bucket: "*", actions: [Read, List]}
  register: auditor
  no_log: true
"""

RETURN = r"""
identity:
  description: The identity after the task (before it, in check mode, with the predicted changes); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
    permissions:
      description: Per-bucket actions, normalised (sorted by bucket; null when the policy was not written by this module).
      type: list
    access_keys:
      description: Access key ids and their status (never secrets).
      type: list
access_key:
  description: The access key id the task made (null in check mode).
  returned: when a key was made
  type: str
secret_key:
  description: Its secret (only here, only once; absent when O(secret_file) is set).
  returned: when a key was made without secret_file
  type: str
changes:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
  sample: [create identity, write permissions, make key]
"""

import os
import tempfile

from ansible_collections.metalstore.platform.plugins.module_utils.s3_connection import iam_client
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import S3ModuleError
from ansible_collections.metalstore.platform.plugins.module_utils.s3_identity import (
    ACTIONS, Identities, normalise, rollback_error, validate)
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run, s3_module


def spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        permissions=dict(type="list", elements="dict", options=dict(
            bucket=dict(type="str", required=True),
            actions=dict(type="list", elements="str", required=True, choices=list(ACTIONS)))),
        access_keys=dict(type="str", choices=["ensure", "rotate", "keep"], default="ensure", no_log=False),
        secret_file=dict(type="path", no_log=False),
        secret_file_profile=dict(type="str", no_log=False),
    )


def write_secret_file(path, profile, access_key, secret):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".s3-identity-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (profile, access_key, secret))
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise S3ModuleError("the key was made (%s) but %s could not be written: %s; rotate the key once the path "
                            "is writable" % (access_key, path, exc))


def public(state):
    return {} if state is None else {"name": state["name"], "permissions": state["permissions"],
                                     "access_keys": [k["access_key"] for k in state["access_keys"]]}


def converge(params, ids, check_mode, diff_mode):
    name = params["name"]
    validate(name, params["permissions"])
    if params["secret_file"] and not os.path.isdir(os.path.dirname(os.path.abspath(params["secret_file"]))):
        raise S3ModuleError("secret_file %s: its directory does not exist" % params["secret_file"])
    current = ids.read(name)
    result = {"changed": False, "changes": []}
    if params["state"] == "absent":
        if current is not None:
            result["changes"].append("delete identity")
            if not check_mode:
                ids.delete(name, current)
        result.update(changed=bool(result["changes"]), identity={})
        if diff_mode:
            result["diff"] = {"before": public(current), "after": {}}
        return result

    want_perms = None if params["permissions"] is None else normalise(params["permissions"])
    after = {"name": name, "permissions": [] if current is None else current["permissions"],
             "access_keys": [] if current is None else list(current["access_keys"])}
    plan = []
    if current is None:
        plan.append("create identity")
    if want_perms is not None and want_perms != after["permissions"] and not (current is None and not want_perms):
        plan.append("write permissions")
        after["permissions"] = want_perms
    old_keys = [k["access_key"] for k in after["access_keys"]]
    if params["access_keys"] == "rotate" or (params["access_keys"] == "ensure" and not old_keys):
        plan.append("make key")
    if params["access_keys"] == "rotate" and old_keys:
        plan.append("delete old keys")

    new_key = None
    if not check_mode:
        if "create identity" in plan:
            ids.create(name)
        try:
            if "write permissions" in plan:
                ids.put_permissions(name, want_perms)
            if "make key" in plan:
                new_key = ids.create_key(name)
        except S3ModuleError as exc:
            if "create identity" in plan:
                try:
                    ids.delete(name, ids.read(name) or {"access_keys": [], "permissions": []})
                except S3ModuleError as undo:
                    raise rollback_error(exc, undo)
                raise S3ModuleError("%s; the identity this task created was removed again" % exc,
                                    exc.code, exc.operation, exc.request_id)
            raise
        if new_key and params["secret_file"]:
            write_secret_file(params["secret_file"], params["secret_file_profile"] or name, *new_key)
        if "delete old keys" in plan:
            for key in old_keys:
                ids.delete_key(name, key)
    if "make key" in plan:
        result["access_key"] = new_key[0] if new_key else None
        if new_key and not params["secret_file"]:
            result["secret_key"] = new_key[1]
        kept = [] if "delete old keys" in plan else after["access_keys"]
        after["access_keys"] = kept + [{"access_key": new_key[0] if new_key else "(new key)", "status": "Active"}]
    result.update(changed=bool(plan), changes=plan, identity=public(after))
    if diff_mode:
        result["diff"] = {"before": public(current), "after": public(after)}
    return result


def main():
    module = s3_module(spec(), admin_shell=False)
    run(module, lambda: converge(module.params, Identities(iam_client(module.params)), module.check_mode, module._diff))


if __name__ == "__main__":
    main()
