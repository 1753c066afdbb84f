#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: drift_info
short_description: Compare a host's paths, services, packages and kernel parameters with their desired state in one call
version_added: 0.3.0
description:
  - Reads, changing nothing, type, mode, owner, group and (where a digest is given) the SHA-256 of every listed path,
    whether each listed systemd unit is enabled and active, whether each listed Debian package is installed (dpkg's
    status database) and each listed kernel parameter's live value, and reports which differ from the desired state.
    A file that is a symbolic link differs (M(ansible.builtin.copy) and M(ansible.builtin.template) replace links at
    their destination); a directory's link is followed, as M(ansible.builtin.file) does. Digests are compared, never
    returned.
  - The platform's roles read a host's managed state with one call and then run the writing tasks
    (M(ansible.builtin.copy), M(ansible.builtin.systemd_service), M(ansible.builtin.apt), ...) only for what differs,
    instead of one round-trip per item on every run. The writing module stays the judge of what it changes; this
    module is at least as strict, so what it accepts is what the writer would leave alone.
author:
  - MetalStore Engineers (@metalstore)
extends_documentation_fragment:
  - metalstore.platform.read_only
options:
  paths:
    description: The desired state of each path. Settings left out are not compared.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: What must be there (C(absent) - nothing).
        type: str
        choices: [file, directory, absent]
        default: file
      mode:
        description: Permission bits as an octal string (C("0755")).
        type: str
      owner:
        description: Owner name.
        type: str
      group:
        description: Group name.
        type: str
      sha256:
        description: SHA-256 of the file's content (hex). Not logged (it may be the digest of a file holding secrets).
        type: str
  packages:
    description: Debian packages that must be installed or absent (read from C(/var/lib/dpkg/status)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Package name.
        type: str
        required: true
      state:
        description: Whether it must be installed.
        type: str
        choices: [present, absent]
        default: present
  sysctls:
    description: Kernel parameter -> the value it must have live (read from C(/proc/sys)).
    type: dict
    default: {}
  units:
    description: The desired state of systemd units (read with one C(systemctl show)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Unit name (C(.service) is implied without a suffix).
        type: str
        required: true
      enabled:
        description: Whether it must be enabled (as C(systemctl is-enabled) judges, so static units count).
        type: bool
      active:
        description: Whether it must be active (running).
        type: bool
"""

EXAMPLES = r"""
- name: Read which binaries and units differ
  metalstore.platform.drift_info:
    paths:
      - {path: /usr/local/bin/containerd, mode: "0755", owner: root, group: root, sha256: "{{ containerd_sha256 }}"}
      - {path: /etc/containerd, state: directory, mode: "0755"}
    units:
      - {name: containerd, enabled: true, active: true}
  register: drift

- name: Install only those
  ansible.builtin.copy:
    src: "{{ item.src }}"
    dest: "{{ item.path }}"
    mode: "0755"
  loop: "{{ wanted | selectattr('path', 'in', drift.differ) }}"
"""

RETURN = r"""
differ:
  description: The paths whose state differs (missing, present where absent is wanted, another type, mode, owner,
    group or content), in the order given.
  returned: always
  type: list
  elements: str
units_differ:
  description: The units (names as given) that are missing, not enabled or active as wanted, or whose unit file
    changed since systemd loaded it (C(NeedDaemonReload)); the writing task reloads systemd then.
  returned: always
  type: list
  elements: str
paths:
  description: >-
    Path -> C(exists), and where it exists C(state) (file, directory, link or other), C(mode), C(owner), C(group),
    plus C(differences) (the settings that differ, C(missing) or C(present)).
  returned: always
  type: dict
units:
  description: Unit name -> C(LoadState), C(UnitFileState), C(ActiveState), C(NeedDaemonReload) and C(differences).
  returned: always
  type: dict
packages_differ:
  description: The packages (names as given) not in the wanted state.
  returned: always
  type: list
  elements: str
sysctls_differ:
  description: The kernel parameters whose live value differs from the wanted one, or that do not exist.
  returned: always
  type: list
  elements: str
sysctls:
  description: Kernel parameter -> its live value (null where it does not exist).
  returned: always
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.metalstore.platform.plugins.module_utils.drift import (
    STATES, compare, package_differences, parse_dpkg_status, parse_systemctl_show, sysctl_matches, sysctl_path,
    unit_differences, unit_id)

DPKG_STATUS = "/var/lib/dpkg/status"


def read_units(module, wanted):
    if not wanted:
        return {}, []
    ids = [unit_id(u["name"]) for u in wanted]
    rc, out, err = module.run_command(["systemctl", "show", "--property=Id,LoadState,UnitFileState,ActiveState,NeedDaemonReload"] + ids)
    if rc != 0:
        module.fail_json(msg="systemctl show failed (rc %d): %s" % (rc, err.strip()))
    shown = parse_systemctl_show(out)
    units, differ = {}, []
    for unit, uid in zip(wanted, ids):
        props = shown.get(uid)
        units[unit["name"]] = dict(props or {}, differences=unit_differences(unit, props))
        if units[unit["name"]]["differences"]:
            differ.append(unit["name"])
    return units, differ


def read_packages(module, wanted):
    if not wanted:
        return []
    try:
        with open(DPKG_STATUS) as f:
            installed = parse_dpkg_status(f.read())
    except OSError as e:
        module.fail_json(msg="cannot read %s (packages are judged on Debian hosts only): %s" % (DPKG_STATUS, e))
    return [p["name"] for p in wanted if package_differences(p, installed)]


def read_sysctls(wanted):
    live, differ = {}, []
    for key, value in wanted.items():
        try:
            with open(sysctl_path(key)) as f:
                live[key] = f.read().strip()
        except OSError:
            live[key] = None
        if live[key] is None or not sysctl_matches(value, live[key]):
            differ.append(key)
    return live, differ


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                state=dict(type="str", choices=list(STATES), default="file"),
                mode=dict(type="str"),
                owner=dict(type="str"),
                group=dict(type="str"),
                sha256=dict(type="str", no_log=True),
            )),
            packages=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                state=dict(type="str", choices=["present", "absent"], default="present"),
            )),
            sysctls=dict(type="dict", default={}),
            units=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                enabled=dict(type="bool"),
                active=dict(type="bool"),
            )),
        ),
        supports_check_mode=True,
    )
    entries = module.params["paths"]
    bad = ["%s: mode %r is not an octal string such as \"0755\"" % (e["path"], e["mode"])
           for e in entries if e["mode"] is not None and not re.match(r"^0?[0-7]{3,4}$", e["mode"])]
    bad += ["%s: sha256 %r is not 64 hex digits" % (e["path"], e["sha256"])
            for e in entries if e["sha256"] and not re.match(r"^[0-9a-fA-F]{64}$", e["sha256"])]
    if bad:
        module.fail_json(msg="; ".join(bad))
    paths, differ = compare(entries)
    units, units_differ = read_units(module, module.params["units"])
    packages_differ = read_packages(module, module.params["packages"])
    sysctls, sysctls_differ = read_sysctls(module.params["sysctls"])
    module.exit_json(changed=False, paths=paths, differ=differ, units=units, units_differ=units_differ,
                     packages_differ=packages_differ, sysctls=sysctls, sysctls_differ=sysctls_differ)


if __name__ == "__main__":
    main()
