# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plans the object store's topology from the site model and judges it before anything changes: a pure function
over what the role reads (inventory, the cluster's local volumes, an operator's certificate). Documentation lives
next to this file (``objectstore_plan.yml``)."""

from __future__ import annotations

import ipaddress
import re

REPLICATION_RE = re.compile(r"^[0-9]{3}$")


def _ip(text):
    try:
        return ipaddress.ip_address(str(text))
    except ValueError:
        return None


def _san_matches(san, name):
    """Does one subjectAltName entry (DNS:x / IP:x, as community.crypto prints them) cover name?"""
    kind, dummy, value = str(san).partition(":")
    if _ip(name) is not None:
        return kind.upper() in ("IP", "IP ADDRESS") and _ip(value) == _ip(name)
    if kind.upper() != "DNS":
        return False
    value, name = value.lower().rstrip("."), name.lower().rstrip(".")
    if value.startswith("*."):
        return "." in name and name.split(".", 1)[1] == value[2:]
    return value == name


def _free_volumes(volumes, cls, namespace, claim_prefix):
    """(node -> number of local volumes of a StorageClass that no claim holds or that this object store's claims
    hold, node -> the others as 'name (phase, claim)' for the error message).

    Free means no claimRef, not phase Available: a volume made moments ago (cluster.yml just before) stays Pending
    until the controller manager's first sync, which on a new single-node cluster can come after this read."""
    free, taken = {}, {}
    for pv in volumes:
        spec = pv.get("spec") or {}
        if spec.get("storageClassName") != cls:
            continue
        meta = pv.get("metadata") or {}
        node = (meta.get("labels") or {}).get("metalstore.io/node", "")
        claim = spec.get("claimRef") or {}
        phase = (pv.get("status") or {}).get("phase")
        own = claim.get("namespace") == namespace and str(claim.get("name") or "").startswith(claim_prefix)
        if own or (not claim and phase in (None, "Pending", "Available")):
            free[node] = free.get(node, 0) + 1
        else:
            holder = "%s/%s" % (claim.get("namespace"), claim.get("name")) if claim else "no claim"
            taken.setdefault(node, []).append("%s (%s, %s)" % (meta.get("name"), phase, holder))
    return free, taken


def _volumes_note(taken, node):
    return "; its volumes: %s" % ", ".join(taken[node]) if taken.get(node) else "; it has none of this class"


def objectstore_plan(config):
    """The derived topology and every problem, as {'replication', 'copies', 'masters', 'metadata_members',
    'volume_servers', 'problems'}.

    config: replication ('auto' or XYZ), storage (hosts of group storage), control_plane (hosts), data_disks
    (storage host -> number of data disks in the inventory), volumes (the cluster's local PersistentVolumes as
    the API returns them; None when the cluster was not read), data_class, system_class, namespace,
    system_volumes (volumes per control-plane node), cluster_nodes (names of the cluster's nodes; None when
    not read), filer_replicas, s3_replicas, endpoint_names (names and address the S3 certificate must cover),
    certificate_sans (the operator's certificate's subjectAltNames; None when the role issues it)."""
    problems = []
    storage = list(config.get("storage") or [])
    cps = list(config.get("control_plane") or [])
    nodes = config.get("cluster_nodes")
    if nodes is not None:
        missing = [h for h in cps + [s for s in storage if s not in cps] if h not in nodes]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            problems.append("[objectstore] %s %s in the inventory but not a node of the cluster: run playbooks/scale.yml "
                            "--limit for them, or take them out of the groups" % (", ".join(missing), verb))
    disks = config.get("data_disks") or {}
    with_disk = [h for h in storage if int(disks.get(h) or 0) > 0]
    for h in storage:
        if h not in with_disk:
            problems.append("[objectstore] %s is in group storage but has no data disk (prerequisites_data_disks): a "
                            "volume server needs one" % h)
    if not storage:
        problems.append("[objectstore] the storage group is empty: the object store needs at least one storage node "
                        "with a data disk")
    volumes = config.get("volumes")
    ns = config.get("namespace") or ""
    if volumes is not None:
        free, taken = _free_volumes(volumes, config.get("data_class"), ns, "data-seaweedfs-volume-")
        for h in with_disk:
            if int(free.get(h) or 0) < 1:
                problems.append("[objectstore] %s has no free data disk for a volume server (add a disk, or free one; "
                                "run playbooks/cluster.yml if the disk is new)%s" % (h, _volumes_note(taken, h)))
    code = str(config.get("replication") or "auto")
    if code == "auto":
        code = "001" if len(with_disk) >= 2 else "000"
    copies = 1
    if not REPLICATION_RE.match(code):
        problems.append("[objectstore] objectstore_replication %r is neither auto nor a SeaweedFS code XYZ (three "
                        "digits: copies in other data centres, other racks, other servers of the rack)" % code)
    else:
        dcs, racks, servers = (int(c) for c in code)
        copies = dcs + racks + servers + 1
        if dcs:
            problems.append("[objectstore] replication %s keeps copies in %d other data centre(s), but this site is one "
                            "data centre: use 00%d or fewer copies" % (code, dcs, min(copies - 1, 9)))
        if racks:
            problems.append("[objectstore] replication %s keeps copies in %d other rack(s), but every storage node is "
                            "in one rack here: use 00%d to keep them on other storage nodes" % (code, racks, min(copies - 1, 9)))
        if not dcs and not racks and servers + 1 > len(with_disk):
            problems.append("[objectstore] replication %s needs %d storage nodes with a data disk (one copy per node); "
                            "the site has %d: add storage nodes or lower the replication" % (code, servers + 1, len(with_disk)))
    masters = 3 if len(cps) >= 3 else 1
    if not cps:
        problems.append("[objectstore] the control_plane group is empty: the masters run on control-plane nodes")
    elif int(config.get("system_volumes") or 0) < 2:
        problems.append("[objectstore] kubernetes_storage_system_volumes is %s: each control-plane node needs 2 system "
                        "volumes (a master and a metadata store member)" % config.get("system_volumes"))
    if volumes is not None:
        free, taken = _free_volumes(volumes, config.get("system_class"), ns, "state-seaweedfs-")
        for h in cps[:masters]:
            if int(free.get(h) or 0) < 2:
                problems.append("[objectstore] %s lacks 2 free system volumes (run playbooks/cluster.yml first, or "
                                "free them)%s" % (h, _volumes_note(taken, h)))
    for key in ("filer_replicas", "s3_replicas"):
        if int(config.get(key) or 0) < 1:
            problems.append("[objectstore] objectstore_%s must be at least 1" % key)
    sans = config.get("certificate_sans")
    if sans is not None:
        missing = [n for n in config.get("endpoint_names") or [] if not any(_san_matches(s, n) for s in sans)]
        if missing:
            problems.append("[objectstore] the S3 certificate (objectstore_s3_certificate) does not name %s (it names "
                            "%s): clients would refuse it" % (", ".join(missing), ", ".join(sans) or "nothing"))
    return {"replication": code, "copies": copies, "masters": masters, "metadata_members": masters,
            "volume_servers": len(with_disk), "problems": problems}


class FilterModule(object):
    def filters(self):
        return {"objectstore_plan": objectstore_plan}
