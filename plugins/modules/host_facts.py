#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_facts
short_description: Read what the platform needs to know about a host, changing nothing
version_added: 0.2.0
description:
  - Reads, without changing anything, the host state the platform's roles judge and act on - free space and
    filesystem of paths, data disks (block device, signatures, partitions, mounts), kernel features (loaded, built
    in, proven by a probe, loadable), listening TCP and bound UDP ports with their processes, time synchronisation
    and clock skew, addresses and routes, hostname resolution, swap, effective capabilities.
  - The preflight role judges all of it; the prerequisites role uses the kernel section to load only what is missing.
  - Every external tool it runs (blkid, ip, chronyc, timedatectl, modprobe -n) is bounded by a 20 s timeout.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.read_only
options:
  gather:
    description: Sections to read.
    type: list
    elements: str
    choices: [identity, paths, disks, kernel, ports, time, network]
    default: [identity, paths, disks, kernel, ports, time, network]
  paths:
    description: Paths whose free space and filesystem type to read (the nearest existing parent is measured).
    type: list
    elements: path
    default: []
  disks:
    description: Data disk devices to inspect.
    type: list
    elements: path
    default: []
  kernel_modules:
    description:
      - Kernel feature (module name) -> probes proving it is built in (a path, or C(fs:<name>) for a filesystem in
        C(/proc/filesystems)).
      - Default - the features the platform needs (overlay, br_netfilter, nf_conntrack).
    type: dict
  controller_time:
    description: The controller's clock (epoch seconds), to report the host's skew.
    type: float
"""

EXAMPLES = r"""
- name: Kernel features only
  metalstore.platform.host_facts:
    gather: [kernel]
  register: host
"""

RETURN = r"""
host:
  description: The requested sections (keys C(hostname), C(hostname_addresses), C(capeff), C(swap_mb), C(paths), C(disks),
    C(kernel), C(listening), C(time_synchronized), C(time_source), C(clock_skew_seconds), C(addresses), C(routes)).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.metalstore.platform.plugins.module_utils.host_probe import SECTIONS, gather
from ansible_collections.metalstore.platform.plugins.module_utils.platform import KERNEL_FEATURES


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather=dict(type="list", elements="str", choices=list(SECTIONS), default=list(SECTIONS)),
            paths=dict(type="list", elements="path", default=[]),
            disks=dict(type="list", elements="path", default=[]),
            kernel_modules=dict(type="dict"),
            controller_time=dict(type="float"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    kernel = p["kernel_modules"] if p["kernel_modules"] is not None else KERNEL_FEATURES
    module.exit_json(changed=False, host=gather(p["gather"], p["paths"], p["disks"], kernel, p["controller_time"]))


if __name__ == "__main__":
    main()
