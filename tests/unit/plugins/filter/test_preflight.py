# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/filter/preflight.py (pure logic, no hosts)."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest
from ansible.errors import AnsibleFilterError

_PATH = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "filter" / "preflight.py"
_SPEC = importlib.util.spec_from_file_location("metalstore_preflight_filters", _PATH)
pf = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(pf)


def good_data(**overrides):
    data = {
        "distribution": "Debian", "distribution_version": "12.7", "distribution_major_version": "12",
        "cpus": 4, "memory_mb": 8192, "swap_mb": 0,
        "hostname": "cp1", "hostname_addresses": ["192.168.50.11"],
        "paths": {"/var/lib/containerd": {"measured": "/var/lib", "avail_mb": 50000, "fstype": "ext4"}},
        "disks": {"/dev/vdb": {"exists": True, "block": True, "signatures": {}, "mounted_at": []}},
        "kernel": {"overlay": {"builtin": True}, "br_netfilter": {"loaded": True}},
        "listening": {"22/tcp": ["sshd"]},
        "time_synchronized": True, "time_source": "chrony", "clock_skew_seconds": 0.4,
        "addresses": ["127.0.0.1", "192.168.50.11"],
        "routes": [{"dst": "default", "dev": "eth0"}, {"dst": "192.168.50.0/24", "dev": "eth0"}],
    }
    data.update(overrides)
    return data


def good_config(**overrides):
    config = {
        "group_names": ["control_plane"],
        "supported_os": [{"distribution": "Debian", "versions": ["12"]}],
        "minimums": {"control_plane": {"cpus": 2, "memory_mb": 2048}, "storage": {"cpus": 4, "memory_mb": 16384}},
        "free_disk": [{"path": "/var/lib/containerd", "min_mb": 10240, "forbid_overlay": True}],
        "data_disks": [{"device": "/dev/vdb", "fstype": "xfs", "mount": "/srv/disk1"}],
        "kernel_modules": ["overlay", "br_netfilter"],
        "node_ip": "192.168.50.11", "node_networks": ["192.168.50.0/24"],
        "pod_cidr": "10.244.0.0/16", "service_cidr": "10.96.0.0/12",
        "ports": [{"port": 6443, "proto": "tcp", "groups": ["control_plane"], "owners": ["kube-apiserver"]},
                  {"port": 8333, "proto": "tcp", "groups": ["storage"]}],
        "max_clock_skew_seconds": 30,
    }
    config.update(overrides)
    return config


def test_healthy_host_has_no_findings():
    assert pf.preflight_host_problems(good_data(), good_config()) == {"problems": [], "warnings": []}


def test_unsupported_os():
    result = pf.preflight_host_problems(good_data(distribution="Ubuntu", distribution_version="22.04",
                                                  distribution_major_version="22"), good_config())
    assert result["problems"] == ["[os] Ubuntu 22.04 is not supported (supported: Debian 12)"]


def test_every_problem_is_reported_at_once():
    data = good_data(distribution="Ubuntu", distribution_major_version="22", cpus=1, memory_mb=1024,
                     hostname_addresses=[], clock_skew_seconds=-300,
                     listening={"6443/tcp": ["nginx"]},
                     disks={"/dev/vdb": {"exists": True, "block": True, "signatures": {"TYPE": "ext4"},
                                         "mounted_at": []}},
                     kernel={"overlay": {"builtin": True}, "br_netfilter": {"module_support": False}})
    config = good_config(node_ip="10.0.0.5", pod_cidr="10.96.0.0/16")
    problems = pf.preflight_host_problems(data, config)["problems"]
    tags = [p.split("]")[0] + "]" for p in problems]
    for tag in ("[os]", "[cpu]", "[memory]", "[data disk]", "[time]", "[hostname]", "[network]", "[ports]", "[cidr]",
                "[kernel]"):
        assert tag in tags, (tag, problems)


def test_group_minimums_take_the_largest():
    result = pf.preflight_host_problems(good_data(cpus=2, memory_mb=8192),
                                        good_config(group_names=["control_plane", "storage"]))
    assert any(p.startswith("[cpu] 2 CPUs, control_plane/storage needs at least 4") for p in result["problems"])
    assert any(p.startswith("[memory]") for p in result["problems"])


