#!/usr/bin/env bash
# etcd-up.sh — a 3-member etcd cluster (Debian etcd-server 3.4) on 127.0.0.1 for mk's HA mode:
# tests, benches and trying it out. Modelled on the lab's /work/shared/lab/etcd-up.sh.
# Members m1..m3; data, logs and pid files under $MK_ETCD_DIR (default /tmp/mk-etcd-local).
# Ports: MK_ETCD_CLIENT_PORTS / MK_ETCD_PEER_PORTS, comma-separated (default 12379,22379,32379 and
# 12380,22380,32380). Idempotent: members already running are left alone, a killed member is
# restarted with its data (--initial-cluster-state existing). Prints the client endpoints.
set -euo pipefail
DIR=${MK_ETCD_DIR:-/tmp/mk-etcd-local}
IFS=, read -r -a CP <<<"${MK_ETCD_CLIENT_PORTS:-12379,22379,32379}"
IFS=, read -r -a PP <<<"${MK_ETCD_PEER_PORTS:-12380,22380,32380}"
[ "${#CP[@]}" = 3 ] && [ "${#PP[@]}" = 3 ] || { echo "etcd-up: need 3 client and 3 peer ports" >&2; exit 2; }
t0=$EPOCHREALTIME
el() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }
alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]; }
command -v etcd >/dev/null || { echo "etcd missing: run 'bash scripts/setup.sh --extras' (apt-get install etcd-server etcd-client)" >&2; exit 1; }
cluster=""; eps=""
for i in 0 1 2; do
  cluster+="${cluster:+,}m$((i+1))=http://127.0.0.1:${PP[$i]}"
  eps+="${eps:+,}http://127.0.0.1:${CP[$i]}"
done
mkdir -p "$DIR"
for i in 0 1 2; do
  n=$((i+1)); d=$DIR/m$n
  alive "$(cat "$d/pid" 2>/dev/null || true)" && continue
  if ss -ltnH "( sport = :${CP[$i]} or sport = :${PP[$i]} )" | grep -q .; then
    echo "etcd-up: port ${CP[$i]} or ${PP[$i]} is taken" >&2; exit 1
  fi
  state=new; [ -d "$d/data/member" ] && state=existing
  mkdir -p "$d"
  setsid etcd --name "m$n" --data-dir "$d/data" \
    --listen-client-urls "http://127.0.0.1:${CP[$i]}" --advertise-client-urls "http://127.0.0.1:${CP[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${PP[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${PP[$i]}" \
    --initial-cluster "$cluster" --initial-cluster-token "mk-$(basename "$DIR")" --initial-cluster-state "$state" \
    --logger zap --log-outputs "$d/etcd.log" \
    >"$d/stdout.log" 2>&1 </dev/null &
  echo $! > "$d/pid"
done
# Healthy = a quorum answers (a member deliberately left dead by a test is not waited for).
healthy() { local h; h=$(ETCDCTL_API=3 etcdctl --endpoints "$eps" --command-timeout 2s endpoint health 2>&1 || true); [ "$(grep -c "is healthy" <<<"$h")" -ge 2 ]; }
until healthy; do
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{exit !(b-a>30)}' && { echo "etcd-up: not healthy in 30s" >&2; for f in "$DIR"/m*/etcd.log; do tail -n 3 "$f" >&2; done; exit 1; }
  sleep 0.1
done
echo "$eps" > "$DIR/endpoints"
echo "[etcd-up] healthy in $(el "$t0")s; endpoints $eps"
