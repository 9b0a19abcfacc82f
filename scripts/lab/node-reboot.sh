#!/usr/bin/env bash
# node-reboot.sh I — power lab node n<I> back on after node-kill.sh: restart its dockerd and sshd exactly as
# nodes-up.sh does, touching no other node (a node killed on purpose elsewhere stays down). As on a real host after
# a crash, its old containers are there but Exited (255) — except those with a restart policy (always,
# unless-stopped), which dockerd starts again. Bringing the rest back is mk's job. A node that is up is left alone.
set -euo pipefail

i=${1:?usage: node-reboot.sh I}
[[ "$i" =~ ^[0-9]+$ ]] || { echo "usage: node-reboot.sh I" >&2; exit 2; }
LAB=${MKLAB_DIR:-/tmp/mk-lab}
[ -d "$LAB/n$i" ] || { echo "node-reboot: n$i was never created (run nodes-up.sh first)" >&2; exit 1; }
t0=$EPOCHREALTIME
# The image is already in the node's data root; skip the save|load check to keep the reboot fast.
MKLAB_ONLY=$i MKLAB_NO_IMAGE=1 "$(dirname "$0")/nodes-up.sh" "$i" | sed 's/^\[nodes-up\]/[node-reboot]/'
echo "[node-reboot] n$i back in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}')s"
