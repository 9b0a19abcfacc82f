#!/usr/bin/env bash
# nodes-up.sh N — bring up N fake Docker hosts ("lab nodes") on this machine for mk's multi-host tests.
# Idempotent: nodes that already run are left alone, missing or crashed ones are (re)started.
#
# Node i (1..N):
#   netns mklab-n<i>, veth mklab-v<i> on bridge mklab0 (10.231.0.1/24), address 10.231.0.(10+i), no default route;
#   its own dockerd: data root, exec root, socket, pidfile and key.json under /tmp/mk-lab/n<i>,
#     containers on 10.232.<i>.0/24 and in cgroup /mklab-n<i>, hostname mklab-n<i>;
#   its own sshd on <addr>:22 (lab key only) in a private mount namespace where /var/run/docker.sock is a bind
#     mount of the node's socket — so `ssh -L`/streamlocal forwarding to /var/run/docker.sock reaches THIS node's
#     daemon, exactly as on a real host.
# Writes /tmp/mk-lab/{nodes.txt,env.sh,ssh/id_ed25519,ssh/known_hosts,ssh/config,bin/ssh}.
#
# Env: MKLAB_DIR (default /tmp/mk-lab), MKLAB_SSHD_MAXSTARTUPS (sshd MaxStartups, default 10:30:100; raise it for
#      many concurrent handshakes), MKLAB_NO_IMAGE=1 (do not load mk.local/busybox:1), MKLAB_ONLY=i (touch only
#      node i; used by node-reboot.sh).
# Needs: root, a running host dockerd (scripts/setup.sh --extras), iproute2, iptables, openssh-server.
set -euo pipefail

N=${1:?usage: nodes-up.sh N}
if ! [[ "$N" =~ ^[0-9]+$ ]] || [ "$N" -lt 1 ] || [ "$N" -gt 50 ]; then echo "nodes-up: N must be 1..50" >&2; exit 2; fi
LAB=${MKLAB_DIR:-/tmp/mk-lab}
BR=mklab0 NET=10.231.0 IMAGE=mk.local/busybox:1
HOST_SOCK=unix:///var/run/docker.sock
MAXSTARTUPS=${MKLAB_SSHD_MAXSTARTUPS:-10:30:100}
t0=$EPOCHREALTIME
el() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }
log() { echo "[nodes-up] $*"; }
die() { echo "[nodes-up] ERROR: $*" >&2; exit 1; }
# alive PID [COMM]: the process exists, is not a zombie (PID 1 on this kind of box reaps orphans only about once a
# second, so a SIGKILLed daemon lingers as Z) and, if COMM is given, is that program (a stale pid file may point
# at a recycled pid that is not ours).
alive() {
  local p=${1:-} st
  [[ "$p" =~ ^[0-9]+$ ]] && [ -r "/proc/$p/stat" ] || return 1
  st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]
}
readpid() { cat "$1" 2>/dev/null || true; }

# ---------- preconditions ----------
[ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces and starts daemons)"
for c in ip nsenter unshare ss dockerd docker /usr/sbin/sshd ssh-keygen iptables; do
  command -v "$c" >/dev/null || die "missing $c; run scripts/setup.sh --extras"
done
# The host dockerd must already answer: we never start it here (setup.sh owns it), and the base image is copied
# from it into every node.
docker -H "$HOST_SOCK" info >/dev/null 2>&1 ||
  die "the host dockerd does not answer on $HOST_SOCK; run: sudo bash scripts/setup.sh --extras"
# A dockerd without --containerd attaches to a system containerd at /run/containerd if there is one; then every
# node would share the host's containerd (shims outside the node netns), and node-kill could not crash a node.
[ ! -S /run/containerd/containerd.sock ] ||
  die "a system containerd runs at /run/containerd/containerd.sock; the lab needs each dockerd to run its own"
if [ "${MKLAB_NO_IMAGE:-0}" != 1 ]; then
  host_img=$(docker -H "$HOST_SOCK" image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null) ||
    die "$IMAGE is not in the host dockerd; run scripts/base-image.sh (or set MKLAB_NO_IMAGE=1)"
fi

if [ -n "${MKLAB_ONLY:-}" ]; then
  if ! [[ "$MKLAB_ONLY" =~ ^[0-9]+$ ]] || [ "$MKLAB_ONLY" -lt 1 ] || [ "$MKLAB_ONLY" -gt "$N" ]; then die "MKLAB_ONLY must be 1..N"; fi
  nodes=("$MKLAB_ONLY")
else
  mapfile -t nodes < <(seq 1 "$N")
fi

mkdir -p "$LAB"/{ssh,bin}
# ---------- bridge in the root netns (refuse if someone else uses our ranges) ----------
if ! ip link show "$BR" >/dev/null 2>&1; then
  if ip -4 -o addr | grep -qE ' 10\.23[12]\.' || ip -4 route | grep -qE '^10\.23[12]\.'; then
    die "10.231.0.0/24 or 10.232.0.0/16 is already in use on this machine; refusing to add $BR"
  fi
  ip link add "$BR" type bridge
  ip addr add "$NET.1/24" dev "$BR"
  ip link set "$BR" up
