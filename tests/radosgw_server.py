# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start and stop a real single-node Ceph RADOS Gateway (Debian 12's radosgw 16.2, pacific) for tests.

One mon, one memstore osd, pool size 1, no mgr, no cephx; every daemon on 127.0.0.1 with ports picked free; all
state, logs, pid files and sockets under DIR, none in /etc/ceph or /var/lib/ceph. Identities: an admin key and a
read-only key: a user whose op-mask (read) refuses every write, with an IAM user policy (s3:Get*, s3:List*) that lets
it read the admin's buckets; ListBuckets still shows it only its own buckets, so none.

  python tests/radosgw_server.py start DIR [--config OUT.yml]   prints the endpoint; writes ansible-test's config
  python tests/radosgw_server.py stop DIR
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portpick import free_ports  # noqa: E402  pylint: disable=wrong-import-position

PACKAGES = ("ceph-common", "ceph-mon", "ceph-osd", "radosgw")
ADMIN = ("MSADMINKEY0000000001", "ms-admin-secret-for-tests-only-0001")
READONLY = ("MSREADONLYKEY0000001", "ms-readonly-secret-for-tests-only-01")
READ_POLICY = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}
STATE = ("mon", "osd", "rgw", "run", "log", "crash")
ORDER = ("client.rgw", "osd.0", "mon.a")  # stop order
CONF = """[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{mon}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = {d}/keyring
run dir = {d}/run
pid file = {d}/run/$name.pid
log file = {d}/log/$name.log
crash dir = {d}/crash
mon data = {d}/mon
mon cluster log file = {d}/log/cluster.log
# every osdmap change waits this long (1 s by default); creating radosgw's pools makes about ten
paxos propose interval = 0.1
osd data = {d}/osd
osd objectstore = memstore
osd pool default size = 1
osd pool default pg num = 8
rgw data = {d}/rgw
[osd]
ms bind port min = {osd_min}
ms bind port max = {osd_max}
[client.rgw]
# radosgw is a daemon of client type, whose default mon mode is "secure" only: impossible without cephx
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:{rgw}
rgw thread pool size = 32
# 3 lifecycle workers contend for shard locks and sleep(5) on each miss, uninterruptibly; between 00:00 and 06:00
# (rgw_lifecycle_work_time) they do that right after start, and radosgw then takes 5 to 15 s to stop
rgw lc max worker = 1
"""


def ensure_packages():
    status = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\n", *PACKAGES], capture_output=True,
                            text=True, check=False).stdout.splitlines()
    missing = sorted(set(PACKAGES) - {line.split()[0] for line in status if line.endswith(" install ok installed")})
    if missing:
        sys.exit("radosgw_server: Debian packages missing: %s (apt-get install --no-install-recommends %s)"
                 % (", ".join(missing), " ".join(missing)))


