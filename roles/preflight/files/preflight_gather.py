"""Read-only state gathering for the metalstore.platform.preflight role.

Usage: preflight_gather.py <base64 JSON request>. Prints one JSON document on stdout and changes nothing on the host.
The request names what to look at: {"paths": [...], "disks": [...], "kernel_modules": {name: [probe, ...]},
"controller_time": <epoch seconds>}. A probe is a path whose existence proves a built-in feature, or "fs:<name>" for a
filesystem listed in /proc/filesystems.
"""
import base64
import json
import os
import socket
import stat
import subprocess
import sys
import time


def run(cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return default


def mountinfo():
    """[(major:minor, mount point, fstype, source)] from /proc/self/mountinfo."""
    mounts = []
    for line in read("/proc/self/mountinfo").splitlines():
        left, dummy, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 2:
            continue
        target = fields[4].replace("\\040", " ")
        mounts.append((fields[2], target, rfields[0], rfields[1]))
    return mounts


def nearest_existing(path):
    path = os.path.abspath(path)
    while not os.path.exists(path) and path != "/":
        path = os.path.dirname(path)
    return path


def path_state(path, mounts):
    measured = nearest_existing(path)
    vfs = os.statvfs(measured)
    real = os.path.realpath(measured)
    fstype, best = "", -1
    for dummy, target, fst, dummy2 in mounts:
        if (real == target or real.startswith(target.rstrip("/") + "/")) and len(target) > best:
            fstype, best = fst, len(target)
    return {"measured": measured, "avail_mb": vfs.f_bavail * vfs.f_frsize // 1048576, "fstype": fstype}


def disk_state(device, mounts):
    state = {"exists": os.path.exists(device), "block": False, "signatures": {}, "mounted_at": []}
    if not state["exists"]:
        return state
    real = os.path.realpath(device)
    mode = os.stat(real)
    state["block"] = stat.S_ISBLK(mode.st_mode)
    state["realpath"] = real
    if not state["block"]:
        return state
    rc, out, err = run(["blkid", "-p", "-o", "export", real])
    if rc not in (0, 2) or err.strip():
        # Could not read the device: never report it as empty.
        state["probe_error"] = (err.strip() or "blkid exited with %d" % rc).splitlines()[0]
    if rc == 0:
        for line in out.splitlines():
            key, dummy, value = line.partition("=")
            if key in ("TYPE", "PTTYPE", "LABEL", "UUID", "PART_ENTRY_TYPE"):
                state["signatures"][key] = value
    # The disk itself and its partitions, by major:minor (works without udev and inside containers).
    ids = {"%d:%d" % (os.major(mode.st_rdev), os.minor(mode.st_rdev))}
    sysdir = "/sys/dev/block/%d:%d" % (os.major(mode.st_rdev), os.minor(mode.st_rdev))
    try:
        for child in os.listdir(sysdir):
            if os.path.exists(os.path.join(sysdir, child, "partition")):
                ids.add(read(os.path.join(sysdir, child, "dev")).strip())
                if not state["signatures"].get("PTTYPE"):
                    state["signatures"]["PTTYPE"] = "unknown"
    except OSError:
        pass
    state["mounted_at"] = sorted({m[1] for m in mounts if m[0] in ids})
    return state


def kernel_state(name, probes):
    module_support = os.path.exists("/proc/modules")
    mod = name.replace("-", "_")
    loaded = module_support and any(line.split(" ", 1)[0] == mod for line in read("/proc/modules").splitlines())
    release = os.uname().release
    builtin_list = read("/lib/modules/%s/modules.builtin" % release)
    builtin = any(line.rsplit("/", 1)[-1] in (name + ".ko", mod + ".ko") for line in builtin_list.splitlines())
    builtin = builtin or (not loaded and os.path.isdir("/sys/module/" + mod))
    filesystems = read("/proc/filesystems").split()
    probe = any((p[3:] in filesystems) if p.startswith("fs:") else os.path.exists(p) for p in probes)
    loadable = False
    if module_support and not (loaded or builtin or probe):
        loadable = run(["modprobe", "-n", "-q", name])[0] == 0
    return {"loaded": loaded, "builtin": builtin, "probe": probe, "loadable": loadable,
            "module_support": module_support}


def listening_sockets():
    """{"port/proto": [process names]} for listening TCP and bound UDP sockets, without needing ss."""
    inodes = {}
    for proto, files, listen_state in (("tcp", ("/proc/net/tcp", "/proc/net/tcp6"), "0A"),
                                       ("udp", ("/proc/net/udp", "/proc/net/udp6"), "07")):
        for path in files:
            for line in read(path).splitlines()[1:]:
                cols = line.split()
                if len(cols) < 10 or cols[3] != listen_state:
                    continue
                port = int(cols[1].rsplit(":", 1)[1], 16)
                inodes.setdefault(cols[9], set()).add("%d/%s" % (port, proto))
    owners = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        fd_dir = "/proc/%s/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        comm = None
        for fd in fds:
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                comm = comm or read("/proc/%s/comm" % pid).strip() or "pid " + pid
                for key in inodes[link[8:-1]]:
                    owners.setdefault(key, set()).add(comm)
    result = {key: sorted(names) for key, names in owners.items()}
    for keys in inodes.values():
        for key in keys:
            result.setdefault(key, ["unknown process"])
    return result


def time_state():
    rc, out, dummy = run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if rc == 0 and out.strip() in ("yes", "no"):
        if out.strip() == "yes":
            return True, "timedatectl"
    rc, out, dummy = run(["chronyc", "-n", "tracking"])
    if rc == 0:
        for line in out.splitlines():
            if line.startswith("Leap status"):
                status = line.split(":", 1)[1].strip()
                return status != "Not synchronised", "chrony: leap status " + status
    return False, "no synchronised time service (timedatectl/chronyc)"


def addresses():
    rc, out, dummy = run(["ip", "-j", "addr", "show"])
    if rc != 0:
        return None
    found = []
    for iface in json.loads(out or "[]"):
        found.extend(a.get("local") for a in iface.get("addr_info", []) if a.get("local"))
    return found


def routes():
    found = []
    for family in ("-4", "-6"):
        rc, out, dummy = run(["ip", "-j", family, "route", "show"])
        if rc == 0 and out.strip():
            found.extend({"dst": r.get("dst"), "dev": r.get("dev", "")} for r in json.loads(out))
    return found


def main():
    request = json.loads(base64.b64decode(sys.argv[1]).decode()) if len(sys.argv) > 1 else {}
    mounts = mountinfo()
    hostname = socket.gethostname()
    try:
        resolved = sorted({ai[4][0] for ai in socket.getaddrinfo(hostname, None)})
    except OSError:
        resolved = []
    status = read("/proc/self/status")
    capeff = next((line.split()[1] for line in status.splitlines() if line.startswith("CapEff:")), "0")
    synced, source = time_state()
    swap_kb = sum(int(line.split()[2]) for line in read("/proc/swaps").splitlines()[1:] if len(line.split()) > 2)
    result = {
        "hostname": hostname,
        "hostname_addresses": resolved,
        "paths": {p: path_state(p, mounts) for p in request.get("paths", [])},
        "disks": {d: disk_state(d, mounts) for d in request.get("disks", [])},
        "kernel": {n: kernel_state(n, probes or []) for n, probes in request.get("kernel_modules", {}).items()},
        "listening": listening_sockets(),
        "time_synchronized": synced,
        "time_source": source,
        "clock_skew_seconds": (time.time() - float(request["controller_time"])) if "controller_time" in request else None,
        "addresses": addresses(),
        "routes": routes(),
        "swap_mb": swap_kb // 1024,
        "capeff": capeff,
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
