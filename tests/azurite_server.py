"""Azurite (npm, Microsoft's Azure Storage emulator) on loopback over HTTPS, as the Azure cloud of the location tests.

Installed once with npm into the machine's cache (METALSTORE_CACHE, default /var/cache/metalstore; outside the
checkout), telemetry off. Its certificate comes from a throwaway CA made here (SAN IP:127.0.0.1): SeaweedFS's azure
remote refuses http://, so the site's weed gets that CA (SSL_CERT_FILE) and the modules get it as ca_bundle.

  azurite_server.py start WORKDIR   -> prints the JSON of WORKDIR/azurite.json (endpoint, account, key, ca)
  azurite_server.py stop WORKDIR
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emulator_cli  # noqa: E402  pylint: disable=wrong-import-position
from portpick import free_ports  # noqa: E402  pylint: disable=wrong-import-position
from seaweedfs_server import stop_pidfile  # noqa: E402  pylint: disable=wrong-import-position

VERSION = "3.37.0"
# Azurite's one built-in account: its well-known development key (public, in Microsoft's documentation).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CACHE = os.path.join(os.environ.get("METALSTORE_CACHE", "/var/cache/metalstore"), "npm", "azurite-" + VERSION)


def installed():
    binary = os.path.join(CACHE, "node_modules", ".bin", "azurite-blob")
    if not os.access(binary, os.X_OK):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", CACHE, "azurite@" + VERSION],
                       check=True)
    return binary


def make_certificates(workdir):
    """A CA and a server certificate for 127.0.0.1, as PEM files; returns (ca, cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "metalstore test Azure CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(workdir, n) for n in ("ca.pem", "cert.pem", "key.pem")]
    for path, data in zip(paths, (ca.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.PEM),
                                  key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))):
        with open(path, "wb") as f:
            f.write(data)
    # A bundle of the system's CAs plus this one, for processes that take one file for every trust (weed).
    with open(os.path.join(workdir, "trust.pem"), "wb") as out:
        system = ssl.get_default_verify_paths().cafile
        if system and os.path.exists(system):
            with open(system, "rb") as f:
                out.write(f.read())
        out.write(ca.public_bytes(serialization.Encoding.PEM))
    return paths


def start(workdir, timeout=60):
    binary = installed()
    os.makedirs(os.path.join(workdir, "data"), exist_ok=True)
    ca, cert, key = make_certificates(workdir)
    ports, lock = free_ports(1)
    port = ports[0]
    log = open(os.path.join(workdir, "azurite.log"), "wb")  # pylint: disable=consider-using-with
    proc = subprocess.Popen([binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
                             os.path.join(workdir, "data"), "--cert", cert, "--key", key, "--skipApiVersionCheck",
                             "--disableTelemetry", "--disableProductStyleUrl"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(workdir, "azurite.pid"), "w", encoding="utf-8") as f:
        f.write(str(proc.pid))
    endpoint = "https://127.0.0.1:%d/%s/" % (port, ACCOUNT)
    context = ssl.create_default_context(cafile=ca)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("azurite exited early (see %s/azurite.log)" % workdir)
        try:
            urllib.request.urlopen(endpoint + "?comp=list", timeout=1, context=context)
        except urllib.error.HTTPError:
            break  # 403 for an unsigned request: it answers over TLS
        except OSError:
            time.sleep(0.3)
            continue
        break
    else:
        stop(workdir)
        sys.exit("Azurite did not answer within %ds" % timeout)
    lock.close()  # Azurite holds its port now
    info = {"endpoint": endpoint, "account": ACCOUNT, "key": KEY, "ca": ca,
            "trust": os.path.join(workdir, "trust.pem"), "pid": proc.pid}
    return emulator_cli.save(workdir, "azurite", info)


def stop(workdir):
    stop_pidfile(os.path.join(workdir, "azurite.pid"))


if __name__ == "__main__":
    emulator_cli.main(__doc__, start, stop)
