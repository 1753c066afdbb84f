"""A TCP server on 127.0.0.1 that accepts every connection and never answers (a hung S3 endpoint).

  silent_server.py PORTFILE SECONDS    writes the port it listens on into PORTFILE, exits after SECONDS
"""
import socket
import sys
import time

portfile, seconds = sys.argv[1], float(sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))  # the kernel's choice, held from here on: no race with other processes
srv.listen(64)
srv.settimeout(0.5)
with open(portfile + ".tmp", "w", encoding="utf-8") as f:
    f.write(str(srv.getsockname()[1]))
import os  # noqa: E402  (after the bind on purpose: nothing before it may delay it)
os.replace(portfile + ".tmp", portfile)
held = []
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        held.append(srv.accept()[0])  # keep the connection open, send nothing
    except socket.timeout:
        pass
