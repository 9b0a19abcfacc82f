#!/bin/sh
# A demo node (compose.yaml, service node1/node2): its own dockerd and sshd, like a real host mk
# reaches over SSH. Docker-in-Docker without --privileged (refused on this machine kind): compose
# grants all capabilities but SYS_RESOURCE, unconfined seccomp/apparmor and every device; /sys and
# the cgroup mounts come read-only and are remounted read-write here; /var/lib/docker is a volume
# (overlay2 does not work on the container's own overlay root).
set -eu
: "${NODE_NAME:?NODE_NAME is not set}"
log() { echo "[node $NODE_NAME] $*"; }

mount -o remount,rw /sys 2>/dev/null || log "could not remount /sys read-write"
awk '$3 == "cgroup" || $3 == "cgroup2" || ($2 == "/sys/fs/cgroup" && $3 == "tmpfs") { print $2 }' /proc/mounts |
  while read -r m; do
    mount -o remount,rw,bind "$m" 2>/dev/null || mount -o remount,rw "$m" 2>/dev/null || log "could not remount $m read-write"
  done

# SSH: the host key and the controller's public key come from the demo's own key directory (read-only).
mkdir -p /run/sshd /root/.ssh /etc/ssh/demo
install -m 600 /demo/ssh/ssh_host_ed25519_key /etc/ssh/demo/ssh_host_ed25519_key
install -m 600 /demo/ssh/authorized_keys /root/.ssh/authorized_keys
cat > /etc/ssh/sshd_config.d/mk-demo.conf <<CONF
HostKey /etc/ssh/demo/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowStreamLocalForwarding yes
MaxSessions 100
MaxStartups 100
CONF

# A node container killed and started again keeps its old pid files: dockerd would wait for a dead containerd.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid /run/sshd.pid
dockerd --host unix:///var/run/docker.sock --storage-driver overlay2 --bip "${NODE_BIP:-10.233.0.1/24}" \
  >/var/log/dockerd.log 2>&1 &
dockerd_pid=$!
i=0
until docker info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 300 ] || ! kill -0 "$dockerd_pid" 2>/dev/null; then
    log "dockerd did not start; its log:"; tail -20 /var/log/dockerd.log; exit 1
  fi
  sleep 0.1
done
log "dockerd ready ($(docker version --format '{{.Server.Version}}'), $(docker info --format '{{.Driver}}'))"

/usr/sbin/sshd -D -e &
sshd_pid=$!
log "sshd listening on :22"
# Either daemon dying ends the node, as a host whose engine dies would look to mk.
while kill -0 "$dockerd_pid" 2>/dev/null && kill -0 "$sshd_pid" 2>/dev/null; do sleep 1; done
log "a daemon exited"; exit 1
