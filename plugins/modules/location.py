#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: location
short_description: Create, change or remove a named cloud location of the object store
version_added: 0.4.0
description:
  - A location is a cloud the site's buckets can be placed on or replicated to - AWS S3 or any S3-compatible cloud,
    Azure Blob Storage, or Google Cloud Storage. It is SeaweedFS's remote storage configuration, managed through the
    engine's admin shell (C(weed shell)), which has no other API for it.
  - Only the options you set are compared and written; the stored secret is compared against what the engine holds
    (its listing masks it, so the module reads the stored configuration, without printing it) - a secret changed
    outside Ansible is seen too. The secret goes to the shell on standard input, never on a command line.
  - The credentials of a location are tried with a real, read-only call (ListBuckets, List Containers, GCS's list
    of the project's buckets) before anything is stored; wrong credentials, a wrong endpoint or project, or an
    untrusted certificate fail the task with nothing changed.
  - A GCS location's credentials are a service account key. Given as O(gcs.credentials), the key itself is stored
    in the engine's configuration, like the other types' secrets, and every engine process reads it from there. Given
    as O(gcs.credentials_file), the engine stores the path, each of its processes reads the file, and the module
    reads the same path on the host it runs on for its own calls.
  - Like the engine's GCS client, the module talks to the endpoint named by E(STORAGE_EMULATOR_HOST) when that is
    set (an emulator, or another endpoint of GCS's JSON API), else to Google, and asks the key's C(token_uri) for its
    tokens (without a key, an emulator is asked with no credentials).
  - Names such as V(aws-eu-1) are mapped to the letters and digits the engine accepts (V(awsXeuX1)); C(engine_name) in RV(location) shows it.
  - Removing a location a bucket is still mounted on is refused, with the list of those buckets.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.seaweedfs_admin
options:
  name:
    description: The location's name (2-63 lowercase letters, digits and hyphens, starting with a letter).
    type: str
    required: true
  state:
    description: V(absent) removes the location (refused while a bucket uses it; cloud data is never touched).
    type: str
    choices: [present, absent]
    default: present
  type:
    description: The kind of cloud. Required when O(state=present). An existing location's type cannot change.
    type: str
    choices: [s3, azure, gcs]
  s3:
    description: Settings of an V(s3) location. O(s3.access_key) and O(s3.secret_key) are required for a new one.
    type: dict
    suboptions:
      endpoint:
        description: The cloud's URL; unset means AWS itself.
        type: str
      region:
        description: The region (the engine's default is V(us-east-2)).
        type: str
      path_style:
        description: Path-style addressing (most S3-compatible clouds need it).
        type: bool
      storage_class:
        description: The storage class of objects the engine writes there.
        type: str
      access_key:
        description: Access key id.
        type: str
      secret_key:
        description: Secret key. Compared with the stored one without being printed.
        type: str
      ca_bundle:
        description:
          - CA bundle that the module's own credential check trusts the endpoint with. The engine's processes trust
            their own system store; on the platform, the object-store role gives them the site's CA.
        type: path
  azure:
    description: Settings of an V(azure) location. O(azure.account_name) and O(azure.account_key) are required for a new one.
    type: dict
    suboptions:
      account_name:
        description: Storage account name (3-24 lowercase letters and digits).
        type: str
      account_key:
        description: Storage account key. Compared with the stored one without being printed.
        type: str
      endpoint:
        description:
          - Blob service URL (https), for clouds other than Azure's public one (path style for an emulator,
            C(https://HOST:PORT/ACCOUNT/)).
        type: str
      ca_bundle:
        description: CA bundle that the module's own key check trusts the endpoint with (see O(s3.ca_bundle)).
        type: path
  gcs:
    description: Settings of a V(gcs) location. O(gcs.project_id) is required for a new one.
    type: dict
    suboptions:
      project_id:
        description: Google Cloud project id.
        type: str
      credentials:
        description:
          - The service account key - the content of its JSON key file, as text or as a dictionary (for example
            V("{{ lookup('ansible.builtin.file', 'gcs-europe.json') }}") from a vault-encrypted file). Stored in the
            engine's configuration, compared without being printed (as one canonical JSON text, however it was
            written). Its C(token_uri) is an endpoint like any other, so a private address needs
            O(allow_private_endpoint).
          - Rotating the key is setting the new one here; the engine reads it for each new connection.
          - Signing the module's own token request needs the Python cryptography package where it runs.
          - Mutually exclusive with O(gcs.credentials_file).
        type: raw
      credentials_file:
        description:
          - Path of the service account key file (JSON), the same in the engine's processes and on the host the
            module runs on. Unset, and without O(gcs.credentials), the engine's processes use their environment
            (E(GOOGLE_APPLICATION_CREDENTIALS), or none against E(STORAGE_EMULATOR_HOST)).
          - Rotating the key is replacing the file's content; the engine's processes read it when they start, so
            restart them. The object-store role does not take this option (the file would be needed in every pod).
        type: str
  allow_private_endpoint:
    description:
      - Allow an endpoint on a loopback, private (RFC 1918), link-local or shared (CGNAT) address, such as an
        on-premises cloud. Refused by default, as the engine refuses it (it must then run with its
        C(allowUntrustedRemoteEndpoints) flags, which the platform sets only with this opt-in).
    type: bool
    default: false
  verify_credentials:
    description:
      - Try a location's credentials with a real call before storing them. Turn off only for a cloud
        the controller cannot reach.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The plan, including the credential check, is made; nothing is written.
  diff_mode:
    support: full
    description: The location before and after, its secret shown as V((secret)) or V((secret changed)).
"""

EXAMPLES = r"""
- name: An S3-compatible cloud
  metalstore.platform.location:
    seaweedfs_master: 127.0.0.1:9333
    name: aws-eu-1
    type: s3
    s3:
      endpoint: https://s3.eu-west-1.amazonaws.com
      region: eu-west-1
      access_key: "{{ vault_aws_access_key }}"
      secret_key: "{{ vault_aws_secret_key }}"

- name: Azure Blob Storage
  metalstore.platform.location:
    seaweedfs_master: 127.0.0.1:9333
    name: azure-west
    type: azure
    azure:
      account_name: sitebackups
      account_key: "{{ vault_azure_key }}"

- name: Google Cloud Storage (the service account key stored in the engine's configuration)
  metalstore.platform.location:
    seaweedfs_master: 127.0.0.1:9333
    name: gcs-europe
    type: gcs
    gcs:
      project_id: site-backups-4711
      credentials: "{{ lookup('ansible.builtin.file', 'files/gcs-europe.json') }}"

- name: Remove a location no bucket uses any more
  metalstore.platform.location:
    seaweedfs_master: 127.0.0.1:9333
    name: aws-eu-1
    state: absent
"""

RETURN = r"""
location:
  description:
    - The location after the task (empty when absent), without its secret, as
      M(metalstore.platform.location_info) returns one - C(name), C(engine_name), C(type), the type's settings and
      C(used_by), the buckets mounted on it.
  returned: always
  type: dict
changes:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.metalstore.platform.plugins.module_utils import remote_location as rl
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import BOTO_ERRORS, S3ModuleError, translate
from ansible_collections.metalstore.platform.plugins.module_utils.s3_module import run
from ansible_collections.metalstore.platform.plugins.module_utils.seaweedfs_shell import (
    SEAWEEDFS_ADMIN_SPEC, WeedShell, hide_kubeconfig_secrets)


def spec():
    s = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        type=dict(type="str", choices=["s3", "azure", "gcs"]),
        s3=dict(type="dict", options=dict(
            endpoint=dict(type="str"), region=dict(type="str"), path_style=dict(type="bool"),
            storage_class=dict(type="str"), access_key=dict(type="str", no_log=False),
            secret_key=dict(type="str", no_log=True), ca_bundle=dict(type="path"))),
        azure=dict(type="dict", options=dict(
            account_name=dict(type="str"), account_key=dict(type="str", no_log=True), endpoint=dict(type="str"),
            ca_bundle=dict(type="path"))),
        gcs=dict(type="dict", options=dict(project_id=dict(type="str"), credentials_file=dict(type="str"),
                                           credentials=dict(type="raw", no_log=True))),
        allow_private_endpoint=dict(type="bool", default=False),
        verify_credentials=dict(type="bool", default=True),
    )
    s.update(SEAWEEDFS_ADMIN_SPEC)
    return s


def verify_s3(values):
    """A read-only call with the credentials about to be stored: nothing is written when it fails."""
    from ansible_collections.metalstore.platform.plugins.module_utils.s3_connection import s3_client
    client = s3_client({"endpoint_url": values.get("endpoint"), "region": values.get("region"),
                        "access_key": values.get("access_key"), "secret_key": values.get("secret_key"),
                        "ca_bundle": values.get("ca_bundle"),
                        "addressing_style": "path" if values.get("path_style", True) else "virtual"})
    try:
        client.list_buckets()
    except BOTO_ERRORS as exc:
        err = translate(exc, "ListBuckets (checking the location's credentials)", client=client)
        raise S3ModuleError("%s Nothing was changed." % err, err.code, err.operation, err.request_id) from None


def nothing_changed(check):
    """Run a credential check (including its client's own input checks); its refusal says that nothing was
    stored."""
    try:
        check()
    except S3ModuleError as err:
        raise type(err)("%s. Nothing was changed." % err, err.code, err.operation) from None


def verify_azure(values):
    from ansible_collections.metalstore.platform.plugins.module_utils.azure_blob import AzureBlob
    nothing_changed(lambda: AzureBlob(values["account_name"], values["account_key"], values.get("endpoint"),
                                      values.get("ca_bundle")).check())


def verify_gcs(values):
    from ansible_collections.metalstore.platform.plugins.module_utils.gcs_storage import GcsStorage, parse_credentials
    nothing_changed(lambda: GcsStorage(values["project_id"], values.get("credentials_file"), credentials=(
        parse_credentials(values["credentials"]) if values.get("credentials") else None)).check())


VERIFY = {"s3": verify_s3, "azure": verify_azure, "gcs": verify_gcs}


def desired(kind, settings, current, current_secret):
    """The whole configuration to write: what the user set, else what is stored (the engine replaces it all)."""
    spec = rl.TYPES[kind]
    stored = {o: (current or {}).get(key) for o, (key, dummy) in spec["options"].items()}
    values = {o: (settings[o] if settings.get(o) is not None else stored[o]) for o in spec["options"]}
    if spec["secret"]:
        secret = spec["secret"][0]
        values[secret] = settings.get(secret) if settings.get(secret) is not None else current_secret
    if kind == "gcs":  # the key is given one way: inline, or as the path of a file the engine reads
        if settings.get("credentials") is not None:
            values["credentials_file"] = None
        elif settings.get("credentials_file") is not None:
            values["credentials"] = None
    return values


def converge(params, locations, check_mode, diff_mode):
    rl.validate(params)
    name, engine = params["name"], rl.engine_name(params["name"])
    confs = locations.read_all()
    current = confs.get(engine)
    result = {"changed": False, "changes": []}
    if params["state"] == "absent":
        if current is not None:
            users = rl.users_of(locations.mounts(), engine)
            if users:
                raise rl.in_use_error(name, users)
            result["changes"].append("remove location")
            if not check_mode:
                locations.delete(engine)
        result.update(changed=bool(result["changes"]), location={})
        if diff_mode:
            result["diff"] = {"before": rl.public(current), "after": {}}
        return result

    kind, settings = params["type"], params.get(params["type"]) or {}
    if kind == "gcs":
        settings = rl.normalize_credentials(settings)
    if current is None:
        problem = rl.missing_for_new(kind, settings)
        if problem:
            raise S3ModuleError(problem + "; nothing was changed")
    elif current.get("type") != kind:
        raise S3ModuleError("location %s is of type %s, not %s: remove it and create it again (nothing was changed)"
                            % (name, current.get("type"), kind))
    secret_spec = rl.TYPES[kind]["secret"]
    current_secret = None
    if current is not None and secret_spec:
        current_secret = locations.secret(engine, secret_spec[3])
        if kind == "gcs":
            current_secret = rl.stored_credentials(current_secret)
    values = desired(kind, settings, current, current_secret)
    after = dict(rl.public(current) or {"name": name, "engine_name": engine, "type": kind})
    if current is None:
        result["changes"].append("create location")
    for option in rl.TYPES[kind]["options"]:
        if settings.get(option) is not None and (current is None or settings[option] != after.get(option)):
            if current is not None:
                result["changes"].append("set %s" % option)
            after[option] = settings[option]
    if kind == "gcs" and settings.get("credentials") is not None:
        after["credentials_file"] = ""  # the key replaces a path the engine may have held
    secret_changed = bool(secret_spec and settings.get(secret_spec[0]) is not None
                          and settings[secret_spec[0]] != current_secret)
    if secret_changed and current is not None:
        result["changes"].append("set %s" % secret_spec[0])
    if result["changes"]:
        if params["verify_credentials"] and kind in VERIFY:
            VERIFY[kind](dict(values, ca_bundle=settings.get("ca_bundle")))
        if not check_mode:
            locations.configure(engine, kind, values)
    users = rl.users_of(locations.mounts(), engine) if current is not None else []
    after["used_by"] = users
    result.update(changed=bool(result["changes"]), location=after)
    if diff_mode:
        before = dict(rl.public(current), used_by=users) if current else {}
        if secret_spec:
            if current and current_secret:
                before[secret_spec[0]] = "(secret)"
            if values.get(secret_spec[0]):
                after = dict(after, **{secret_spec[0]: "(secret changed)" if secret_changed and current else "(secret)"})
        result["diff"] = {"before": before, "after": after}
    return result


def mask_gcs_key(module):
    """no_log of an inline GCS key: its private key (also each line of it, inside escaped renderings), not its public
    values (a test key's id "credentials" masked the word in every message)."""
    value = (module.params.get("gcs") or {}).get("credentials")
    if value is not None:
        from ansible_collections.metalstore.platform.plugins.module_utils.gcs_storage import key_parts
        secret, public = key_parts(value)
        module.no_log_values.difference_update(public)
        module.no_log_values.update(secret)


class LocationModule(AnsibleModule):
    def _log_invocation(self):  # the invocation log (syslog, journal) renders a dict's key escaped
        mask_gcs_key(self)
        super()._log_invocation()


def main():
    module = LocationModule(argument_spec=spec(), supports_check_mode=True,
                            required_if=[("state", "present", ("type",))])
    mask_gcs_key(module)
    hide_kubeconfig_secrets(module)
    run(module, lambda: converge(module.params, rl.Locations(WeedShell.from_params(module.params)),
                                 module.check_mode, module._diff))


if __name__ == "__main__":
    main()
