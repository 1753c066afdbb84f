#!/bin/sh
# Runs inside the debootstrapped root filesystem (chroot) to make it behave like a small bare-metal host
# under podman. Part of the image recipe: editing it triggers a rebuild.
set -eu

# minbase has no /etc/hosts; without localhost entries fact gathering stalls on DNS.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts
# Lab nodes are offline: an empty resolver config fails lookups at once instead of timing out.
printf '# Lab node: no DNS servers (offline). Names of lab nodes are in /etc/hosts.\n' > /etc/resolv.conf
rm -f /etc/hostname

# Each container gets its own identity at first boot.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id /etc/ssh/ssh_host_*

# Host keys are generated at boot (before sshd's config test, which needs them).
mkdir -p /etc/systemd/system/ssh.service.d
cat > /etc/systemd/system/ssh.service.d/lab-hostkeys.conf <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT
printf 'PasswordAuthentication no\nUseDNS no\n' > /etc/ssh/sshd_config.d/lab.conf
systemctl enable ssh.service

# podman bind-mounts /etc/hostname, /etc/hosts and /etc/resolv.conf. On a real host they are plain files,
# and roles that edit them (hostname module, lineinfile) fail with EBUSY on a bind mount. Early at boot,
# copy their content into regular files.
cat > /usr/local/sbin/lab-unbind-etc <<'SH'
#!/bin/sh
for f in /etc/hostname /etc/hosts /etc/resolv.conf; do
  if mountpoint -q "$f"; then
    content="$(cat "$f")"
    umount "$f" && printf '%s\n' "$content" > "$f"
  fi
done
SH
chmod 0755 /usr/local/sbin/lab-unbind-etc
cat > /etc/systemd/system/lab-unbind-etc.service <<'UNIT'
[Unit]
Description=Turn podman-managed /etc files into regular files
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target systemd-hostnamed.service ssh.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lab-unbind-etc

[Install]
WantedBy=sysinit.target
UNIT
systemctl enable lab-unbind-etc.service

# PID 1 of every node (image ENTRYPOINT): nodes run with a private cgroup namespace and podman's systemd mode off,
# so each node's systemd has a cgroup tree of its own and never touches other nodes' (docs/lab.md).
cat > /usr/local/sbin/lab-init <<'INIT'
#!/bin/sh
# PID 1 of a lab node (podman --systemd=false --cgroupns=private): give the node's systemd a cgroup tree of
# its own, like a host's, that it cannot use to touch other nodes' cgroups; then become systemd.
set -eu
cg=/sys/fs/cgroup
# Mount events inside the node must not propagate to the host (and from there to other nodes).
mount --make-rprivate "$cg"
# Controllers the kernel has but runc mounted no hierarchy for (the host does not mount them) would be mounted
# by systemd at the host's root, shared by every node: hide them from /proc/cgroups.
mounted="$(awk '$3 == "cgroup" {n = split($4, o, ","); for (i = 1; i <= n; i++) print o[i]}' /proc/self/mounts)"
awk -v m="$mounted" 'BEGIN {n = split(m, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1}
     /^#/ || ($1 in ok) {print}' /proc/cgroups > /run/lab-cgroups
mount --bind /run/lab-cgroups /proc/cgroups
# Nested runtimes (kubelet with cgroupRoot /kubelet, systemd's kubelet.slice) get cgroups systemd cannot remove:
# bind-mounting each onto itself makes it a mount point.
for d in "$cg"/*/; do
  d="${d%/}"
  case "$(stat -f -c %T "$d")" in cgroupfs) ;; *) continue ;; esac
  for sub in kubelet kubelet.slice; do
    mkdir -p "$d/$sub"
    if [ -f "$d/cpuset.cpus" ]; then
      cat "$d/cpuset.cpus" > "$d/$sub/cpuset.cpus"
      cat "$d/cpuset.mems" > "$d/$sub/cpuset.mems"
    fi
    mountpoint -q "$d/$sub" || mount --bind "$d/$sub" "$d/$sub"
  done
done
exec /sbin/init "$@"
INIT
chmod 0755 /usr/local/sbin/lab-init

# udev stand-in for data disks: nodes have no udev, and a loop device's partitions (losetup --partscan) appear only on
# the host. This creates /dev/vdXN for every partition of a /dev/vdX data disk (and removes vanished ones) within a
# second, as udev would on a host.
cat > /usr/local/sbin/lab-partitions <<'SH'
#!/bin/sh
while :; do
  for disk in /dev/vd[b-z]; do
    [ -b "$disk" ] || continue
    sys="/sys/dev/block/$(stat -c '%t:%T' "$disk" | awk -F: '{printf "%d:%d", "0x"$1, "0x"$2}')"
    for part in "$sys"/*/partition; do
      [ -f "$part" ] || continue
      n="$(cat "$part")"; dev="$(cat "$(dirname "$part")/dev")"
      want="$disk$n"; maj="${dev%:*}"; min="${dev#*:}"
      if ! [ -b "$want" ] || [ "$(stat -c '%t:%T' "$want")" != "$(printf '%x:%x' "$maj" "$min")" ]; then
        rm -f "$want"; mknod -m 0660 "$want" b "$maj" "$min"; chgrp disk "$want"
      fi
    done
    for node in "$disk"[0-9]*; do
      [ -b "$node" ] || continue
      [ -f "$sys/$(basename "$(readlink -f "$sys")")p${node#$disk}/partition" ] || rm -f "$node"
    done
  done
  sleep 1
done
SH
chmod 0755 /usr/local/sbin/lab-partitions
cat > /etc/systemd/system/lab-partitions.service <<'UNIT'
[Unit]
Description=Device nodes for the partitions of lab data disks (udev stand-in)

[Service]
ExecStart=/usr/local/sbin/lab-partitions
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
systemctl enable lab-partitions.service

# Units that make no sense in a container or add background noise/load to tests.
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  console-getty.service getty@tty1.service systemd-networkd-wait-online.service >/dev/null 2>&1 || true

# Keep the image small: no package caches, docs or man pages.
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* /usr/share/info/* \
  /var/log/*.log /var/log/apt/* /tmp/* /var/tmp/*
