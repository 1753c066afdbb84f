# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Selection of a bundle manifest's artifacts for the roles (format: module_utils/bundle_format.py).

Roles read a bundle only through these filters, so a from-source and a from-upstream bundle are interchangeable
and no role knows the manifest's layout. Documentation for each filter lives next to this file.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.metalstore.platform.plugins.module_utils.bundle_format import (
    SCHEMA, BundleError, images_for, select)


def _manifest(value):
    if not isinstance(value, dict) or value.get("schema") != SCHEMA:
        got = value.get("schema") if isinstance(value, dict) else type(value).__name__
        raise AnsibleFilterError("not a %s bundle manifest (schema %r): rebuild the bundle with this collection's "
                                 "builders (make bundle, or playbooks/bundle_from_upstream.yml)" % (SCHEMA, got))
    return value


def bundle_artifacts(manifest, kind=None, role=None, kubernetes_version=None, name=None):
    """Artifacts of the manifest matching every given criterion (kubernetes_version keeps shared ones too)."""
    found = select(_manifest(manifest), kind=kind, role=role, kubernetes_version=kubernetes_version, name=name)
    if kubernetes_version and kubernetes_version not in manifest.get("kubernetes_versions", []):
        raise AnsibleFilterError("Kubernetes %s is not in the bundle (it has %s)"
                                 % (kubernetes_version, ", ".join(manifest.get("kubernetes_versions", []))))
    return found


def bundle_images(manifest, kubernetes_version):
    """{role: image reference} of every image one Kubernetes version of the bundle runs."""
    try:
        return images_for(_manifest(manifest), kubernetes_version)
    except BundleError as e:
        raise AnsibleFilterError(str(e))


def bundle_install_plan(artifacts, bundle_dir, directory, paths=None, mode="0755"):
    """Where each artifact is installed: {src, label, want} with want the path's desired state (drift_info)."""
    paths = paths or {}
    plan = []
    for a in artifacts:
        if a.get("kind") != "binary":
            raise AnsibleFilterError("bundle_install_plan installs binaries; %s is a %s" % (a.get("name"), a.get("kind")))
        dest = paths.get(a["role"]) or "%s/%s" % (directory.get(a["role"], directory.get("*")) if isinstance(directory, dict)
                                                  else directory, a["path"].rsplit("/", 1)[-1])
        plan.append({"src": "%s/%s" % (bundle_dir, a["path"]), "label": "%s %s" % (a["name"], a["version"]),
                     "want": {"path": dest, "sha256": a["sha256"], "mode": mode, "owner": "root", "group": "root"}})
    return plan


class FilterModule(object):
    def filters(self):
        return {"bundle_artifacts": bundle_artifacts, "bundle_images": bundle_images,
                "bundle_install_plan": bundle_install_plan}
