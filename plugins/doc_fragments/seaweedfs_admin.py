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
    type: str
  seaweedfs_timeout:
    description:
      - Seconds to wait for one C(weed shell) session. The shell hangs when the master is unreachable,
        so it always runs under this timeout.
    type: int
    default: 30
"""
