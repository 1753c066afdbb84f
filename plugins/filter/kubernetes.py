# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judges the Kubernetes layer's site model and the requested life-cycle step before anything changes: pure
functions over what the playbooks read (inventory, bundle manifest, the running cluster). Documentation for each
filter lives next to this file (``<filter>.yml``)."""

from __future__ import annotations

import re

from ansible_collections.metalstore.platform.plugins.filter.preflight import ip_in_networks

VERSION_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


def _version(text):
    m = VERSION_RE.match(str(text or ""))
    return tuple(int(x) for x in m.groups()) if m else None


def kubernetes_cluster_problems(config):
    """Every problem of the requested step, as one list of '[topic] message' strings.

    config: control_plane (hosts), api_vip, node_networks, vip_answers (the VIP answered before any cluster
    exists), version (requested), bundle_versions, running_version ('' when no cluster exists yet), operation
    (cluster, scale, upgrade, remove_node), play_hosts (hosts of the run, after --limit), needed_hosts (hosts the
    step needs besides the targets), new_nodes (hosts of the run that have not joined), remove (hosts to remove),
    etcd_members (current count), cluster_nodes (names of the running cluster's nodes; None when not read),
    node_versions (node -> kubelet version), bound_volumes (node -> local volumes in use), first_control_plane,
    unreachable (hosts to remove that the run does not reach: dead hardware), ready_nodes (nodes the API calls Ready;
    None when not read)."""
    problems = []
    cps = list(config.get("control_plane") or [])
    vip = config.get("api_vip") or ""
    op = config.get("operation") or "cluster"
    if not cps:
        problems.append("[control plane] the control_plane group is empty: the cluster needs at least one node")
    elif vip and len(cps) % 2 == 0:
        problems.append("[control plane] %d control-plane nodes with an HA endpoint (metalstore_api_vip): etcd needs an odd "
                        "number (3 or 5) for a quorum that survives a failure; %d tolerates no more failures than %d"
                        % (len(cps), len(cps), len(cps) - 1))
    elif vip and len(cps) == 1:
        problems.append("[control plane] one control-plane node with an HA endpoint (metalstore_api_vip %s): HA needs 3 "
                        "(or 5); for a single node leave metalstore_api_vip empty" % vip)
    if vip:
        networks = config.get("node_networks") or []
        if not ip_in_networks(vip, networks):
            problems.append("[api endpoint] metalstore_api_vip %s is outside the node networks (%s): keepalived can only "
                            "hold an address of the nodes' own segment" % (vip, ", ".join(networks) or "none declared"))
        if config.get("vip_answers") and not config.get("running_version"):
            problems.append("[api endpoint] metalstore_api_vip %s already answers although no cluster exists: another host "
                            "holds it; choose a free address" % vip)

    version, bundle = config.get("version"), list(config.get("bundle_versions") or [])
    if version not in bundle:
        problems.append("[version] Kubernetes %s is not in the bundle (it carries %s)" % (version, ", ".join(bundle) or "none"))
    running = config.get("running_version") or ""
    want, have = _version(version), _version(running)
    if have and want and op != "upgrade" and want != have:
        problems.append("[version] the cluster runs %s, metalstore_kubernetes_version is %s: %s" % (
            running, version, "run playbooks/upgrade.yml to change it" if want > have else "downgrades are not supported"))
    if have and want and op == "upgrade":
        if want < have:
            problems.append("[upgrade] %s is older than the running %s: downgrades are not supported" % (version, running))
        elif want[:2] != have[:2] and (want[0] != have[0] or want[1] > have[1] + 1):
            problems.append("[upgrade] %s -> %s skips a minor release: upgrade one minor at a time (%d.%d first)" % (
                running, version, have[0], have[1] + 1))
    if op == "upgrade" and not have:
        problems.append("[upgrade] no running cluster found: install it with playbooks/cluster.yml")

    if op == "upgrade" and have and want and want > have:
        # kubelets may not be newer than the API server: the control plane goes first (upgrade.yml's order); a node
        # older than the running control plane's minor by more than 3 is outside the supported skew already.
        for node, kubelet in sorted((config.get("node_versions") or {}).items()):
            v = _version(kubelet)
            if v and (v[0] != have[0] or v[1] + 3 < have[1]):
                problems.append("[upgrade] node %s runs kubelet %s, outside the skew the control plane %s supports "
                                "(3 minor releases): upgrade it step by step first" % (node, kubelet, running))

    play_hosts = set(config.get("play_hosts") or [])
    needed = list(config.get("needed_hosts") or [])
    new_cps = [h for h in config.get("new_nodes") or [] if h in cps and h in play_hosts]
    if op == "scale" and new_cps:
        # Every control-plane node's haproxy backends and keepalived peers must learn a new control-plane node.
        needed += [h for h in cps if h not in needed]
    missing = [h for h in needed if h not in play_hosts]
    if missing:
        problems.append("[limit] this step needs %s, which --limit leaves out: add %s to --limit" % (
            ", ".join(missing), ",".join(missing)))

    if op == "remove_node":
        remove = list(config.get("remove") or [])
        cp_removed = [h for h in remove if h in cps]
        members = int(config.get("etcd_members") or len(cps))
        if cp_removed and members - len(cp_removed) < members // 2 + 1:
            problems.append("[etcd] removing %s leaves %d of %d etcd members: below the quorum of %d; remove one "
                            "control-plane node at a time and add its replacement first" % (
                                ", ".join(cp_removed), members - len(cp_removed), members, members // 2 + 1))
        if cp_removed and len(cp_removed) == len(cps):
            problems.append("[etcd] removing every control-plane node would destroy the cluster: use playbooks/reset.yml")
        if not remove:
            problems.append("[remove] name the nodes to remove: -e kubernetes_remove_nodes=NODE[,NODE]")
        cluster_nodes = config.get("cluster_nodes")
        unknown = [h for h in remove if cluster_nodes is not None and h not in cluster_nodes]
        if unknown:
            problems.append("[remove] %s is not a node of the cluster (it has %s)" % (
                ", ".join(unknown), ", ".join(cluster_nodes) or "none"))
        first = config.get("first_control_plane")
        if first in remove and len(cp_removed) < len(cps):
            problems.append("[remove] %s is the control-plane node the playbooks make join secrets and read credentials "
                            "on: name another for this run (-e kubernetes_control_plane_first=%s)" % (
                                first, next(h for h in cps if h not in remove)))
        unreachable = list(config.get("unreachable") or [])
        ready = config.get("ready_nodes")
        for h in unreachable:
            if h not in remove:
                problems.append("[remove] %s is named unreachable but not for removal" % h)
            elif ready is not None and h in ready:
                problems.append("[remove] %s is Ready: its kubelet still reports to the API, so it is not dead; remove "
                                "it without kubernetes_remove_unreachable (drained, reset, leaving etcd itself)" % h)
        bound = config.get("bound_volumes") or {}
        for h in remove:
            if bound.get(h):
                problems.append("[storage] %s holds local volumes in use: %s; their data exists only on that node: "
                                "move or delete those claims first" % (h, ", ".join(bound[h])))
    return problems


class FilterModule(object):
    def filters(self):
        return {"kubernetes_cluster_problems": kubernetes_cluster_problems}
