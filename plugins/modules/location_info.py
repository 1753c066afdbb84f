#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: location_info
short_description: List the object store's cloud locations and the buckets mounted on them
version_added: 0.4.0
description:
  - Reads the locations that M(metalstore.platform.location) manages (SeaweedFS's remote storage configurations)
    through the engine's admin shell, with the buckets mounted on each. Secrets are never returned. Read-only.
  - Locations made by hand with names outside the module's mapping are listed under their engine name.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.seaweedfs_admin
  - metalstore.platform.read_only
options:
  name:
    description: Only this location (an empty list when it does not exist).
    type: str
"""

EXAMPLES = r"""
- name: Every location of the site
  metalstore.platform.location_info:
    seaweedfs_master: 127.0.0.1:9333
  register: locations
"""

RETURN = r"""
locations:
  description: Matching locations, sorted by name, without secrets.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name.
      type: str
    engine_name:
      description: The engine's name for it.
      type: str
    type:
      description: The kind of cloud (V(s3), V(azure), V(gcs), or another type the engine knows).
      type: str
    used_by:
      description: Buckets mounted on it.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.metalstore.platform.plugins.module_utils import remote_location as rl
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run
from ansible_collections.metalstore.platform.plugins.module_utils.seaweedfs_shell import (
    SEAWEEDFS_ADMIN_SPEC, WeedShell, hide_kubeconfig_secrets)


def read(params, locations):
    if params["name"] is not None:
        rl.validate({"name": params["name"], "state": "absent"})
    confs = locations.read_all()
    if params["name"] is not None:
        engine = rl.engine_name(params["name"])
        confs = {engine: confs[engine]} if engine in confs else {}
    mounts = locations.mounts() if confs else {}
    found = [dict(rl.public(c), used_by=rl.users_of(mounts, e)) for e, c in confs.items()]
    return {"changed": False, "locations": sorted(found, key=lambda loc: loc["name"])}


def main():
    module = AnsibleModule(argument_spec=dict(name=dict(type="str"), **SEAWEEDFS_ADMIN_SPEC), supports_check_mode=True)
    hide_kubeconfig_secrets(module)
    run(module, lambda: read(module.params, rl.Locations(WeedShell.from_params(module.params))))


if __name__ == "__main__":
    main()
