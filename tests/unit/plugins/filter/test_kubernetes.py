# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.metalstore.platform.plugins.filter.kubernetes import kubernetes_cluster_problems as judge

GOOD = {"control_plane": ["cp1", "cp2", "cp3"], "api_vip": "10.20.0.10", "node_networks": ["10.20.0.0/24"],
        "version": "v1.36.3", "bundle_versions": ["v1.36.1", "v1.36.3"], "running_version": "",
        "play_hosts": ["cp1", "cp2", "cp3", "w1"]}


def case(**kw):
    return judge(dict(GOOD, **kw))


def test_good_site_model_has_no_problem():
    assert case() == []
    assert case(control_plane=["cp1"], api_vip="") == []
    assert case(running_version="v1.36.3") == []


def test_every_problem_is_reported_at_once():
    problems = case(control_plane=["cp1", "cp2"], api_vip="10.9.9.9", version="v1.35.0")
    assert [p.split("]")[0] + "]" for p in problems] == ["[control plane]", "[api endpoint]", "[version]"]
    assert "etcd needs an odd number" in problems[0]
    assert "outside the node networks (10.20.0.0/24)" in problems[1]
    assert "not in the bundle (it carries v1.36.1, v1.36.3)" in problems[2]


def test_single_control_plane_with_a_vip_is_not_ha():
    assert "HA needs 3" in case(control_plane=["cp1"])[0]


def test_vip_answering_before_the_cluster_exists():
    assert "already answers" in case(vip_answers=True)[0]
    assert case(vip_answers=True, running_version="v1.36.3") == []


def test_version_changes_only_through_upgrade():
    assert "run playbooks/upgrade.yml" in case(running_version="v1.36.1")[0]
    assert "downgrades are not supported" in case(running_version="v1.37.2", bundle_versions=["v1.36.3"])[-1]
    assert case(operation="upgrade", running_version="v1.36.1") == []
    assert "downgrades" in case(operation="upgrade", running_version="v1.36.3", version="v1.36.1")[0]
    skip = case(operation="upgrade", running_version="v1.34.4", version="v1.36.3")
    assert skip == ["[upgrade] v1.34.4 -> v1.36.3 skips a minor release: upgrade one minor at a time (1.35 first)"]
    assert case(operation="upgrade", running_version="v1.35.4", version="v1.36.3") == []
    assert "no running cluster" in case(operation="upgrade")[0]


def test_limit_must_include_what_a_step_needs():
    problems = case(play_hosts=["w2"], needed_hosts=["cp1"])
    assert problems == ["[limit] this step needs cp1, which --limit leaves out: add cp1 to --limit"]


def test_removal_keeps_etcd_quorum():
    assert case(operation="remove_node", remove=["cp3"], etcd_members=3, running_version="v1.36.3") == []
    broken = case(operation="remove_node", remove=["cp2", "cp3"], etcd_members=3, running_version="v1.36.3")
    assert "leaves 1 of 3 etcd members: below the quorum of 2" in broken[0]
    assert "not a node of the cluster" in case(operation="remove_node", remove=["x9"], cluster_nodes=["cp1"],
                                               running_version="v1.36.3")[0]


def test_removal_needs_names_and_keeps_data_and_the_first_node():
    running = dict(operation="remove_node", running_version="v1.36.3", cluster_nodes=["cp1", "cp2", "cp3", "w1"])
    assert case(remove=[], **running) == ["[remove] name the nodes to remove: -e kubernetes_remove_nodes=NODE[,NODE]"]
    bound = case(remove=["w1"], bound_volumes={"w1": ["w1-disk1 (claim ns/data-0)"]}, **running)
    assert bound == ["[storage] w1 holds local volumes in use: w1-disk1 (claim ns/data-0); their data exists only on "
                     "that node: move or delete those claims first"]
    first = case(remove=["cp1"], first_control_plane="cp1", etcd_members=3, **running)
    assert len(first) == 1 and "-e kubernetes_control_plane_first=cp2" in first[0]
    assert case(remove=["cp3"], first_control_plane="cp1", etcd_members=3, **running) == []


def test_an_unreachable_node_is_removed_only_when_the_api_says_it_is_down():
    running = dict(operation="remove_node", running_version="v1.36.3", cluster_nodes=["cp1", "cp2", "cp3", "w1"],
                   first_control_plane="cp1", etcd_members=3)
    assert case(remove=["cp3"], unreachable=["cp3"], ready_nodes=["cp1", "cp2", "w1"], **running) == []
    alive = case(remove=["cp3"], unreachable=["cp3"], ready_nodes=["cp1", "cp2", "cp3", "w1"], **running)
    assert len(alive) == 1 and alive[0].startswith("[remove] cp3 is Ready: its kubelet still reports")
    assert case(remove=["w1"], unreachable=["cp3"], ready_nodes=["cp1"], **running) == [
        "[remove] cp3 is named unreachable but not for removal"]
    # A dead member still counts in etcd: two of three gone is below the quorum, dead or not.
    assert "below the quorum of 2" in case(remove=["cp2", "cp3"], unreachable=["cp2", "cp3"], ready_nodes=[],
                                           **running)[0]


def test_adding_a_control_plane_node_needs_every_control_plane_node():
    grow = dict(operation="scale", running_version="v1.36.3", new_nodes=["cp3"])
    assert case(play_hosts=["cp3"], **grow) == [
        "[limit] this step needs cp1, cp2, which --limit leaves out: add cp1,cp2 to --limit"]
    assert case(play_hosts=["cp1", "cp2", "cp3"], **grow) == []
    # A new worker needs nobody else in the run (the first control-plane node is reached by delegation).
    assert case(play_hosts=["w2"], operation="scale", running_version="v1.36.3", new_nodes=["w2"]) == []


def test_upgrade_skew():
    up = dict(operation="upgrade", running_version="v1.36.1")
    assert case(version="v1.36.3", node_versions={"cp1": "v1.36.1", "w1": "v1.35.2"}, **up) == []
    old = case(version="v1.36.3", node_versions={"w1": "v1.32.0"}, **up)
    assert len(old) == 1 and "node w1 runs kubelet v1.32.0, outside the skew" in old[0]
    assert "downgrades are not supported" in case(version="v1.36.1", operation="upgrade", running_version="v1.36.3")[0]
    assert "no running cluster" in case(operation="upgrade")[0]
