"""Validation of lab parameters: bad input must fail with a clear message before anything is created."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))

from labctl_lib import plan  # noqa: E402
from labctl_lib.cli import main  # noqa: E402


def test_default_plan_has_three_nodes_with_fixed_addresses_and_groups():
    p = plan.make_plan("metalstore", 3, plan.DEFAULT_SUBNET)
    assert [(n.name, n.ip) for n in p.nodes] == [
        ("metalstore-node1", "10.213.0.11"), ("metalstore-node2", "10.213.0.12"), ("metalstore-node3", "10.213.0.13")]
    assert p.gateway == "10.213.0.1" and p.network == "metalstore-net"
    assert p.nodes[0].groups == ["bootstrap", "control_plane"]
    assert p.nodes[2].groups == ["workers", "storage"]


def test_default_lab_is_three_control_plane_nodes_and_a_worker_with_storage_on_three():
    p = plan.make_plan("metalstore", plan.DEFAULT_NODES, plan.DEFAULT_SUBNET)
    assert [n.groups for n in p.nodes] == [["bootstrap", "control_plane"], ["control_plane", "storage"],
                                           ["control_plane", "storage"], ["workers", "storage"]]
    assert plan.api_vip(p.subnet, len(p.nodes)) == "10.213.0.10"
    assert plan.api_vip(p.subnet, 3) == "" and plan.make_plan("five", 5, "10.9.0.0/24").nodes[4].groups == ["workers", "storage"]


def test_single_node_lab_is_in_every_group():
    assert plan.make_plan("one", 1, "10.9.0.0/24").nodes[0].groups == ["bootstrap", "control_plane", "workers", "storage"]


def test_disks_are_named_like_virtio_disks():
    assert plan.make_plan("d", 2, "10.9.0.0/24", disks=2).nodes[1].disks == ["vdb", "vdc"]


@pytest.mark.parametrize("nodes,subnet", [(5, "10.9.0.0/28"), (245, "10.9.0.0/24"), (1, "10.9.0.0/29")])
def test_more_nodes_than_the_subnet_holds_is_refused(nodes, subnet):
    with pytest.raises(ValueError, match="do not fit"):
        plan.make_plan("lab", nodes, subnet)


def test_the_largest_plan_that_fits_is_accepted():
    assert len(plan.make_plan("lab", 4, "10.9.0.0/28").nodes) == 4  # .11-.14; .15 is broadcast


@pytest.mark.parametrize("subnet,msg", [
    ("10.9.0.1/24", "host bits set"), ("nonsense", "invalid subnet"), ("8.8.8.0/24", "not a private"),
    ("fd00::/64", "not IPv4"),
])
def test_bad_subnets_are_refused(subnet, msg):
    with pytest.raises(ValueError, match=msg):
        plan.make_plan("lab", 1, subnet)


@pytest.mark.parametrize("name", ["", "Lab", "lab_1", "-lab", "lab-", "a" * 33, "1lab"])
def test_bad_names_are_refused(name):
    with pytest.raises(ValueError, match="invalid lab name"):
        plan.make_plan(name, 1, "10.9.0.0/24")


@pytest.mark.parametrize("kwargs,msg", [({"nodes": 0}, "node count"), ({"disks": 9}, "disk count"),
                                        ({"disk_size": "2T"}, "disk size")])
def test_bad_counts_and_sizes_are_refused(kwargs, msg):
    args = {"lab": "lab", "nodes": 1, "subnet": "10.9.0.0/24", **kwargs}
    with pytest.raises(ValueError, match=msg):
        plan.make_plan(**args)


def test_collision_with_a_host_route_names_the_route():
    host = {"192.168.1.0/24": "route via eth0", "10.0.0.0/8": "route via vpn0"}
    with pytest.raises(ValueError, match=r"collides with 10\.0\.0\.0/8 \(route via vpn0\)"):
        plan.check_collisions(plan.parse_subnet("10.213.0.0/24"), host)


def test_own_network_and_default_route_are_not_collisions():
    host = {"0.0.0.0/0": "default", "10.213.0.0/24": "route via podman1", "10.213.0.1/32": "address on podman1"}
    plan.check_collisions(plan.parse_subnet("10.213.0.0/24"), host, own={"10.213.0.0/24"})


def test_free_subnet_skips_taken_ranges():
    assert plan.pick_free_subnet(["10.214.0.0/24", "10.214.1.5/32"]) == "10.214.2.0/24"


def test_normalised_names_are_valid_lab_names():
    assert plan.normalise_name("mol-Lab_Smoke") == "mol-lab-smoke"
    assert len(plan.normalise_name("x" * 80)) <= 32


def test_cli_reports_bad_input_without_a_traceback(capsys):
    assert main(["plan", "--nodes", "300"]) == 2
    assert "300 nodes do not fit in 10.213.0.0/24" in capsys.readouterr().err
    assert main(["plan", "--nodes", "three"]) == 2
    assert "expected a whole number" in capsys.readouterr().err
