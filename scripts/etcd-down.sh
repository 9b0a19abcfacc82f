#!/usr/bin/env bash
# etcd-down.sh — stops the members started by scripts/etcd-up.sh (by the pids in their pid files,
# only if that pid is an etcd) and deletes $MK_ETCD_DIR. `etcd-down.sh N` kills member mN only
# (SIGKILL, data kept: etcd-up.sh restarts it).
set -euo pipefail
DIR=${MK_ETCD_DIR:-/tmp/mk-etcd-local}
isetcd() { [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm")" = etcd ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }
if [ -n "${1:-}" ]; then
  p=$(cat "$DIR/m$1/pid"); isetcd "$p" && kill -KILL "$p"; echo "[etcd-down] m$1 killed"; exit 0
fi
for f in "$DIR"/m*/pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f")
  if isetcd "$p"; then
    kill -TERM "$p"
    for _ in $(seq 1 50); do isetcd "$p" || break; sleep 0.1; done
    isetcd "$p" && kill -KILL "$p" || true
  fi
done
rm -rf "$DIR"
echo "[etcd-down] done"
