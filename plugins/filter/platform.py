# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's port list (module_utils/platform.py) for the roles: one list, read by preflight and the firewall."""

from __future__ import annotations

from ansible_collections.metalstore.platform.plugins.module_utils.platform import ports_for


def platform_ports(group_names, public=None, api_port=None):
    return ports_for(group_names, public) if api_port is None else ports_for(group_names, public, api_port)


class FilterModule(object):
    def filters(self):
        return {"platform_ports": platform_ports}