def test_free_disk_and_overlay():
    data = good_data(paths={"/var/lib/containerd": {"measured": "/", "avail_mb": 100, "fstype": "overlay"}})
    problems = pf.preflight_host_problems(data, good_config())["problems"]
    assert len(problems) == 2 and all(p.startswith("[disk]") for p in problems)


@pytest.mark.parametrize("signatures,expect", [
    ({"TYPE": "ext4", "LABEL": "old"}, "ext4 filesystem labelled 'old'"),
    ({"PTTYPE": "gpt"}, "gpt partition table"),
])
def test_data_disk_with_content_is_refused(signatures, expect):
    data = good_data(disks={"/dev/vdb": {"exists": True, "block": True, "signatures": signatures, "mounted_at": []}})
    problems = pf.preflight_host_problems(data, good_config())["problems"]
    assert len(problems) == 1 and expect in problems[0] and "wipe: true" in problems[0]


def test_data_disk_wipe_true_is_a_warning():
    data = good_data(disks={"/dev/vdb": {"exists": True, "block": True, "signatures": {"TYPE": "ext4"},
                                         "mounted_at": []}})
    config = good_config(data_disks=[{"device": "/dev/vdb", "fstype": "xfs", "mount": "/srv/disk1", "wipe": True}])
    result = pf.preflight_host_problems(data, config)
    assert result["problems"] == [] and "WILL BE WIPED" in result["warnings"][0]


def test_whole_disk_already_prepared_is_fine():
    data = good_data(disks={"/dev/vdb": {"exists": True, "block": True, "signatures": {"TYPE": "xfs"},
                                         "mounted_at": ["/srv/disk1"], "mounts": [{"target": "/srv/disk1", "fstype": "xfs"}]}})
    config = good_config(data_disks=[{"device": "/dev/vdb", "fstype": "xfs", "mount": "/srv/disk1", "partition": False}])
    assert pf.preflight_host_problems(data, config)["problems"] == []


PARTITIONED = {"exists": True, "block": True, "signatures": {"PTTYPE": "gpt"}, "mounted_at": ["/srv/disk1"],
               "mounts": [{"target": "/srv/disk1", "fstype": "xfs"}],
               "partitions": {"1": {"device": "/dev/vdb1", "signatures": {"TYPE": "xfs", "UUID": "u"}}}}


def test_partitioned_disk_already_prepared_is_fine():
    # partition: true is the default: the declared filesystem is on partition 1.
    data = good_data(disks={"/dev/vdb": PARTITIONED})
    assert pf.preflight_host_problems(data, good_config())["problems"] == []
    # Without a device node for the partition (no udev) the mount table vouches for it.
    no_node = dict(PARTITIONED, partitions={"1": {"device": None, "signatures": {}}})
    assert pf.preflight_host_problems(good_data(disks={"/dev/vdb": no_node}), good_config())["problems"] == []


def test_disk_in_use_by_a_pod_is_still_prepared():
    # kubelet bind-mounts the local PersistentVolume into the pod using it (a rerun of prepare.yml on a cluster).
    pod = "/var/lib/kubelet/pods/9643f903/volumes/kubernetes.io~local-volume/node2-vdb"
    in_use = dict(PARTITIONED, mounted_at=[pod, "/srv/disk1"],
                  mounts=[{"target": pod, "fstype": "xfs"}, {"target": "/srv/disk1", "fstype": "xfs"}])
    assert pf.preflight_host_problems(good_data(disks={"/dev/vdb": in_use}), good_config())["problems"] == []


def test_partitioned_disk_with_another_filesystem_or_mount_is_refused():
    ext4 = dict(PARTITIONED, partitions={"1": {"device": "/dev/vdb1", "signatures": {"TYPE": "ext4"}}})
    assert "is not empty" in pf.preflight_host_problems(good_data(disks={"/dev/vdb": ext4}), good_config())["problems"][0]
    elsewhere = dict(PARTITIONED, mounts=[{"target": "/mnt/other", "fstype": "xfs"}], mounted_at=["/mnt/other"])
    assert pf.preflight_host_problems(good_data(disks={"/dev/vdb": elsewhere}), good_config())["problems"]