def asok(path, prefix):
    """One admin-socket command, answered as JSON (what `ceph daemon` does, without its start-up cost)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(json.dumps({"prefix": prefix}).encode() + b"\0")
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("admin socket closed early")
            data += chunk
        return json.loads(data[4:])


class Cluster:
    def __init__(self, workdir, timeout):
        self.dir, self.deadline, self.timeout = workdir, time.time() + timeout, timeout
        self.env = dict(os.environ, CEPH_CONF=os.path.join(workdir, "ceph.conf"))
        self.pgid = None

    def fail(self, msg, daemon):
        lines = [f"radosgw_server: {msg}"]
        for name in (f"{daemon}.log", f"{daemon}.out"):
            with contextlib.suppress(OSError), open(os.path.join(self.dir, "log", name), errors="replace") as f:
                lines += [f"--- last lines of {self.dir}/log/{name}"] + f.read().splitlines()[-15:]
        stop(self.dir)
        sys.exit("\n".join(lines))

    def tool(self, daemon, *args):
        try:
            out = subprocess.run(args, env=self.env, capture_output=True, text=True, check=False,
                                 timeout=max(1, self.deadline - time.time()))
        except subprocess.TimeoutExpired:
            self.fail(f"{' '.join(args[:3])} did not finish within {self.timeout}s", daemon)
        if out.returncode:
            self.fail(f"{' '.join(args[:3])} failed ({out.returncode}): {out.stderr.strip()[-2000:]}", daemon)

    def spawn(self, daemon, *args):
        with open(os.path.join(self.dir, "log", f"{daemon}.out"), "wb") as log:
            # One process group for all daemons, in our session (a new session could not be joined by the next one).
            proc = subprocess.Popen([*args, "-f"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    env=self.env, process_group=self.pgid or 0)
        self.pgid = self.pgid or proc.pid
        for name, pid in (("ceph.pgid", self.pgid), (f"run/{daemon}.pid", proc.pid)):
            with open(os.path.join(self.dir, name), "w", encoding="utf-8") as f:
                f.write(str(pid))
        return proc

    def wait(self, daemon, proc, ready):
        while time.time() < self.deadline:
            if proc.poll() is not None:
                self.fail(f"{daemon} exited early with {proc.returncode}", daemon)
            with contextlib.suppress(OSError, ValueError, KeyError):
                if ready():
                    return
            time.sleep(0.2)
        self.fail(f"{daemon} not ready within {self.timeout}s", daemon)


def iam_call(endpoint, key, params):
    """One IAM API call (a form POST), signed with AWS Signature Version 4."""
    body = urllib.parse.urlencode(dict(params, Version="2010-05-08")).encode()
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    scope = f"{now[:8]}/us-east-1/iam/aws4_request"
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8",
               "host": urllib.parse.urlsplit(endpoint).netloc, "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
               "x-amz-date": now}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed,
                           headers["x-amz-content-sha256"]])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", now, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + key[1]).encode()
    for part in scope.split("/"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={key[0]}/{scope}, SignedHeaders={signed}, "
                                f"Signature={signature}")
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/", body, headers, method="POST"), timeout=10) as r:
        return r.read()


def s3_answers(endpoint):
    try:
        urllib.request.urlopen(f"{endpoint}/ms-probe-no-such-bucket", timeout=2)
    except urllib.error.HTTPError as e:
        return b"<Code>NoSuchBucket</Code>" in e.read()  # an S3 error document: the gateway is serving
    return False


def start(workdir, timeout=120):
    ensure_packages()
    workdir = os.path.abspath(workdir)
    if os.path.exists(os.path.join(workdir, "ceph.pgid")):
        sys.exit(f"radosgw_server: already started in {workdir}: stop it first")
    for sub in STATE:  # a fresh cluster every time
        shutil.rmtree(os.path.join(workdir, sub), ignore_errors=True)
        os.makedirs(os.path.join(workdir, sub))
    picked, lock = free_ports(6)
    picked.sort()  # the osd binds 4 in [picked[0], picked[3]]; others there are taken, or safe while we hold the lock
    ports, fsid = {"osd_min": picked[0], "osd_max": picked[3], "mon": picked[4], "rgw": picked[5]}, str(uuid.uuid4())
    with open(os.path.join(workdir, "ceph.conf"), "w", encoding="utf-8") as f:
        f.write(CONF.format(d=workdir, fsid=fsid, **ports))
    c, run, monmap = Cluster(workdir, timeout), os.path.join(workdir, "run"), os.path.join(workdir, "monmap")
    c.tool("mon.a", "monmaptool", "--create", "--clobber", "--fsid", fsid,
           "--addv", "a", f"[v2:127.0.0.1:{ports['mon']}]", monmap)
    c.tool("mon.a", "ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap)
    mon = c.spawn("mon.a", "ceph-mon", "-i", "a")
    c.wait("mon.a", mon, lambda: asok(f"{run}/ceph-mon.a.asok", "mon_status")["state"] == "leader")
    osd_uuid = str(uuid.uuid4())
    c.tool("mon.a", "ceph", "osd", "new", osd_uuid)
    c.tool("osd.0", "ceph-osd", "-i", "0", "--mkfs", "--osd-uuid", osd_uuid)
    osd = c.spawn("osd.0", "ceph-osd", "-i", "0")
    c.wait("osd.0", osd, lambda: asok(f"{run}/ceph-osd.0.asok", "status")["state"] == "active")
    c.tool("osd.0", "radosgw-admin", "user", "create", "--uid=msadmin", "--display-name=MetalStore admin",
           f"--access-key={ADMIN[0]}", f"--secret-key={ADMIN[1]}",
           "--caps=buckets=*;users=*;usage=*;metadata=*;user-policy=*")
    c.tool("osd.0", "radosgw-admin", "user", "create", "--uid=msreadonly", "--display-name=MetalStore read-only",
           f"--access-key={READONLY[0]}", f"--secret-key={READONLY[1]}", "--op-mask=read")
    rgw = c.spawn("client.rgw", "radosgw", "-n", "client.rgw")
    endpoint = f"http://127.0.0.1:{ports['rgw']}"
    c.wait("client.rgw", rgw, lambda: s3_answers(endpoint))
    lock.close()  # every daemon holds its ports now
    try:  # op-mask=read refuses every write; this policy lets the user read the admin's buckets too
        iam_call(endpoint, ADMIN, {"Action": "PutUserPolicy", "UserName": "msreadonly", "PolicyName": "read-only",
                                   "PolicyDocument": json.dumps(READ_POLICY)})
    except OSError as e:
        c.fail(f"PutUserPolicy failed: {e} {e.read()[:500] if hasattr(e, 'read') else ''!r}", "client.rgw")
    info = {"endpoint": endpoint, "mon": f"v2:127.0.0.1:{ports['mon']}", "conf": c.env["CEPH_CONF"],
            "admin": ADMIN, "readonly": READONLY, "pid": c.pgid}
    with open(os.path.join(workdir, "server.json"), "w", encoding="utf-8") as f:
        json.dump(info, f)
    return info


def members(pgid):
    """Live processes of group pgid. Zombies do not count: init here can take seconds to reap one."""
    live = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            state, dummy, pgrp = f.read().rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == pgid and state != "Z":
                live.add(int(pid))
    return live


def terminate(pgid, pids, sig, seconds=10):
    for pid in pids & members(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    for dummy in range(seconds * 10):
        if not pids & members(pgid):
            return
        time.sleep(0.1)


def stop(workdir):
    pgfile, run = os.path.join(workdir, "ceph.pgid"), os.path.join(workdir, "run")
    try:
        with open(pgfile, encoding="utf-8") as f:
            pgid = int(f.read())
    except (OSError, ValueError):
        return
    for daemon in ORDER:  # radosgw and the osd hang in shutdown if what they talk to is gone
        with contextlib.suppress(OSError, ValueError), open(os.path.join(run, f"{daemon}.pid"), encoding="utf-8") as f:
            terminate(pgid, {int(f.read())}, signal.SIGTERM)
    terminate(pgid, members(pgid), signal.SIGKILL)  # whatever is left of the group
    for name in os.listdir(run) if os.path.isdir(run) else []:
        if name.endswith((".pid", ".asok")):  # left behind by a fast shutdown or a SIGKILL
            os.unlink(os.path.join(run, name))
    with contextlib.suppress(FileNotFoundError):  # a concurrent stop
        os.unlink(pgfile)


def write_ansible_test_config(info, path):
    lines = ["s3_engine: radosgw", f"s3_endpoint: {info['endpoint']}", f"s3_access_key: {info['admin'][0]}",
             f"s3_secret_key: {info['admin'][1]}", f"s3_ro_access_key: {info['readonly'][0]}",
             f"s3_ro_secret_key: {info['readonly'][1]}"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n# Written by tests/radosgw_server.py for the current test run.\n" + "\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["start", "stop"])
    ap.add_argument("workdir")
    ap.add_argument("--config", help="write ansible-test's integration_config.yml here")
    a = ap.parse_args()
    if a.action == "start":
        info = start(a.workdir)
        if a.config:
            write_ansible_test_config(info, a.config)
        print(info["endpoint"])
    else:
        stop(a.workdir)


if __name__ == "__main__":
    main()
