#!/usr/bin/env bash
# node-kill.sh I — crash lab node n<I> the way a machine dies: everything gets SIGKILL at once, nothing is told.
# Killed, by pid: its containers (every one lives in cgroup /mklab-n<I>, because nodes-up sets --cgroup-parent; they
# sit in their own netns, so `ip netns pids` alone would miss them), its dockerd and sshd (pid files), and all that
# runs in netns mklab-n<I> (containerd, shims, docker-proxy, ssh sessions). The pid files, socket and containerd.pid
# stay behind, stale, as after a real crash; node-reboot.sh copes with them.
# The netns and veth stay: the "machine" is off, its cable still plugged in (connects get refused, not timeouts).
set -euo pipefail

i=${1:?usage: node-kill.sh I}
LAB=${MKLAB_DIR:-/tmp/mk-lab}
name=mklab-n$i D=$LAB/n$i
t0=$EPOCHREALTIME
el() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }
# alive PID [COMM]: exists, not a zombie (a killed process stays Z until PID 1 reaps it, ~1 s here: that is dead).
alive() {
  local p=${1:-} st
  [[ "$p" =~ ^[0-9]+$ ]] && [ -r "/proc/$p/stat" ] || return 1
  st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]
}
readpid() { cat "$1" 2>/dev/null || true; }

[ "$(id -u)" = 0 ] || { echo "node-kill: must run as root" >&2; exit 1; }
[ -d "$D" ] || { echo "node-kill: no lab node n$i under $LAB" >&2; exit 1; }

mapfile -t victims < <(grep -l ":/$name/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3)
p=$(readpid "$D/dockerd.pid"); if alive "$p" dockerd; then victims+=("$p"); fi
p=$(readpid "$D/sshd.pid"); if alive "$p" sshd; then victims+=("$p"); fi
[ ! -e "/run/netns/$name" ] || mapfile -t -O "${#victims[@]}" victims < <(ip netns pids "$name" 2>/dev/null)
live=()   # zombies of an earlier kill show up in /proc too; count and wait only for the living
for p in "${victims[@]}"; do if alive "$p"; then live+=("$p"); kill -KILL "$p" 2>/dev/null || true; fi; done
victims=("${live[@]}")

# Return only when all of them are dead (or zombies), so the caller's next probe sees a dead node.
for _ in $(seq 250); do
  left=()
  for p in "${victims[@]}"; do if alive "$p"; then left+=("$p"); fi; done
  [ ${#left[@]} = 0 ] && break
  sleep 0.02
done
[ ${#left[@]} = 0 ] || { echo "node-kill: still alive after 5s: ${left[*]}" >&2; exit 1; }
echo "[node-kill] n$i crashed: ${#victims[@]} process(es) SIGKILLed in $(el "$t0")s"
