# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every S3 module of the collection does the same way: the argument spec's shared parts, the botocore
check, the SeaweedFS admin shell built only when needed, and the failure path of typed errors."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from .s3_connection import BOTOCORE_IMPORT_ERROR, HAS_BOTOCORE, S3_CONNECTION_SPEC
from .s3_errors import S3ModuleError
from .seaweedfs_shell import SEAWEEDFS_ADMIN_SPEC, WeedShell, hide_kubeconfig_secrets


def s3_module(spec, admin_shell=True, **kwargs):
    """An AnsibleModule with the connection (and, unless admin_shell=False, the admin-shell) options added,
    failing early without botocore."""
    full = dict(spec)
    full.update(S3_CONNECTION_SPEC)
    if admin_shell:
        full.update(SEAWEEDFS_ADMIN_SPEC)
    module = AnsibleModule(argument_spec=full, supports_check_mode=True, **kwargs)
    if admin_shell:
        hide_kubeconfig_secrets(module)
    if not HAS_BOTOCORE:
        module.fail_json(msg=missing_required_lib("botocore"), exception=str(BOTOCORE_IMPORT_ERROR))
    return module


def shell_factory(params):
    """Builds the admin shell on first use, so seaweedfs_master is needed only by settings that use it."""
    return lambda: WeedShell.from_params(params)


def run(module, body):
    """exit_json(**body()), or fail_json with the typed error's message and fields. Other exceptions are bugs:
    they propagate with their traceback."""
    try:
        result = body()
    except S3ModuleError as exc:
        module.fail_json(msg=str(exc), **exc.result())
    module.exit_json(**result)
