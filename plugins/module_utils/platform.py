# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the platform itself needs from every host, defined once: its ports and its kernel features.
preflight checks them, prerequisites provides them (kernel modules, firewall openings)."""

from __future__ import annotations

# Ports by inventory group. public: opened by the firewall to everyone (others only to trusted networks);
# owners: processes allowed to hold the port when preflight runs again on a prepared host; a range is opened by
# the firewall but not checked by preflight.
PORTS = (
    {"port": 6443, "proto": "tcp", "groups": ["control_plane"], "owners": ["kube-apiserver"], "public": True,
     "purpose": "Kubernetes API"},
    {"port": 2379, "proto": "tcp", "groups": ["control_plane"], "owners": ["etcd"], "public": False,
     "purpose": "etcd clients"},
    {"port": 2380, "proto": "tcp", "groups": ["control_plane"], "owners": ["etcd"], "public": False,
     "purpose": "etcd peers"},
    {"port": 10257, "proto": "tcp", "groups": ["control_plane"], "owners": ["kube-controller"], "public": False,
     "purpose": "controller manager"},
    {"port": 10259, "proto": "tcp", "groups": ["control_plane"], "owners": ["kube-scheduler"], "public": False,
     "purpose": "scheduler"},
    {"port": 10250, "proto": "tcp", "groups": [], "owners": ["kubelet"], "public": True, "purpose": "kubelet"},
    {"port": 10256, "proto": "tcp", "groups": [], "owners": ["kube-proxy"], "public": False, "purpose": "kube-proxy"},
    {"port": "30000-32767", "proto": "tcp", "groups": ["workers", "storage"], "owners": [], "public": True,
     "purpose": "NodePort services"},
    {"port": 8333, "proto": "tcp", "groups": ["storage"], "owners": ["weed"], "public": True, "purpose": "S3 API"},
    {"port": 5000, "proto": "tcp", "groups": ["bootstrap"], "owners": ["docker-registry"], "public": True,
     "purpose": "site registry"},
    {"port": 8443, "proto": "tcp", "groups": ["bootstrap"], "owners": ["nginx"], "public": True,
     "purpose": "artifact file server"},
)

# Kernel features: module name -> probes proving it is built in (a path, or "fs:<name>" for /proc/filesystems).
KERNEL_FEATURES = {
    "overlay": ["fs:overlay"],
    "br_netfilter": ["/proc/sys/net/bridge/bridge-nf-call-iptables"],
    "nf_conntrack": ["/proc/sys/net/netfilter/nf_conntrack_max"],
}


# The API endpoint (haproxy on every control-plane node, behind the VIP) listens on the site fact metalstore_api_port.
DEFAULT_API_PORT = 7443


def api_endpoint_port(port):
    return {"port": int(port), "proto": "tcp", "groups": ["control_plane"], "owners": ["haproxy"], "public": True,
            "purpose": "Kubernetes API endpoint (haproxy)"}


def ports_for(groups, public=None, api_port=DEFAULT_API_PORT):
    """The platform's ports a host in `groups` serves; public=True/False keeps only those the firewall opens /
    does not open to everyone. api_port: the site's API endpoint port (metalstore_api_port)."""
    groups = set(groups or [])
    ports = PORTS + (api_endpoint_port(api_port),)
    return [dict(p) for p in ports if (not p["groups"] or groups & set(p["groups"]))
            and (public is None or p["public"] == public)]
