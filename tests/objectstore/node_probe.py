# Run on a control-plane node (ansible.builtin.script with executable=python3): proves from inside the cluster's network that the object
# store's internal ports refuse what they must. Prints one line per check; exits 1 if a port answers otherwise.
import json
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

NS = "metalstore-objectstore"
pods = json.loads(subprocess.run(
    ["kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "-n", NS, "get", "pods", "-o", "json"],
    check=True, capture_output=True, text=True).stdout)["items"]
ip = {}
for p in pods:
    comp = p["metadata"]["labels"].get("app.kubernetes.io/component")
    if p["status"].get("podIP") and comp not in ip:
        ip[comp] = p["status"]["podIP"]
bad = 0


def grpc_without_client_cert(host, port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    try:
        with ctx.wrap_socket(socket.create_connection((host, port), timeout=5)) as s:
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            s.recv(16)
        return "answered without a client certificate"
    except ssl.SSLError as e:
        return "refused without a client certificate" if "CERTIFICATE_REQUIRED" in str(e) else "TLS error %s" % e
    except OSError as e:
        return "error %s" % e


def http_status(url):
    try:
        return str(urllib.request.urlopen(url, timeout=5).status)
    except urllib.error.HTTPError as e:
        return str(e.code)
    except OSError as e:
        return "error %s" % e


checks = [("master grpc", grpc_without_client_cert(ip["master"], 19333), "refused without a client certificate"),
          ("filer grpc", grpc_without_client_cert(ip["filer"], 18888), "refused without a client certificate"),
          ("filer http", http_status("http://%s:8888/etc/iam/" % ip["filer"]), "401"),
          ("volume http", http_status("http://%s:8080/1,01637037d6" % ip["volume"]), "401")]
for name, got, want in checks:
    print("%s: %s" % (name, got))
    bad += got != want
raise SystemExit(1 if bad else 0)
