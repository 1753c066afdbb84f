"""Ports for test servers that bind their own ports (weed, docker-registry, http.server), without racing anything.

A port the kernel hands out for an outgoing connection or a bind(0) always lies in its ephemeral range, so ports
picked below it cannot be taken between the check and the server's bind, except by another picker: every picker in
this repository takes the same machine-wide lock and holds it until its server listens.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys

PORT_LOCK = "/tmp/metalstore-test-ports.lock"


def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="utf-8") as f:
            low, high = (int(x) for x in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(n):
    """(n ports free on 127.0.0.1 below the ephemeral range, the lock): close the lock once the server listens."""
    lock = open(PORT_LOCK, "a", encoding="utf-8")  # pylint: disable=consider-using-with
    fcntl.flock(lock, fcntl.LOCK_EX)
    low = ephemeral_range()[0]
    start = 20000 + (os.getpid() * 37) % max(1, low - 20000 - 2000)
    ports = []
    for port in list(range(start, low)) + list(range(20000, start)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == n:
            return ports, lock
    lock.close()
    sys.exit(f"no {n} free ports between 20000 and {low}")
