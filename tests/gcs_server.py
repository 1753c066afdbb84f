"""fake-gcs-server (Go module github.com/fsouza/fake-gcs-server) on loopback, as the Google Cloud Storage cloud of the
location tests.

Built once with `go install` into the machine's cache (METALSTORE_CACHE, default /var/cache/metalstore; outside the
checkout), keyed on its version and the Go toolchain's; modules come through the Go module proxy into the cache the
bundle build shares. It speaks GCS's JSON API over http on 127.0.0.1; the engine reaches it through
STORAGE_EMULATOR_HOST (its gcs client has no endpoint setting), and so do the collection's modules.

  gcs_server.py start WORKDIR   -> prints the JSON of WORKDIR/gcs.json (endpoint, emulator_host, project)
  gcs_server.py stop WORKDIR
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emulator_cli  # noqa: E402  pylint: disable=wrong-import-position
from portpick import free_ports  # noqa: E402  pylint: disable=wrong-import-position
from seaweedfs_server import stop_pidfile  # noqa: E402  pylint: disable=wrong-import-position

MODULE = "github.com/fsouza/fake-gcs-server"
VERSION = "v1.56.1"
PROJECT = "metalstore-test"
CACHE_ROOT = os.environ.get("METALSTORE_CACHE", "/var/cache/metalstore")


def go_version():
    out = subprocess.run(["go", "env", "GOVERSION"], check=True, capture_output=True, text=True).stdout.strip()
    return out or "unknown"


def installed():
    """The binary, built on first use (about 3 minutes on 2 cores)."""
    bindir = os.path.join(CACHE_ROOT, "go-tools", "fake-gcs-server-%s-%s" % (VERSION, go_version()))
    binary = os.path.join(bindir, "fake-gcs-server")
    if not os.access(binary, os.X_OK):
        os.makedirs(bindir, exist_ok=True)
        env = dict(os.environ, GOBIN=bindir, GOFLAGS="-trimpath", CGO_ENABLED="0",
                   GOMODCACHE=os.path.join(CACHE_ROOT, "go", "mod"), GOCACHE=os.path.join(CACHE_ROOT, "go", "build"),
                   GOTOOLCHAIN="local", GOTELEMETRY="off")
        print("building %s@%s (once per version, into %s)" % (MODULE, VERSION, bindir), file=sys.stderr)
        subprocess.run(["go", "install", "%s@%s" % (MODULE, VERSION)], check=True, env=env)
    return binary


def start(workdir, timeout=60, ip="127.0.0.1"):
    binary = installed()
    os.makedirs(workdir, exist_ok=True)
    ports, lock = free_ports(1)
    port = ports[0]
    endpoint = "http://%s:%d" % (ip, port)
    log = open(os.path.join(workdir, "gcs.log"), "wb")  # pylint: disable=consider-using-with
    # -public-host: the host the engine's reads go to (its media downloads use the XML-style path on that host).
    proc = subprocess.Popen([binary, "-scheme", "http", "-host", ip, "-port", str(port), "-backend", "memory",
                             "-public-host", "%s:%d" % (ip, port), "-external-url", endpoint, "-log-level", "warn"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(workdir, "gcs.pid"), "w", encoding="utf-8") as f:
        f.write(str(proc.pid))
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            sys.exit("fake-gcs-server exited early (see %s/gcs.log)" % workdir)
        try:
            urllib.request.urlopen(endpoint + "/storage/v1/b?project=" + PROJECT, timeout=1)
            break
        except (urllib.error.URLError, OSError):
            if time.time() > deadline:
                stop(workdir)
                sys.exit("fake-gcs-server did not answer within %ds" % timeout)
            time.sleep(0.3)
    lock.close()  # it holds its port now
    info = {"endpoint": endpoint, "emulator_host": endpoint, "project": PROJECT, "pid": proc.pid}
    return emulator_cli.save(workdir, "gcs", info)


def stop(workdir):
    stop_pidfile(os.path.join(workdir, "gcs.pid"))


if __name__ == "__main__":
    emulator_cli.main(__doc__, start, stop)