fi
# The host dockerd loads br_netfilter and sets FORWARD policy DROP, so frames bridged between two nodes go through
# iptables FORWARD and are dropped (node-to-node traffic fails) unless we accept them. -C first keeps it idempotent.
if ! iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment mk-lab -j ACCEPT 2>/dev/null; then
  iptables -I FORWARD 1 -i "$BR" -o "$BR" -m comment --comment mk-lab -j ACCEPT
fi

# ---------- lab client key, ssh config and a wrapper (so nothing in ~/.ssh is touched) ----------
[ -f "$LAB/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C mk-lab -f "$LAB/ssh/id_ed25519"
cp "$LAB/ssh/id_ed25519.pub" "$LAB/ssh/authorized_keys"
cat >"$LAB/ssh/config" <<EOF
Host $NET.*
  User root
  IdentityFile $LAB/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $LAB/ssh/known_hosts
  StrictHostKeyChecking yes
  ConnectTimeout 5
  LogLevel ERROR
EOF
# The docker CLI runs the `ssh` on PATH for ssh:// hosts; env.sh puts this wrapper first.
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$LAB/ssh/config" >"$LAB/bin/ssh"
chmod 755 "$LAB/bin/ssh"
log "bridge, iptables rule and lab key ready after $(el "$t0")s"

# ---------- phase 1: netns + dockerd per node (all dockerds start in parallel) ----------
declare -A started=()
for i in "${nodes[@]}"; do
  name=mklab-n$i veth=mklab-v$i addr=$NET.$((10 + i)) D=$LAB/n$i
  mkdir -p "$D/data" "$D/exec"
  if [ ! -e "/run/netns/$name" ]; then
    ip link del "$veth" 2>/dev/null || true   # a half-made node from an interrupted run
    ip netns add "$name"
    ip link add "$veth" type veth peer name eth0 netns "$name"
    ip link set "$veth" master "$BR" up
    ip -n "$name" link set lo up
    ip -n "$name" addr add "$addr/24" dev eth0
    ip -n "$name" link set eth0 up   # no default route: a node reaches only 10.231.0.0/24, never the internet
  fi
  if ! alive "$(readpid "$D/dockerd.pid")" dockerd; then
    # key.json decides the engine ID; it can only be moved via the config file, and a shared one would give
    # every node the same ID.
    printf '{"deprecated-key-path": "%s/key.json"}\n' "$D" >"$D/daemon.json"
    # After a crash the old containerd.pid names a dead (or zombie) pid, and dockerd then waits for a containerd
    # that never answers ("timeout waiting for containerd to start"). Drop it.
    alive "$(readpid "$D/exec/containerd/containerd.pid")" containerd || rm -f "$D/exec/containerd/containerd.pid"
    # Likewise dockerd refuses to start while its old pid still has a /proc entry, and a zombie has one:
    # "pid file found, ensure docker is not running".
    rm -f "$D/dockerd.pid"
    # nsenter --net, NOT `ip netns exec`: the latter remounts /sys and dockerd then fails with
    # "Devices cgroup isn't mounted". unshare --uts gives the node its own hostname (= `docker info` Name).
    # shellcheck disable=SC2016 # $0/$@ belong to the inner sh
    setsid nsenter --net="/run/netns/$name" -- unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$name" \
      dockerd --config-file "$D/daemon.json" -H "unix://$D/docker.sock" \
      --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
      --bip "10.232.$i.1/24" --cgroup-parent "/$name" --log-level warn \
      >>"$D/dockerd.log" 2>&1 </dev/null &
    started[$i]=$!
  fi
  [ -f "$D/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$D/ssh_host_ed25519_key"
done

for i in "${!started[@]}"; do
  pid=${started[$i]} D=$LAB/n$i tw=$EPOCHREALTIME
  until docker -H "unix://$D/docker.sock" version -f '{{.Server.Version}}' >/dev/null 2>&1; do
    alive "$pid" || { tail -5 "$D/dockerd.log" >&2; die "dockerd of n$i exited (log $D/dockerd.log)"; }
    awk -v a="$tw" -v b="$EPOCHREALTIME" 'BEGIN{exit !(b-a>60)}' && die "dockerd of n$i: no answer within 60s"
    sleep 0.05
  done
  log "n$i dockerd pid $pid answers ($(el "$t0")s since start)"
done

# ---------- phase 2: sshd per node ----------
for i in "${nodes[@]}"; do
  name=mklab-n$i addr=$NET.$((10 + i)) D=$LAB/n$i
  cat >"$D/sshd_config.new" <<EOF
# lab node $name — written by scripts/lab/nodes-up.sh
ListenAddress $addr:22
HostKey $D/ssh_host_ed25519_key
PidFile $D/sshd.pid
PermitRootLogin prohibit-password
AuthorizedKeysFile $LAB/ssh/authorized_keys
# The key files live under /tmp (mode 1777), which StrictModes would reject.
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
AllowStreamLocalForwarding yes
MaxStartups $MAXSTARTUPS
Subsystem sftp internal-sftp
EOF
  restart=0
  cmp -s "$D/sshd_config.new" "$D/sshd_config" || restart=1   # e.g. a new MKLAB_SSHD_MAXSTARTUPS
  mv "$D/sshd_config.new" "$D/sshd_config"
  # The bind mount pins the socket inode: a dockerd started just now made a new socket, so an older sshd would
  # forward to a dead one.
  [ -z "${started[$i]:-}" ] || restart=1
  spid=$(readpid "$D/sshd.pid")
  if alive "$spid" sshd && [ "$restart" = 0 ]; then continue; fi
  if alive "$spid" sshd; then
    kill -TERM "$spid"   # the listener only; open sessions keep running
    for _ in $(seq 50); do alive "$spid" || break; sleep 0.02; done   # it must free :22 before the new one binds
    if alive "$spid"; then kill -KILL "$spid"; fi
  fi
  dpid=$(readpid "$D/dockerd.pid")
  alive "$dpid" dockerd || die "n$i: dockerd is not running, cannot start sshd"
  # Private mount namespace with a fresh tmpfs on /run (= /var/run): there /run/docker.sock is a bind mount of
  # this node's socket and /run/sshd is sshd's privilege-separation dir. Mounts stay private to sshd and its
  # sessions and vanish with them. --uts joins dockerd's UTS namespace so `ssh node hostname` says mklab-n<i>.
  # shellcheck disable=SC2016 # $0..$2 belong to the inner sh
  nsenter --net="/run/netns/$name" --uts="/proc/$dpid/ns/uts" -- unshare --mount --propagation private -- sh -c '
    set -e
    mount -t tmpfs -o mode=755 mklab-run /run
    mkdir -m 755 /run/sshd
    : > /run/docker.sock
    mount --bind "$0" /run/docker.sock
    exec /usr/sbin/sshd -f "$1" -E "$2"' "$D/docker.sock" "$D/sshd_config" "$D/sshd.log"
  # sshd daemonizes; wait (bounded) until the listener is up so callers can connect right away.
  tw=$EPOCHREALTIME
  until nsenter --net="/run/netns/$name" ss -Hltn "sport = :22" | grep -q .; do
    awk -v a="$tw" -v b="$EPOCHREALTIME" 'BEGIN{exit !(b-a>10)}' && die "sshd of n$i: not listening within 10s (log $D/sshd.log)"
    sleep 0.02
  done
done

# known_hosts is rebuilt from every node's host key (each node has its own key, so a client that verifies host
# keys can tell the nodes apart).
kh=$LAB/ssh/known_hosts.new
: >"$kh"
for D in "$LAB"/n[0-9]*; do
  [ -f "$D/ssh_host_ed25519_key.pub" ] || continue
  echo "$NET.$((10 + ${D##*/n})) $(cut -d' ' -f1,2 "$D/ssh_host_ed25519_key.pub")" >>"$kh"
done
mv "$kh" "$LAB/ssh/known_hosts"
log "sshd listening after $(el "$t0")s"

# ---------- phase 3: base image into each node, only where missing or different (in parallel) ----------
if [ "${MKLAB_NO_IMAGE:-0}" != 1 ]; then
  declare -A loads=()
  for i in "${nodes[@]}"; do
    S=unix://$LAB/n$i/docker.sock
    [ "$(docker -H "$S" image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null)" = "$host_img" ] && continue
    (docker -H "$HOST_SOCK" save "$IMAGE" | docker -H "$S" load -q >/dev/null) &
    loads[$i]=$!
  done
  for i in "${!loads[@]}"; do wait "${loads[$i]}" || die "loading $IMAGE into n$i failed"; done
  [ ${#loads[@]} = 0 ] || log "loaded $IMAGE into ${#loads[@]} node(s) after $(el "$t0")s"
fi

# ---------- inventory: every node that exists, not only the ones touched now ----------
: >"$LAB/nodes.txt.new"
for D in $(printf '%s\n' "$LAB"/n[0-9]* | sort -V); do
  i=${D##*/n}
  echo "mklab-n$i $NET.$((10 + i)) ssh://root@$NET.$((10 + i)) unix://$D/docker.sock" >>"$LAB/nodes.txt.new"
done
mv "$LAB/nodes.txt.new" "$LAB/nodes.txt"
cat >"$LAB/env.sh" <<EOF
# . $LAB/env.sh — lab variables; puts the lab ssh wrapper first on PATH so \`docker -H ssh://root@$NET.11 info\` works.
export MKLAB_DIR=$LAB
export MKLAB_NODES=$LAB/nodes.txt
export MKLAB_SSH_KEY=$LAB/ssh/id_ed25519
export MKLAB_KNOWN_HOSTS=$LAB/ssh/known_hosts
case ":\$PATH:" in *":$LAB/bin:"*) ;; *) export PATH=$LAB/bin:\$PATH ;; esac
EOF
log "$(wc -l <"$LAB/nodes.txt") node(s) ready in $(el "$t0")s (list: $LAB/nodes.txt; docker CLI: . $LAB/env.sh)"
