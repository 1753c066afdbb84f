#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_identity_info
short_description: List S3 identities with their permissions and access key ids
version_added: 0.3.0
description:
  - Reads the identities of the S3 endpoint through the IAM API it serves (see M(metalstore.platform.s3_identity)) -
    names, per-bucket permissions (as that module writes them) and access key ids. Secrets are never returned (the
    API does not have them to give). Read-only.
  - Identities the platform defines statically (its admin identity) are listed too, without permissions.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.s3
  - metalstore.platform.s3.action_group
  - metalstore.platform.read_only
options:
  name:
    description: Only this identity (an empty list when it does not exist).
    type: str
"""

EXAMPLES = r"""
- name: Every identity of the site
  metalstore.platform.s3_identity_info:
    endpoint_url: https://s3.site.example
    ca_bundle: /etc/metalstore/site-ca.crt
    access_key: "{{ s3_admin_access_key }}"
    secret_key: "{{ s3_admin_secret_key }}"
  register: identities
"""

RETURN = r"""
identities:
  description: Matching identities, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name.
      type: str
    permissions:
      description: Per-bucket actions (null when the policy was not written by M(metalstore.platform.s3_identity)).
      type: list
    access_keys:
      description: Access key ids and status.
      type: list
"""

from ansible_collections.metalstore.platform.plugins.module_utils.s3_connection import iam_client
from ansible_collections.metalstore.platform.plugins.module_utils.s3_identity import Identities, validate
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run, s3_module


def read(params, ids):
    if params["name"] is not None:
        validate(params["name"], None)
    names = [params["name"]] if params["name"] is not None else ids.names()
    found = [ids.read(n) for n in names]
    return {"changed": False, "identities": [i for i in found if i is not None]}


def main():
    module = s3_module(dict(name=dict(type="str")), admin_shell=False)
    run(module, lambda: read(module.params, Identities(iam_client(module.params))))


if __name__ == "__main__":
    main()