def test_data_disk_missing_or_unreadable():
    data = good_data(disks={"/dev/vdb": {"exists": False}})
    assert pf.preflight_host_problems(data, good_config())["problems"] == ["[data disk] /dev/vdb does not exist"]
    data = good_data(disks={"/dev/vdb": {"exists": True, "block": True, "signatures": {}, "mounted_at": [],
                                         "probe_error": "Operation not permitted"}})
    assert "could not be inspected" in pf.preflight_host_problems(data, good_config())["problems"][0]


def test_ports_owned_by_our_service_are_fine():
    data = good_data(listening={"6443/tcp": ["kube-apiserver"], "8333/tcp": ["other"]})
    assert pf.preflight_host_problems(data, good_config())["problems"] == []  # 8333 only matters on storage


def test_kernel_builtin_counts_and_loadable_warns():
    data = good_data(kernel={"overlay": {"probe": True}, "br_netfilter": {"loadable": True}})
    result = pf.preflight_host_problems(data, good_config())
    assert result["problems"] == [] and result["warnings"] == ["[kernel] br_netfilter is not loaded "
                                                               "(prerequisites loads it)"]


def test_swap_and_time_sync_policy():
    data = good_data(swap_mb=2048, time_synchronized=False)
    assert len(pf.preflight_host_problems(data, good_config())["warnings"]) == 2
    strict = good_config(swap_must_be_off=True, require_time_sync=True)
    assert len(pf.preflight_host_problems(data, strict)["problems"]) == 2


def test_ip_outside_network_and_not_on_host():
    problems = pf.preflight_host_problems(good_data(), good_config(node_ip="192.168.51.11"))["problems"]
    assert problems == ["[network] node IP 192.168.51.11 is outside the declared node networks (192.168.50.0/24)"]
    problems = pf.preflight_host_problems(good_data(), good_config(node_ip="192.168.50.99"))["problems"]
    assert problems == ["[network] node IP 192.168.50.99 is not configured on any interface of the host"]


def test_cidr_conflicts_between_networks():
    found = pf.cidr_conflicts({"pod network": "10.244.0.0/16", "service network": "10.244.128.0/20",
                               "node network": ["192.168.0.0/16"]})
    assert found == ["pod network 10.244.0.0/16 overlaps service network 10.244.128.0/20"]


def test_cidr_conflicts_with_routes_and_ignored_interfaces():
    routes = [{"dst": "default", "dev": "eth0"}, {"dst": "10.244.1.0/24", "dev": "cni0"},
              {"dst": "10.96.0.0/24", "dev": "eth1"}, {"dst": "192.168.50.0/24", "dev": "eth0"}]
    found = pf.cidr_conflicts({"pod network": "10.244.0.0/16", "service network": "10.96.0.0/12",
                               "node network": "192.168.50.0/24"}, routes, ["pod network", "service network"])
    assert found == ["service network 10.96.0.0/12 overlaps the host route 10.96.0.0/24 dev eth1"]


def test_cidr_invalid_values():
    found = pf.cidr_conflicts({"pod network": "10.244.0.1/16", "service network": "nonsense"})
    assert len(found) == 2 and "host bits" in found[0] and "not a valid network" in found[1]
    with pytest.raises(AnsibleFilterError):
        pf.cidr_conflicts(["10.0.0.0/8"])


def test_ipv4_and_ipv6_never_conflict():
    assert pf.cidr_conflicts({"a": "10.0.0.0/8", "b": "fd00::/8"}) == []


def test_ip_in_networks():
    assert pf.ip_in_networks("10.1.2.3", ["192.168.0.0/16", "10.0.0.0/8"])
    assert pf.ip_in_networks("10.1.2.3/24", "10.1.2.0/24")
    assert not pf.ip_in_networks("10.1.2.3", ["192.168.0.0/16"])
    assert not pf.ip_in_networks("not-an-ip", ["0.0.0.0/0"])


def test_linux_capabilities():
    assert "CAP_SYS_RESOURCE" in pf.linux_capabilities("000001ffffffffff")
    caps = pf.linux_capabilities("00000000a80425fb")  # a typical container default set
    assert "CAP_SYS_RESOURCE" not in caps and "CAP_NET_BIND_SERVICE" in caps
    with pytest.raises(AnsibleFilterError):
        pf.linux_capabilities("xyz")


