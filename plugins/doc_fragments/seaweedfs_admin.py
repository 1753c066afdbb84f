# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # SeaweedFS has no S3 API for some settings (quota, remote storage): they go through `weed shell`.
    DOCUMENTATION = r"""
options:
  seaweedfs_master:
    description:
      - C(host:port) of the SeaweedFS master (C(host:port.grpcport) when its gRPC port is not port+10000),
        used for settings that SeaweedFS exposes only through its admin shell (C(weed shell)), not through S3.
      - Required only when such an option is set.
      - Falls back to E(METALSTORE_SEAWEEDFS_MASTER).
    type: str
  seaweedfs_weed_path:
    description:
      - Path or name of the C(weed) binary on the host the module runs on.
      - Falls back to E(METALSTORE_WEED), then C(weed) on E(PATH).
      - Not used with O(seaweedfs_pod).
    type: str
  seaweedfs_filer:
    description:
      - C(host:port) of the filer the admin shell works through (C(host:port.grpcport) when its gRPC port is not
        port+10000). Unset, the shell takes one the master lists, which for a while after a filer restart can be one
        that is gone; a Kubernetes Service name reaches only running filers.
    type: str
  seaweedfs_pod:
    description:
      - C(namespace/pod) of a SeaweedFS pod on Kubernetes to run the admin shell in, through the Kubernetes API's
        exec (its image's C(weed), its gRPC client certificate); O(seaweedfs_master) is then the master as the pod
        sees it, for example C(localhost:9333) in a master pod.
      - For the object store of the role C(metalstore.platform.objectstore), whose gRPC ports need the cluster's client
        certificate and are not reachable from outside the cluster.
      - Needs the Python C(kubernetes) client on the host the module runs on, and the right to create C(pods/exec).
      - Falls back to E(METALSTORE_SEAWEEDFS_POD).
    type: str
  seaweedfs_kubeconfig:
    description:
      - The kubeconfig used with O(seaweedfs_pod), its path or its content as a dictionary (as kubernetes.core
        takes it); the client's default (E(KUBECONFIG), C(~/.kube/config)) when unset.
      - Falls back to E(K8S_AUTH_KUBECONFIG), as kubernetes.core does.
    type: raw
  seaweedfs_timeout:
    description:
      - Seconds to wait for one C(weed shell) session. The shell hangs when the master is unreachable,
        so it always runs under this timeout.
    type: int
    default: 30
"""
