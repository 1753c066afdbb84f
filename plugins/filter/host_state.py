# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired path states for metalstore.platform.drift_info, from content rendered on the controller."""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleFilterError

from ansible_collections.metalstore.platform.plugins.module_utils.drift import sysctl_value


def content_states(files, mode="0644", owner="root", group="root"):
    """[{path, sha256, mode, owner, group}] for a dict of path -> the content it must hold, or -> {content, mode,
    owner, group} (what is left out takes the arguments)."""
    if not isinstance(files, dict):
        raise AnsibleFilterError("content_states takes a dict of path -> content, not %s" % type(files).__name__)
    out = []
    for path, value in files.items():
        spec = value if isinstance(value, dict) else {"content": value}
        out.append({"path": path, "sha256": hashlib.sha256(str(spec["content"]).encode("utf-8")).hexdigest(),
                    "mode": spec.get("mode", mode), "owner": spec.get("owner", owner), "group": spec.get("group", group)})
    return out


def directory_states(paths, mode="0755", owner="root", group="root"):
    """[{path, state: directory, mode, owner, group}] for a list of directories (None: not compared)."""
    if isinstance(paths, (str, dict)) or not hasattr(paths, "__iter__"):
        raise AnsibleFilterError("directory_states takes a list of paths, not %s" % type(paths).__name__)
    return [{"path": path, "state": "directory", "mode": mode, "owner": owner, "group": group} for path in paths]


class FilterModule(object):
    def filters(self):
        return {"content_states": content_states, "directory_states": directory_states, "sysctl_value": sysctl_value}
