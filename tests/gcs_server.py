"""fake-gcs-server (Go module github.com/fsouza/fake-gcs-server) on loopback, as the Google Cloud Storage cloud of the
location tests.

Built once with `go install` into the machine's cache (METALSTORE_CACHE, default /var/cache/metalstore; outside the
checkout), keyed on its version and the Go toolchain's; modules come through the Go module proxy into the cache the
bundle build shares. It speaks GCS's JSON API over http on 127.0.0.1; the engine reaches it through
STORAGE_EMULATOR_HOST (its gcs client has no endpoint setting), and so do the collection's modules.

Beside it runs the one piece of Google that fake-gcs-server does not emulate: the OAuth token endpoint that
service account keys name as their token_uri (the engine's GCS client and the modules exchange a JWT signed with the
key for a token there). It checks the assertion as Google does - an RS256 signature by a key it knows, issued for
this endpoint, not expired - so a key it does not know is refused (HTTP 400 invalid_grant); each answer is a line
of WORKDIR/grants.log ("granted|refused EMAIL CLIENT_IP USER_AGENT", emptied by start: the engine's Go client and
the modules' Python client tell apart). It makes three keys in WORKDIR: two it knows (credentials,
credentials_rotated) and one it does not (credentials_unknown).

  gcs_server.py start WORKDIR   -> prints the JSON of WORKDIR/gcs.json (endpoint, emulator_host, project,
                                   token_uri, and the three keys' paths)
  gcs_server.py stop WORKDIR
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs

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


def _unb64(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def make_keys(workdir, token_uri):
    """Three service account keys (credentials, credentials_rotated: known to the token endpoint;
    credentials_unknown: not), written 0600 into workdir; returns name -> path."""
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import rsa  # pylint: disable=import-outside-toplevel
    paths, known = {}, {}
    for name in ("credentials", "credentials_rotated", "credentials_unknown"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        email = "%s@%s.iam.gserviceaccount.com" % (name.replace("_", "-"), PROJECT)
        key = {"type": "service_account", "project_id": PROJECT, "private_key_id": os.urandom(20).hex(), "client_email": email,
               "client_id": "1", "token_uri": token_uri,
               "private_key": private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()).decode()}
        paths[name] = os.path.join(workdir, name + ".json")
        with open(os.open(paths[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
            json.dump(key, f)
        if name != "credentials_unknown":
            known[email] = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with open(os.path.join(workdir, "token-keys.json"), "w", encoding="utf-8") as f:
        json.dump({"token_uri": token_uri, "keys": known}, f)
    return paths


def serve_tokens(workdir, ip, port):
    """The token endpoint (runs until killed): POST /token with grant_type jwt-bearer and the signed assertion."""
    from cryptography.exceptions import InvalidSignature  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import padding  # pylint: disable=import-outside-toplevel
    with open(os.path.join(workdir, "token-keys.json"), encoding="utf-8") as f:
        conf = json.load(f)
    keys = {e: serialization.load_pem_public_key(k.encode()) for e, k in conf["keys"].items()}

    def judge(form):
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return "unsupported_grant_type"
        try:
            header, claims, signature = form["assertion"][0].split(".")
            body = json.loads(_unb64(claims))
            keys[body["iss"]].verify(_unb64(signature), ("%s.%s" % (header, claims)).encode(),
                                     padding.PKCS1v15(), hashes.SHA256())
        except (KeyError, ValueError, InvalidSignature):
            return "invalid_grant"
        if body.get("aud") != conf["token_uri"] or not body.get("iat", 0) - 300 <= time.time() < body.get("exp", 0):
            return "invalid_grant"
        return None

    def issuer(form):
        try:
            return json.loads(_unb64(form["assertion"][0].split(".")[1]))["iss"]
        except (KeyError, ValueError, IndexError):
            return "-"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # pylint: disable=invalid-name
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            error = judge(form) if self.path == "/token" else "not_found"
            with open(os.path.join(workdir, "grants.log"), "a", encoding="utf-8") as log:
                agent = (self.headers.get("User-Agent") or "-").split()[0]
                verdict = "refused" if error else "granted"
                log.write("%s %s %s %s\n" % (verdict, issuer(form), self.client_address[0], agent))
            answer = ({"error": error} if error else
                      {"access_token": "fake-" + base64.urlsafe_b64encode(os.urandom(12)).decode(),
                       "expires_in": 3600, "token_type": "Bearer"})
            data = json.dumps(answer).encode()
            self.send_response(400 if error else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # pylint: disable=arguments-differ
            return

    http.server.HTTPServer((ip, port), Handler).serve_forever()


def start(workdir, timeout=60, ip="127.0.0.1"):
    binary = installed()
    os.makedirs(workdir, exist_ok=True)
    ports, lock = free_ports(2)
    port, token_port = ports
    token_uri = "http://%s:%d/token" % (ip, token_port)
    keys = make_keys(workdir, token_uri)
    open(os.path.join(workdir, "grants.log"), "w", encoding="utf-8").close()
    endpoint = "http://%s:%d" % (ip, port)
    log = open(os.path.join(workdir, "gcs.log"), "wb")  # pylint: disable=consider-using-with
    # -public-host: the host the engine's reads go to (its media downloads use the XML-style path on that host).
    proc = subprocess.Popen([binary, "-scheme", "http", "-host", ip, "-port", str(port), "-backend", "memory",
                             "-public-host", "%s:%d" % (ip, port), "-external-url", endpoint, "-log-level", "warn"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(workdir, "gcs.pid"), "w", encoding="utf-8") as f:
        f.write(str(proc.pid))
    token_log = open(os.path.join(workdir, "token.log"), "wb")  # pylint: disable=consider-using-with
    tokens = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve-tokens", workdir, ip, str(token_port)],
                              stdout=token_log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(workdir, "token.pid"), "w", encoding="utf-8") as f:
        f.write(str(tokens.pid))
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            sys.exit("fake-gcs-server exited early (see %s/gcs.log)" % workdir)
        if tokens.poll() is not None:
            sys.exit("the token endpoint exited early (see %s/token.log)" % workdir)
        try:
            urllib.request.urlopen(endpoint + "/storage/v1/b?project=" + PROJECT, timeout=1)
            try:
                urllib.request.urlopen(token_uri, timeout=1)
            except urllib.error.HTTPError:
                pass  # it answers (501: only POST; not a grant, so not in grants.log)
            break
        except (urllib.error.URLError, OSError):
            if time.time() > deadline:
                stop(workdir)
                sys.exit("fake-gcs-server did not answer within %ds" % timeout)
            time.sleep(0.3)
    lock.close()  # it holds its port now
    info = dict(keys, endpoint=endpoint, emulator_host=endpoint, project=PROJECT, pid=proc.pid, token_uri=token_uri)
    return emulator_cli.save(workdir, "gcs", info)


def stop(workdir):
    stop_pidfile(os.path.join(workdir, "gcs.pid"))
    stop_pidfile(os.path.join(workdir, "token.pid"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve-tokens"] and len(sys.argv) == 5:
        serve_tokens(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        emulator_cli.main(__doc__, start, stop)
