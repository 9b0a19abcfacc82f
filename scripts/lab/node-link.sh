#!/usr/bin/env bash
# node-link.sh I down|up — unplug lab node n<I> from the network (its bridge-side veth goes down) or plug it back.
# A partition, not a crash: its daemons keep running. Packets to it vanish, so new SSH connects hang until the
# client's own timeout (ssh2 readyTimeout, 20 s by default) and open connections stall until keepalives notice.
set -euo pipefail

usage() { echo "usage: node-link.sh I down|up" >&2; exit 2; }
i=${1:-} state=${2:-}
[[ "$i" =~ ^[0-9]+$ ]] || usage
case "$state" in down | up) ;; *) usage ;; esac
[ "$(id -u)" = 0 ] || { echo "node-link: must run as root" >&2; exit 1; }
ip link show "mklab-v$i" >/dev/null 2>&1 || { echo "node-link: no veth mklab-v$i (is n$i up?)" >&2; exit 1; }
t0=$EPOCHREALTIME
ip link set "mklab-v$i" "$state"
echo "[node-link] n$i link $state in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')s"