@pytest.mark.parametrize("ref,full", [
    ("nginx", "docker.io/library/nginx:latest"),
    ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
    ("quay.io/org/app@sha256:abcd", "quay.io/org/app@sha256:abcd"),
    ("localhost:5000/x/y:1", "localhost:5000/x/y:1"),
    ("user/app:v1", "docker.io/user/app:v1"),
])
def test_oci_reference(ref, full):
    assert pf.oci_reference(ref)["full"] == full


def test_oci_manifest_urls_in_containerds_order():
    mirrored = ["docker.io", "registry.k8s.io"]
    assert pf.oci_manifest_urls("chrislusf/seaweedfs:4.47", "reg.site:5000/", mirrored) == [
        "https://reg.site:5000/v2/docker.io/chrislusf/seaweedfs/manifests/4.47",
        "https://registry-1.docker.io/v2/chrislusf/seaweedfs/manifests/4.47"]
    digest = "sha256:" + "a" * 64
    assert pf.oci_manifest_urls("reg.site:5000/own/seaweedfs@" + digest, "reg.site:5000", mirrored) == [
        "https://reg.site:5000/v2/own/seaweedfs/manifests/" + digest]
    # a registry the site does not mirror, and a site without a registry: straight upstream
    assert pf.oci_manifest_urls("quay.example/x/y:1", "reg.site:5000", mirrored) == ["https://quay.example/v2/x/y/manifests/1"]
    assert pf.oci_manifest_urls("busybox", "", mirrored) == ["https://registry-1.docker.io/v2/library/busybox/manifests/latest"]


def test_oci_mirror_path():
    assert pf.oci_mirror_path("registry.k8s.io/pause:3.9", "reg.site:5000/") == "reg.site:5000/registry.k8s.io/pause:3.9"
    assert pf.oci_mirror_path("busybox:1", "r:5000") == "r:5000/docker.io/library/busybox:1"
    with pytest.raises(AnsibleFilterError):
        pf.oci_mirror_path("Upper/Case", "r:5000")


def test_duplicate_values():
    assert pf.duplicate_values({"a": "n1", "b": "n1", "c": "n2", "d": ""}) == {"n1": ["a", "b"]}


def test_report_lists_every_host_and_problem():
    text = pf.preflight_report({"n1": {"problems": ["[os] bad"], "warnings": ["[swap] on"]},
                                "n2": ["[cidr] overlap", "[ports] busy"], "n3": {"problems": [], "warnings": []}})
    assert text.splitlines()[0] == "Preflight: 3 problem(s) on 2 of 3 host(s); nothing was changed."
    assert "  FAIL [os] bad" in text and "  warn [swap] on" in text and "  FAIL [ports] busy" in text
    assert "n3" not in text
    assert pf.preflight_report({"n1": []}).startswith("Preflight: all checks passed on 1 host(s).")


def test_filter_module_exports():
    names = pf.FilterModule().filters()
    assert {"cidr_conflicts", "preflight_host_problems", "preflight_report", "oci_mirror_path"} <= set(names)


def test_missing_node_networks_is_a_problem_listed_with_the_others():
    data = good_data(distribution="Debian", distribution_version="11.9", distribution_major_version="11")
    problems = pf.preflight_host_problems(data, good_config(node_networks=[]))["problems"]
    assert "[variables] metalstore_node_networks is not set: declare the CIDRs the node IPs live in" in problems
    assert any(p.startswith("[os] ") for p in problems)


def test_cidr_conflicts_ignore_the_clusters_own_pod_routes():
    # flannel host-gw on a running cluster: each node's pod subnet via that node. A foreign route into the pod
    # network without a gateway (a directly attached network) still conflicts.
    routes = [{"dst": "10.244.1.0/24", "dev": "eth0", "gateway": "192.168.50.12"},
              {"dst": "10.244.9.0/24", "dev": "eth1"}]
    found = pf.cidr_conflicts({"pod network": "10.244.0.0/16", "node network": "192.168.50.0/24"}, routes,
                              ["pod network"])
    assert found == ["pod network 10.244.0.0/16 overlaps the host route 10.244.9.0/24 dev eth1"]
