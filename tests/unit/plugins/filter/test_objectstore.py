# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.metalstore.platform.plugins.filter.objectstore import objectstore_plan

HA = {"replication": "auto", "storage": ["n2", "n3", "n4"], "control_plane": ["n1", "n2", "n3"],
      "data_disks": {"n2": 1, "n3": 1, "n4": 1}, "system_volumes": 2, "filer_replicas": 2, "s3_replicas": 2}


def plan(**over):
    return objectstore_plan(dict(HA, **over))


def test_ha_site_keeps_one_extra_copy_on_three_masters():
    p = plan()
    assert (p["replication"], p["copies"], p["masters"], p["volume_servers"], p["problems"]) == ("001", 2, 3, 3, [])


def test_edge_site_keeps_one_copy_on_one_master():
    p = objectstore_plan({"replication": "auto", "storage": ["e1"], "control_plane": ["e1"], "data_disks": {"e1": 1},
                          "system_volumes": 2, "filer_replicas": 1, "s3_replicas": 1})
    assert (p["replication"], p["masters"], p["problems"]) == ("000", 1, [])


def test_racks_and_data_centres_the_site_does_not_have():
    assert "other rack" in plan(replication="010")["problems"][0]
    assert "other data centre" in plan(replication="100")["problems"][0]


def test_more_copies_than_storage_nodes():
    problems = plan(replication="003")["problems"]
    assert problems == ["[objectstore] replication 003 needs 4 storage nodes with a data disk (one copy per node); "
                        "the site has 3: add storage nodes or lower the replication"]


def test_malformed_code():
    assert "neither auto nor" in plan(replication="01")["problems"][0]


def pv(node, cls, phase, claim=None):
    return {"metadata": {"name": "%s-%s" % (node, cls), "labels": {"metalstore.io/node": node}}, "status": {"phase": phase},
            "spec": {"storageClassName": cls, "claimRef": {"namespace": "os", "name": claim} if claim else None}}


SYSTEM = [pv(n, "sys", "Available") for n in ("n1", "n2", "n3") for dummy in (0, 1)]
CLASSES = {"data_class": "data", "system_class": "sys", "namespace": "os"}


def test_storage_node_without_disk_and_without_a_free_disk_all_at_once():
    volumes = [pv("n2", "data", "Bound", "other-claim"), pv("n4", "data", "Bound", "data-seaweedfs-volume-0")] + SYSTEM
    problems = plan(data_disks={"n2": 1, "n3": 0, "n4": 1}, volumes=volumes, **CLASSES)["problems"]
    assert len(problems) == 2
    assert "n3 is in group storage but has no data disk" in problems[0]
    assert "n2 has no free data disk" in problems[1]


def test_system_volumes():
    assert "needs 2 system volumes" in plan(system_volumes=1)["problems"][0]
    volumes = [pv(n, "data", "Available") for n in ("n2", "n3", "n4")] + SYSTEM[:3] + [
        pv("n2", "sys", "Bound", "someone-else"), pv("n3", "sys", "Bound", "state-seaweedfs-master-2")] + SYSTEM[5:]
    assert plan(volumes=volumes, **CLASSES)["problems"] == [
        "[objectstore] n2 lacks 2 free system volumes (run playbooks/cluster.yml first, or free them); its volumes: "
        "n2-sys (Bound, os/someone-else)"]


def test_volumes_the_controller_has_not_synced_yet_are_free():
    # CI 2026-12-03: the edge cluster's volumes were read moments after cluster.yml made them, still Pending.
    fresh = [dict(pv(n, c, "Pending"), status={}) if i else pv(n, c, "Pending")
             for n in ("n1", "n2", "n3", "n4") for c in ("data", "sys") for i in (0, 1)]
    assert plan(volumes=fresh, **CLASSES)["problems"] == []
    released = [pv(n, c, "Released", "old-claim") if n == "n2" else v for v in fresh
                for n, c in [(v["metadata"]["labels"]["metalstore.io/node"], v["spec"]["storageClassName"])]]
    assert len(plan(volumes=released, **CLASSES)["problems"]) == 2


def test_operator_certificate_must_name_the_endpoint():
    ok = plan(endpoint_names=["10.0.0.10", "s3.example.com"], certificate_sans=["IP:10.0.0.10", "DNS:*.example.com"])
    assert ok["problems"] == []
    bad = plan(endpoint_names=["10.0.0.10", "s3.example.com"], certificate_sans=["DNS:other.example.org"])
    assert bad["problems"] == ["[objectstore] the S3 certificate (objectstore_s3_certificate) does not name 10.0.0.10, "
                               "s3.example.com (it names DNS:other.example.org): clients would refuse it"]


def test_wildcard_covers_one_label_only():
    assert plan(endpoint_names=["a.b.example.com"], certificate_sans=["DNS:*.example.com"])["problems"]


def test_inventory_nodes_outside_the_cluster():
    assert plan(cluster_nodes=["n1", "n2", "n3"])["problems"] == [
        "[objectstore] n4 is in the inventory but not a node of the cluster: run playbooks/scale.yml --limit for them, "
        "or take them out of the groups"]
