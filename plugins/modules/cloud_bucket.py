#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloud_bucket
short_description: Make sure a bucket (an Azure container) exists on a cloud location
version_added: 0.5.0
description:
  - Creates a bucket on a cloud location (M(metalstore.platform.location)) through the provider's API, with the
    credentials the engine stores for that location, when it does not exist - the target a site bucket is
    replicated to. (A bucket placed with M(metalstore.platform.bucket) gets its cloud bucket that way itself.)
  - Never deletes or changes a cloud bucket or its data; there is no O(ignore:state=absent).
  - S3, Azure and GCS locations (a GCS bucket is made in the location's project; against an emulator, the one
    E(STORAGE_EMULATOR_HOST) names, as for the engine).
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.seaweedfs_admin
options:
  name:
    description: The cloud bucket's name (an Azure container's name on an V(azure) location), checked against the provider's naming rules before any call.
    type: str
    required: true
  location:
    description: The location's name, as given to M(metalstore.platform.location).
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: The bucket's existence is read; nothing is created.
  diff_mode:
    support: full
    description: Whether the bucket exists, before and after.
"""

EXAMPLES = r"""
- name: The bucket a site bucket is replicated to
  metalstore.platform.cloud_bucket:
    seaweedfs_master: 127.0.0.1:9333
    location: aws-eu-1
    name: photos-replica
"""

RETURN = r"""
created:
  description: Whether the bucket was (in check mode, would be) created.
  returned: always
  type: bool
location_type:
  description: The location's type (V(s3) or V(azure)).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.metalstore.platform.plugins.module_utils import remote_location as rl
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import NotSupported, ValidationError
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run
from ansible_collections.metalstore.platform.plugins.module_utils.seaweedfs_shell import (
    SEAWEEDFS_ADMIN_SPEC, WeedShell, hide_kubeconfig_secrets)


def converge(params, locations, check_mode, diff_mode):
    name, location = params["name"], params["location"]
    if not rl.NAME_RE.match(location):
        raise ValidationError("location %r is not a location name (metalstore.platform.location)" % location)
    conf = locations.read_all().get(rl.engine_name(location))
    if conf is None:
        raise ValidationError("location %s does not exist (create it with metalstore.platform.location), nothing "
                              "was changed" % location)
    kind = conf.get("type")
    if kind not in rl.CLOUD_BUCKET_NAME_PROBLEMS:
        raise NotSupported("making a bucket on a %s location is not supported (s3, azure and gcs locations are), nothing "
                           "was changed" % kind)
    problem = rl.cloud_bucket_name_problems(kind, name)
    if problem:
        raise ValidationError(problem + "; nothing was changed")
    exists = locations.cloud_bucket_exists(location, name, kind)
    if not exists and not check_mode:
        locations.create_cloud_bucket(location, name, kind)
    result = {"changed": not exists, "created": not exists, "location_type": kind}
    if diff_mode:
        result["diff"] = {"before": {"exists": exists}, "after": {"exists": True}}
    return result


def main():
    spec = dict(name=dict(type="str", required=True), location=dict(type="str", required=True))
    spec.update(SEAWEEDFS_ADMIN_SPEC)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    hide_kubeconfig_secrets(module)
    run(module, lambda: converge(module.params, rl.Locations(WeedShell.from_params(module.params)),
                                 module.check_mode, module._diff))


if __name__ == "__main__":
    main()
