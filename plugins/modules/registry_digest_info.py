#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: registry_digest_info
short_description: Read the manifest digest an OCI registry holds for each of many image references, in one call
version_added: 0.3.0
description:
  - Asks the registry (HEAD on C(/v2/<repository>/manifests/<tag>), accepting OCI and Docker manifests and indexes, so
    the registry answers with the stored manifest's own digest) for each reference and returns its
    C(Docker-Content-Digest), or null where the registry lacks it.
  - Credentials are read on the host from a containers auth file (the one skopeo and podman use), never passed as
    module arguments. TLS is verified against the host's trust store.
  - In check mode, a registry that cannot be asked yet (not running, or its auth file not written yet on a first run)
    is a warning and every digest null (the pushes are predicted); otherwise it is an error.
  - The requests run four at a time (a registry with htpasswd authentication spends a bcrypt verification on each).
  - The dark-site bootstrap role compares these digests with the bundle's to push only the images that differ.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.read_only
options:
  references:
    description: Image references C(<registry host[:port]>/<repository>:<tag>), all on one registry.
    type: list
    elements: str
    required: true
  auth_file:
    description: Containers auth file (JSON C(auths) -> registry -> C(auth)) holding the registry's credentials.
    type: path
  timeout:
    description: Seconds per request.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Digests the site registry holds
  metalstore.platform.registry_digest_info:
    references: [registry.example:5000/docker.io/library/busybox:1.37]
    auth_file: /etc/metalstore/registry-auth.json
  register: held
"""

RETURN = r"""
digests:
  description: Reference -> the registry's manifest digest (C(sha256:...)), null where it answers 404.
  returned: always
  type: dict
"""

import json
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
])


def split_reference(ref):
    """(registry, repository, tag) of REGISTRY/REPOSITORY:TAG."""
    registry, sep, rest = ref.partition("/")
    repository, colon, tag = rest.rpartition(":")
    if not sep or not colon or not repository or "/" in tag:
        raise ValueError("%r is not <registry>/<repository>:<tag>" % ref)
    return registry, repository, tag


def ask(ref, registry, repository, tag, auths, timeout):
    """(digest or None, error or None) of one reference."""
    headers = {"Accept": ACCEPT}
    if registry in auths and auths[registry].get("auth"):
        headers["Authorization"] = "Basic " + auths[registry]["auth"]
    try:
        resp = open_url("https://%s/v2/%s/manifests/%s" % (registry, repository, tag), method="HEAD",
                        headers=headers, timeout=timeout, follow_redirects="safe")
        return resp.headers.get("Docker-Content-Digest"), None
    except HTTPError as e:
        if e.code == 404:
            return None, None
        return None, "%s answered %s for %s: check the registry and its credentials" % (registry, e.code, ref)
    except (URLError, OSError) as e:  # TLS and socket errors are OSErrors
        return None, "cannot ask %s for %s: %s" % (registry, ref, e)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            references=dict(type="list", elements="str", required=True),
            auth_file=dict(type="path"),
            timeout=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    try:
        parts = [split_reference(r) for r in module.params["references"]]
    except ValueError as e:
        module.fail_json(msg=str(e))

    def cannot(msg):
        if module.check_mode:
            module.warn(msg + " (check mode: every image's push is predicted)")
            module.exit_json(changed=False, digests=dict.fromkeys(module.params["references"]))
        module.fail_json(msg=msg)

    auths = {}
    if module.params["auth_file"]:
        try:
            with open(module.params["auth_file"]) as f:
                auths = json.load(f).get("auths", {})
        except (OSError, ValueError) as e:
            cannot("cannot read the auth file %s: %s" % (module.params["auth_file"], e))
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda item: ask(item[0], *item[1], auths=auths, timeout=module.params["timeout"]),
                                zip(module.params["references"], parts)))
    errors = [answer[1] for answer in answers if answer[1]]
    if errors:
        cannot("; ".join(errors))
    digests = dict(zip(module.params["references"], [answer[0] for answer in answers]))
    module.exit_json(changed=False, digests=digests)


if __name__ == "__main__":
    main()
