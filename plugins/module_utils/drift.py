# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare paths (type, mode, owner, group, content digest) and systemd units (enabled, active) with their desired
state, without changing anything."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat

STATES = ("file", "directory", "absent")
# UnitFileState values ansible.builtin.systemd_service takes for enabled (is-enabled answers 0, and it is not one of
# enabled-runtime, indirect or alias, which the module enables anyway).
ENABLED = ("enabled", "static", "generated", "transient")


def _name(lookup, num):
    try:
        return lookup(num)[0]
    except KeyError:
        return str(num)


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def current(path, want_digest):
    """What is at PATH. A directory's symlink is followed (the file module does); a file's is not: copy and template
    replace a link at their destination, so a link is state "link"."""
    try:
        st = os.stat(path)
        is_link = os.path.islink(path)
    except FileNotFoundError:
        return {"exists": False}
    kind = ("directory" if stat.S_ISDIR(st.st_mode) else "link" if is_link
            else "file" if stat.S_ISREG(st.st_mode) else "other")
    found = {"exists": True, "state": kind, "mode": "%04o" % stat.S_IMODE(st.st_mode),
             "owner": _name(pwd.getpwuid, st.st_uid), "group": _name(grp.getgrgid, st.st_gid)}
    if want_digest and kind == "file":
        found["sha256"] = sha256_of(path)  # compared, never returned (a digest of a secret is not printed)
    return found


def differences(desired, found):
    """The settings of DESIRED (a dict: state, mode, owner, group, sha256; absent keys are not compared) that FOUND lacks."""
    if desired.get("state") == "absent":
        return ["present"] if found["exists"] else []
    if not found["exists"]:
        return ["missing"]
    if found["state"] != desired.get("state", "file"):
        return ["state"]
    diffs = []
    if desired.get("mode") is not None and int(str(desired["mode"]), 8) != int(found["mode"], 8):
        diffs.append("mode")
    for key in ("owner", "group"):
        if desired.get(key) is not None and str(desired[key]) != found[key]:
            diffs.append(key)
    if desired.get("sha256") and desired["sha256"].lower() != found.get("sha256"):
        diffs.append("sha256")
    return diffs


def compare(entries):
    """Every entry's current state and differences; the paths that differ, in the entries' order."""
    paths, differ = {}, []
    for entry in entries:
        found = current(entry["path"], bool(entry.get("sha256")))
        found["differences"] = differences(entry, found)
        found.pop("sha256", None)
        paths[entry["path"]] = found
        if found["differences"]:
            differ.append(entry["path"])
    return paths, differ


def parse_systemctl_show(text):
    """Unit name -> {property: value} from `systemctl show --property=Id,... UNIT...` (blocks split by blank lines)."""
    units = {}
    for block in text.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if props.get("Id"):
            units[props["Id"]] = props
    return units


def unit_differences(desired, props):
    """What of DESIRED ({name, enabled, active}; absent keys not compared) the unit's PROPS lack."""
    if props is None or props.get("LoadState") == "not-found":
        return ["missing"]
    diffs = []
    if desired.get("enabled") is not None and (props.get("UnitFileState") in ENABLED) != desired["enabled"]:
        diffs.append("enabled")
    if desired.get("active") is not None and (props.get("ActiveState") == "active") != desired["active"]:
        diffs.append("active")
    if props.get("NeedDaemonReload") == "yes":
        diffs.append("reload")
    return diffs


def unit_id(name):
    return name if "." in name else name + ".service"


def parse_dpkg_status(text):
    """Package name -> whether dpkg has it installed (Status: <want> <flag> installed, any architecture)."""
    installed = {}
    for stanza in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
        if "Package" in fields:
            is_installed = fields.get("Status", "").split(" ")[-1] == "installed"
            installed[fields["Package"]] = installed.get(fields["Package"], False) or is_installed
    return installed


def package_differences(desired, installed):
    """[] when the package NAME is as wanted (state present/absent), else [the state it is not in]."""
    have = installed.get(desired["name"], False)
    want = desired.get("state", "present") == "present"
    return [] if have == want else ["absent" if want else "present"]


def sysctl_path(key):
    """/proc/sys path of a key, as sysctl maps it: dots separate levels, a slash stands for a dot in a name
    (net.ipv4.conf.eth0/100.rp_filter)."""
    return "/proc/sys/" + key.translate(str.maketrans("./", "/."))


def sysctl_value(value):
    """The value as the kernel takes it: booleans (and yes/no/on/off/true/false) as 1 or 0."""
    text = str(value).strip()
    if isinstance(value, bool) or text.lower() in ("true", "false", "yes", "no", "on", "off"):
        return "1" if text.lower() in ("true", "yes", "on") else "0"
    return text


def sysctl_matches(wanted, live):
    """Whether a live kernel parameter has the wanted value (whitespace between words is not significant)."""
    return sysctl_value(wanted).split() == str(live).split()
