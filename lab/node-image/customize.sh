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

# Units that make no sense in a container or add background noise/load to tests.
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  console-getty.service getty@tty1.service systemd-networkd-wait-online.service >/dev/null 2>&1 || true

# Keep the image small: no package caches, docs or man pages.
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* /usr/share/info/* \
  /var/log/*.log /var/log/apt/* /tmp/* /var/tmp/*
