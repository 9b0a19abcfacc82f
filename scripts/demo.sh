#!/usr/bin/env bash
# demo.sh — the whole story in ~1 minute: a controller, two extra Docker hosts (network namespaces
# with their own dockerd and sshd, see scripts/lab), a PodSet spread over them, one host killed,
# the pods moving, the metrics changing; then everything is torn down.
# Record it, with a series of status-page screenshots of the same run (docs/img/demo-*.png):
#   MK_DEMO_SHOTS=docs/img asciinema rec --overwrite -c "bash scripts/demo.sh" docs/demo.cast
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh needs root (network namespaces)" >&2; exit 1; }

if [ -x dist/mk ]; then MK=(dist/mk); else MK=(node --import tsx src/main.ts); fi
mk() { "${MK[@]}" "$@"; }
say() { printf '\n\033[1;34m$ %s\033[0m\n' "$*"; sleep 0.6; }
run() { say "$*"; "$@"; }

work=$(mktemp -d /tmp/mk-demo.XXXXXX)
export MK_STATE=$work/state.db MK_KNOWN_HOSTS=/tmp/mk-lab/ssh/known_hosts
port=7079
server_pid=""
shots_pid=""
# shot NAME: a screenshot of the status page now, when MK_DEMO_SHOTS names a folder.
shot() { [ -z "$shots_pid" ] || echo "$1" >&3 2>/dev/null || { echo "status-shots stopped: see $work/shots.log" >&2; shots_pid=""; }; }
cleanup() {
  # "." ends status-shots: the lab daemons started below inherit fd 3, so EOF would never come.
  if [ -n "$shots_pid" ]; then echo . >&3 2>/dev/null || true; exec 3>&-; wait "$shots_pid" || true; fi
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  cluster=$(mk sql "select value from meta where key='cluster_id'" -o json --server "" 2>/dev/null | sed -n 's/.*"value": "\(.*\)".*/\1/p' || true)
  bash scripts/lab/nodes-down.sh >/dev/null 2>&1 || true
  [ -n "$cluster" ] && docker ps -aq --filter "label=mk.cluster=$cluster" | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bash scripts/setup.sh --no-apt >/dev/null
say "bash scripts/lab/nodes-up.sh 2     # two extra Docker hosts, reachable only over SSH"
bash scripts/lab/nodes-up.sh 2 | tail -1

say "mk server --no-local-node &"
mk server --listen 127.0.0.1:$port --no-local-node --log-format json >"$work/server.log" 2>&1 &
server_pid=$!
export MK_SERVER=http://127.0.0.1:$port
until curl -sf "$MK_SERVER/readyz" >/dev/null; do sleep 0.2; done
if [ -n "${MK_DEMO_SHOTS:-}" ]; then
  mkfifo "$work/shots"
  node --import tsx scripts/status-shots.ts "$MK_SERVER/" "$MK_DEMO_SHOTS" <"$work/shots" 2>"$work/shots.log" &
  shots_pid=$!
  exec 3>"$work/shots"
fi

run mk node add n1 --docker ssh://root@10.231.0.11 --identity /tmp/mk-lab/ssh/id_ed25519
run mk node add n2 --docker ssh://root@10.231.0.12 --identity /tmp/mk-lab/ssh/id_ed25519
sleep 1.5
run mk get nodes

cat >"$work/web.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 4
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: mk.local/busybox:1
          command: ["httpd", "-f", "-p", "80", "-h", "/www"]
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 }
YAML
say "cat web.yaml"; cat "$work/web.yaml"
run mk apply -f "$work/web.yaml"
sleep 2
run mk get pods -o wide
shot demo-1-running
say "curl -s \$MK_SERVER/metrics | grep -E '^mk_(pods_running|nodes)'"
curl -s "$MK_SERVER/metrics" | grep -E '^mk_(pods_running|nodes)'

say "bash scripts/lab/node-kill.sh 1     # n1 crashes: dockerd, containers, sshd all SIGKILLed"
t0=$(date +%s.%N)
bash scripts/lab/node-kill.sh 1 >/dev/null
shot demo-2-node-killed
until [ "$(mk get pods -o json | grep -c '"node": "n2"')" -ge 4 ] && [ "$(mk sql "select count(*) n from pods where node='n2' and phase='Running' and deletion_at is null" -o json | grep -o '[0-9]\+' | tail -1)" = 4 ]; do sleep 0.25; done
printf '\033[1;32mall 4 pods running on n2 after %.1f s\033[0m\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
shot demo-3-pods-moved
run mk get nodes
run mk get pods -o wide
run mk events --limit 8
say "curl -s \$MK_SERVER/metrics | grep -E '^mk_(pods_running|nodes)'"
curl -s "$MK_SERVER/metrics" | grep -E '^mk_(pods_running|nodes)'

say "bash scripts/lab/node-reboot.sh 1   # n1 comes back: its stale containers are fenced"
bash scripts/lab/node-reboot.sh 1 >/dev/null 2>&1
sleep 6
shot demo-4-node-back
run mk get pods -o wide
say "docker -H unix:///tmp/mk-lab/n1/docker.sock ps -a   # nothing left on n1"
docker -H unix:///tmp/mk-lab/n1/docker.sock ps -a
say "teardown"
