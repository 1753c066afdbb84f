# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""drift_info's comparison on real files in a temporary directory."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd

from ansible_collections.metalstore.platform.plugins.module_utils.drift import (
    compare, parse_systemctl_show, unit_differences)


def _me():
    return pwd.getpwuid(os.getuid())[0], grp.getgrgid(os.getgid())[0]


def test_matching_file_and_directory_do_not_differ(tmp_path):
    owner, group = _me()
    f = tmp_path / "bin"
    f.write_bytes(b"binary")
    f.chmod(0o755)
    d = tmp_path / "etc"
    d.mkdir(mode=0o750)
    d.chmod(0o750)
    paths, differ = compare([
        {"path": str(f), "mode": "0755", "owner": owner, "group": group, "sha256": hashlib.sha256(b"binary").hexdigest()},
        {"path": str(d), "state": "directory", "mode": "750"},
    ])
    assert differ == []
    assert paths[str(f)]["mode"] == "0755" and paths[str(d)]["state"] == "directory"


def test_each_kind_of_drift_is_named(tmp_path):
    f = tmp_path / "conf"
    f.write_bytes(b"old")
    f.chmod(0o600)
    paths, differ = compare([
        {"path": str(f), "mode": "0644", "sha256": hashlib.sha256(b"new").hexdigest(), "owner": "no-such-user-here"},
        {"path": str(tmp_path / "absent")},
        {"path": str(f), "state": "directory"},
    ])
    assert paths[str(f)]["differences"] == ["state"]  # the last entry for a path wins in the dict
    assert differ == [str(f), str(tmp_path / "absent"), str(f)]
    first = compare([{"path": str(f), "mode": "0644", "sha256": hashlib.sha256(b"new").hexdigest(), "owner": "x-no"}])[0]
    assert first[str(f)]["differences"] == ["mode", "owner", "sha256"]
    assert paths[str(tmp_path / "absent")] == {"exists": False, "differences": ["missing"]}


def test_digest_read_only_when_asked(tmp_path):
    f = tmp_path / "big"
    f.write_bytes(b"x")
    paths = compare([{"path": str(f)}])[0]
    assert "sha256" not in paths[str(f)]


def test_absent_wanted(tmp_path):
    f = tmp_path / "sources.list"
    f.write_text("deb x")
    paths, differ = compare([{"path": str(f), "state": "absent"}, {"path": str(tmp_path / "gone"), "state": "absent"}])
    assert differ == [str(f)] and paths[str(f)]["differences"] == ["present"]


SHOW = """Id=chrony.service
LoadState=loaded
UnitFileState=enabled
ActiveState=active

Id=metalstore-firewall.service
LoadState=loaded
UnitFileState=disabled
ActiveState=inactive

Id=nope.service
LoadState=not-found
UnitFileState=
ActiveState=inactive
"""


def test_units_judged_like_systemctl_is_enabled():
    units = parse_systemctl_show(SHOW)
    assert unit_differences({"name": "chrony", "enabled": True, "active": True}, units["chrony.service"]) == []
    assert unit_differences({"name": "metalstore-firewall", "enabled": True, "active": True},
                            units["metalstore-firewall.service"]) == ["enabled", "active"]
    assert unit_differences({"name": "nope", "enabled": True}, units["nope.service"]) == ["missing"]
    assert unit_differences({"name": "x", "enabled": True}, {"UnitFileState": "static", "ActiveState": "active"}) == []
    assert unit_differences({"name": "x", "active": True}, None) == ["missing"]


DPKG = """Package: chrony
Status: install ok installed
Architecture: amd64
Description: x
 more text: with a colon

Package: containerd
Status: deinstall ok config-files
Architecture: amd64

Package: nftables
Status: hold ok installed
"""


def test_packages_from_dpkg_status():
    from ansible_collections.metalstore.platform.plugins.module_utils.drift import package_differences, parse_dpkg_status
    have = parse_dpkg_status(DPKG)
    assert have == {"chrony": True, "containerd": False, "nftables": True}
    assert package_differences({"name": "chrony"}, have) == []
    assert package_differences({"name": "containerd", "state": "absent"}, have) == []
    assert package_differences({"name": "haproxy"}, have) == ["absent"]
    assert package_differences({"name": "nftables", "state": "absent"}, have) == ["present"]


def test_sysctl_values_compare_by_words():
    from ansible_collections.metalstore.platform.plugins.module_utils.drift import sysctl_matches, sysctl_path
    assert sysctl_path("net.ipv4.ip_forward") == "/proc/sys/net/ipv4/ip_forward"
    assert sysctl_matches(1, "1") and sysctl_matches("32768 60999", "32768\t60999") and not sysctl_matches(0, "1")


def test_booleans_as_the_kernel_takes_them_and_slashes_in_keys():
    from ansible_collections.metalstore.platform.plugins.module_utils.drift import sysctl_matches, sysctl_path, sysctl_value
    assert [sysctl_value(v) for v in (True, False, "yes", "off", 1, "32768 60999")] == ["1", "0", "1", "0", "1", "32768 60999"]
    assert sysctl_matches(True, "1") and not sysctl_matches("on", "0")
    assert sysctl_path("net.ipv4.conf.eth0/100.rp_filter") == "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"


def test_runtime_enabled_and_stale_units_differ_digests_never_returned(tmp_path):
    assert unit_differences({"name": "x", "enabled": True}, {"UnitFileState": "enabled-runtime"}) == ["enabled"]
    assert unit_differences({"name": "x", "active": True},
                            {"ActiveState": "active", "NeedDaemonReload": "yes"}) == ["reload"]
    f = tmp_path / "secret"
    f.write_bytes(b"pw")
    link = tmp_path / "link"
    link.symlink_to(f)
    paths, differ = compare([{"path": str(f), "sha256": hashlib.sha256(b"pw").hexdigest()}, {"path": str(link)}])
    assert "sha256" not in paths[str(f)] and differ == [str(link)] and paths[str(link)]["differences"] == ["state"]
