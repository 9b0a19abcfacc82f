#!/usr/bin/env bash
# setup.sh — make this machine ready to run mk on the local Docker engine (Debian, root). Idempotent.
#   1. apt-installs what is missing: docker.io and busybox-static (plus --extras for the test suite:
#      sshd, iproute2, iptables, etcd, prometheus, chromium), without letting apt start services;
#   2. starts dockerd in the background when `docker info` does not answer, waits a bounded time;
#   3. builds the base image mk.local/busybox:1 from busybox-static with `docker import`.
# Usage: scripts/setup.sh [--extras] [--no-apt]
# Env: MK_DOCKERD_WAIT (seconds, default 60), MK_IMAGE (default mk.local/busybox:1), MK_SETUP_APT=0 (same
#      as --no-apt: CI installs its distribution's packages itself, see .github/workflows/ci.yml).
set -euo pipefail

t0=$EPOCHREALTIME
el() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }
log() { echo "[setup] $*"; }

extras=0; apt=${MK_SETUP_APT:-1}
for a in "$@"; do
  case "$a" in
    --extras) extras=1 ;;
    --no-apt) apt=0 ;;
    *) echo "usage: $0 [--extras] [--no-apt]" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "setup.sh must run as root (it installs packages and starts dockerd)" >&2; exit 1; }

PKGS=(docker.io busybox-static)
[ "$extras" = 1 ] && PKGS+=(openssh-server openssh-client iproute2 iptables etcd-server etcd-client prometheus chromium asciinema)

if [ "$apt" = 1 ]; then
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    ta=$EPOCHREALTIME
    # Keep apt from starting services (sshd on :22, etcd on :2379, a second dockerd, prometheus on :9090).
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created_policy=1
    fi
    trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null | head -1)" ]; then
      apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    log "apt installed ${missing[*]} in $(el "$ta")s"
  fi
fi

command -v dockerd >/dev/null || { echo "dockerd not found: install docker.io (run without --no-apt)" >&2; exit 1; }

SOCK=unix:///var/run/docker.sock
if docker -H "$SOCK" info >/dev/null 2>&1; then
  log "dockerd answers on $SOCK"
else
  td=$EPOCHREALTIME
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
  if alive "$pid" && grep -q dockerd "/proc/$pid/comm" 2>/dev/null; then
    log "dockerd pid $pid exists but does not answer yet; waiting"
  else
    # A dockerd killed hard leaves a stale containerd pid file that makes the next one wait ~10 s.
    stale=$(cat /var/run/docker/containerd/containerd.pid 2>/dev/null || true)
    if [ -n "$stale" ] && ! alive "$stale"; then rm -f /var/run/docker/containerd/containerd.pid; fi
    mkdir -p /var/log
    setsid dockerd --host "$SOCK" >>/var/log/mk-dockerd.log 2>&1 </dev/null &
    pid=$!
    log "started dockerd pid $pid (log /var/log/mk-dockerd.log)"
  fi
  wait_s=${MK_DOCKERD_WAIT:-60}
  until docker -H "$SOCK" info >/dev/null 2>&1; do
    if ! alive "$pid"; then
      echo "dockerd (pid $pid) exited; last log lines:" >&2; tail -5 /var/log/mk-dockerd.log >&2; exit 1
    fi
    if awk -v a="$td" -v b="$EPOCHREALTIME" -v w="$wait_s" 'BEGIN{exit !(b-a>w)}'; then
      echo "dockerd did not answer within ${wait_s}s; see /var/log/mk-dockerd.log" >&2; exit 1
    fi
    sleep 0.2
  done
  log "dockerd answered after $(el "$td")s"
fi

"$(dirname "$0")/base-image.sh"
log "ready in $(el "$t0")s"
