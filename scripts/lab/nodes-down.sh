#!/usr/bin/env bash
# nodes-down.sh — remove every lab node made by nodes-up.sh, and only lab things:
#   1. `docker rm -f` of each node's containers (all nodes in parallel) so dockerd unmounts their layers;
#   2. SIGKILL, by pid, of whatever is left: processes in cgroup /mklab-n<i> (containers of a node whose dockerd
#      was already dead), the dockerd and sshd from their pid files, everything in netns mklab-n<i> (containerd,
#      shims, docker-proxy, ssh sessions). These are throwaway test hosts: no graceful stop, CI time is limited;
#   3. lazy unmount of anything still mounted under the lab dir, then netns, veths, bridge mklab0, the mk-lab
#      iptables rule and the lab dir (/tmp/mk-lab).
# Idempotent: running it with nothing up is a no-op.
set -euo pipefail

LAB=${MKLAB_DIR:-/tmp/mk-lab}
BR=mklab0
t0=$EPOCHREALTIME
el() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }
log() { echo "[nodes-down] $*"; }
# alive PID [COMM]: exists, not a zombie (PID 1 here reaps orphans only about once a second), and is COMM if given.
alive() {
  local p=${1:-} st
  [[ "$p" =~ ^[0-9]+$ ]] && [ -r "/proc/$p/stat" ] || return 1
  st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]
}
readpid() { cat "$1" 2>/dev/null || true; }
cgroup_pids() { grep -l ":/$1/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3 || true; }

[ "$(id -u)" = 0 ] || { echo "nodes-down: must run as root" >&2; exit 1; }

nodes=()
for D in "$LAB"/n[0-9]*; do [ -d "$D" ] && nodes+=("${D##*/n}"); done
for f in /run/netns/mklab-n*; do   # a netns whose dir is already gone (interrupted earlier teardown)
  [ -e "$f" ] || continue
  i=${f##*/mklab-n}
  [[ " ${nodes[*]} " == *" $i "* ]] || nodes+=("$i")
done

# 1. containers, every node at once. `timeout` bounds a hung daemon; whatever survives is killed in step 2.
jobs_=()
for i in "${nodes[@]}"; do
  S=unix://$LAB/n$i/docker.sock
  [ -S "$LAB/n$i/docker.sock" ] || continue
  (
    mapfile -t ids < <(timeout 5 docker -H "$S" ps -aq 2>/dev/null)
    [ ${#ids[@]} = 0 ] || timeout 20 docker -H "$S" rm -f "${ids[@]}" >/dev/null 2>&1 || true
  ) &
  jobs_+=($!)
done
for j in "${jobs_[@]}"; do wait "$j" || true; done
t1=$EPOCHREALTIME
log "containers removed after $(el "$t0")s"

# 2. SIGKILL by pid, then wait (bounded) until each is gone or a zombie.
victims=()
for i in "${nodes[@]}"; do
  D=$LAB/n$i name=mklab-n$i
  mapfile -t -O "${#victims[@]}" victims < <(cgroup_pids "$name")
  p=$(readpid "$D/dockerd.pid"); alive "$p" dockerd && victims+=("$p")
  p=$(readpid "$D/sshd.pid"); alive "$p" sshd && victims+=("$p")
  [ ! -e "/run/netns/$name" ] || mapfile -t -O "${#victims[@]}" victims < <(ip netns pids "$name" 2>/dev/null)
done
for p in "${victims[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
for _ in $(seq 100); do
  left=0
  for p in "${victims[@]}"; do alive "$p" && { left=1; break; }; done
  [ "$left" = 0 ] && break
  sleep 0.02
done
log "${#victims[@]} process(es) killed in $(el "$t1")s"

# 3. mounts a killed dockerd left behind (container layers, netns files), deepest first; lazy so nothing blocks.
awk -v L="$LAB/" 'index($2, L) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
  umount -l "$m" 2>/dev/null || true
done
for i in "${nodes[@]}"; do
  ip link del "mklab-v$i" 2>/dev/null || true   # deleting one end removes the pair
  ip netns del "mklab-n$i" 2>/dev/null || true
done
# veths whose netns was deleted by hand
for l in $(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -E '^mklab-v[0-9]+$' || true); do
  ip link del "$l" 2>/dev/null || true
done
if ip link show "$BR" >/dev/null 2>&1; then ip link del "$BR"; fi
while iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment mk-lab -j ACCEPT 2>/dev/null; do
  iptables -D FORWARD -i "$BR" -o "$BR" -m comment --comment mk-lab -j ACCEPT
done
rm -rf "$LAB"
log "${#nodes[@]} node(s) down in $(el "$t0")s"
