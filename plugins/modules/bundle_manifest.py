#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bundle_manifest
short_description: Verify an offline bundle, or write the manifest of one being assembled
version_added: 0.2.0
description:
  - With O(state=verified), checks a bundle directory or tarball (docs/bundle.md) completely - schema, every
    artifact each Kubernetes version needs, each file's size and sha256, each image archive's digests, no unlisted
    files - and returns its manifest. Read-only.
  - With O(state=planned), checks that O(artifacts) (no files yet) make a complete bundle for
    O(kubernetes_versions), so a builder fails before it downloads anything.
  - With O(state=written), hashes the O(artifacts) assembled in O(path), reads each image archive's digests
    (a pinned C(digest) must match), checks the set is complete and writes C(manifest.json) last, so an
    incomplete directory never looks like a bundle.
  - "Usually runs on the controller (C(delegate_to: localhost)), where bundles are built and kept."
author:
  - MetalStore Engineers (@metalstore)
attributes:
  check_mode:
    support: full
    description: V(verified) and V(planned) only read; V(written) reports a change without writing.
  diff_mode:
    support: none
    description: A manifest is derived from the files; there is nothing to show.
options:
  path:
    description: Bundle directory (V(written) or V(verified)) or tarball (V(verified) only).
    type: path
    required: true
  state:
    description: What to do.
    type: str
    choices: [verified, planned, written]
    default: verified
  artifacts:
    description:
      - Required with O(state=planned) and O(state=written). Files in O(path) with C(name), C(kind) (V(binary) or V(image)), C(role),
        C(version), C(path) (relative), C(source), and for images C(image) (the reference) and optionally C(digest).
      - Artifacts of one Kubernetes version carry C(kubernetes_version).
    type: list
    elements: dict
  builder:
    description: Provenance recorded in the manifest (V(written)).
    type: str
    default: from-upstream
  kubernetes_versions:
    description: Kubernetes versions the bundle carries (required with V(planned) and V(written)).
    type: list
    elements: str
  image_repository:
    description: Repository kubeadm's C(imageRepository) must name for the control-plane images (V(written)).
    type: str
    default: registry.k8s.io
  source:
    description: Where the artifacts came from, recorded in the manifest (V(written)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Verify the site's bundle on the controller
  metalstore.platform.bundle_manifest:
    path: /srv/metalstore/bundle
  delegate_to: localhost
  run_once: true
  register: bundle
"""

RETURN = r"""
manifest:
  description: The bundle's manifest.
  returned: success
  type: dict
kubernetes_versions:
  description: Kubernetes versions the bundle carries, oldest first.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.metalstore.platform.plugins.module_utils.bundle_format import (
    BundleError, check_plan, load_manifest, verify, write_manifest)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["verified", "planned", "written"], default="verified"),
            artifacts=dict(type="list", elements="dict"),
            builder=dict(type="str", default="from-upstream"),
            kubernetes_versions=dict(type="list", elements="str"),
            image_repository=dict(type="str", default="registry.k8s.io"),
            source=dict(type="str", default=""),
        ),
        required_if=[("state", "written", ("artifacts", "kubernetes_versions")),
                     ("state", "planned", ("artifacts", "kubernetes_versions"))],
        supports_check_mode=True,
    )
    p = module.params
    try:
        if p["state"] == "verified":
            manifest = verify(p["path"], quiet=True)
            module.exit_json(changed=False, manifest=manifest, kubernetes_versions=manifest["kubernetes_versions"])
        if p["state"] == "planned":
            check_plan([dict(a) for a in p["artifacts"]], p["kubernetes_versions"])
            module.exit_json(changed=False, manifest={}, kubernetes_versions=p["kubernetes_versions"])
        if module.check_mode:
            module.exit_json(changed=True, manifest={}, kubernetes_versions=p["kubernetes_versions"])
        artifacts = [dict(a) for a in p["artifacts"]]
        write_manifest(p["path"], builder=p["builder"], kubernetes_versions=p["kubernetes_versions"],
                       image_repository=p["image_repository"], source=p["source"], artifacts=artifacts)
        manifest = load_manifest(p["path"])
        module.exit_json(changed=True, manifest=manifest, kubernetes_versions=manifest["kubernetes_versions"])
    except BundleError as e:
        module.fail_json(msg="bundle %s: %s" % (p["path"], e))
    except OSError as e:
        module.fail_json(msg="bundle %s: %s" % (p["path"], e))


if __name__ == "__main__":
    main()
