# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_facts' parsers and the platform's one port list (pure logic; the /proc texts are samples)."""

from __future__ import annotations

from ansible_collections.metalstore.platform.plugins.module_utils.host_probe import (
    SECTIONS, capeff, gather, parse_mountinfo, parse_proc_net, swap_mb)
from ansible_collections.metalstore.platform.plugins.module_utils.platform import KERNEL_FEATURES, ports_for

MOUNTINFO = """\
22 1 0:21 / / rw,relatime shared:1 - overlay overlay rw,lowerdir=/l
35 22 254:0 / /var/lib/containerd rw,relatime - ext4 /dev/vda rw
40 22 7:3 / /var/lib/metalstore/disks/vdb rw,relatime - xfs /dev/vdb rw
41 22 0:50 / /mnt/with\\040space rw - tmpfs tmpfs rw
"""

PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1A0B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1
   1: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2222 1
"""


def test_mountinfo_gives_device_target_type_and_source():
    mounts = parse_mountinfo(MOUNTINFO)
    assert ("7:3", "/var/lib/metalstore/disks/vdb", "xfs", "/dev/vdb") in mounts
    assert ("0:50", "/mnt/with space", "tmpfs", "tmpfs") in mounts
    assert mounts[0][2] == "overlay"


def test_only_listening_tcp_sockets_count():
    inodes = parse_proc_net(PROC_NET_TCP, "tcp", {})
    assert inodes == {"1111": {"6667/tcp"}}  # 0x1A0B; the established 22 (state 01) is not a listener


def test_swap_and_capabilities():
    assert swap_mb("Filename\tType\tSize\tUsed\tPriority\n/swap file 2097148 0 -2\n") == 2047
    assert swap_mb("Filename\tType\tSize\tUsed\tPriority\n") == 0
    assert capeff("Name:\tx\nCapEff:\t000001ffffffffff\n") == "000001ffffffffff"


def test_gather_reads_only_the_requested_sections():
    out = gather(["kernel"], kernel_modules={"overlay": ["fs:overlay"]})
    assert set(out) == {"kernel"}
    assert set(out["kernel"]["overlay"]) == {"loaded", "builtin", "probe", "loadable", "module_support"}
    assert "time" in SECTIONS and set(KERNEL_FEATURES) == {"overlay", "br_netfilter", "nf_conntrack"}


def test_one_port_list_serves_preflight_and_the_firewall():
    storage_public = {p["port"] for p in ports_for(["storage"], public=True)}
    assert storage_public == {10250, "30000-32767", 8333}
    control = {p["port"] for p in ports_for(["control_plane", "bootstrap"])}
    assert {6443, 2379, 2380, 5000, 8443, 10250, 10256} <= control and 8333 not in control
    assert {p["port"] for p in ports_for(["control_plane"], public=False)} >= {2379, 2380, 10257, 10259, 10256}


def test_api_endpoint_port_follows_the_site_fact():
    assert 7443 in {p["port"] for p in ports_for(["control_plane"], public=True)}
    moved = {p["port"]: p for p in ports_for(["control_plane"], public=True, api_port="9443")}
    assert 9443 in moved and 7443 not in moved and moved[9443]["owners"] == ["haproxy"]
    assert not [p for p in ports_for(["workers"]) if p["owners"] == ["haproxy"]]
