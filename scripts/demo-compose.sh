#!/usr/bin/env bash
# demo-compose.sh — mk's one-command demo on Docker Compose, with no registry: a controller, two nodes
# reached over SSH, Prometheus (compose.yaml). Every image is built here:
#   base        a Debian root filesystem made by debootstrap from Debian's mirror (docker.io,
#               openssh-server, prometheus), `docker import`ed; the tarball is cached by content
#   controller  base + the single executable dist/mk (npm run build makes it when sources changed)
#   node        base + packaging/demo/node-entrypoint.sh (dockerd + sshd, Docker-in-Docker)
#   prometheus  base running Debian's prometheus binary
# Tags carry a hash of their inputs, so an unchanged input is never rebuilt.
#
# Usage: scripts/demo-compose.sh up|down|status [--keep-images]
#   up      build what is missing, start, add node1 and node2 over SSH (host keys pinned in
#           known_hosts), load the images the nodes need into them (docker save | docker load), apply
#           packaging/demo/demo.yaml (a Deployment of 4), print the status page URL
#   down    remove this demo's containers, network, volumes, keys and the image tags this demo's `up`
#           built (--keep-images keeps them for a faster next `up`); never anything else
#   status  the controller's view: mk get nodes, mk get pods -o wide
# Env: MK_DEMO_PORT (published controller port, default 7070), MK_DEMO_PROJECT (compose project, default
#      mkdemo: use another to run a second demo side by side), MK_DEMO_PROFILES (e.g. grafana),
#      MK_DEMO_CACHE (rootfs cache, default ~/.cache/mk/demo), MK_DEMO_MIRROR (Debian mirror),
#      MK_DEMO_WAIT (seconds to wait for pods, default 120), MK_DEMO_NODE_GRACE (the controller's
#      --node-grace, default mk's 4s; raise it on a starved machine where heartbeats arrive late).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

t0=$EPOCHREALTIME
el() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; }
log() { echo "[demo] $*" >&2; }
die() { echo "demo-compose.sh: $*" >&2; exit 1; }

cmd=${1:-}
shift || true
keep_images=0
for a in "$@"; do
  case "$a" in
    --keep-images) keep_images=1 ;;
    *) die "unknown argument $a (usage: up|down|status [--keep-images])" ;;
  esac
done

project=${MK_DEMO_PROJECT:-mkdemo}
[[ $project =~ ^[a-z0-9][a-z0-9_-]{0,40}$ ]] || die "MK_DEMO_PROJECT=$project: use lower-case letters, digits, - and _"
port=${MK_DEMO_PORT:-7070}
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "MK_DEMO_PORT=$port is not a port"
cache=${MK_DEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mk/demo}
dir=${TMPDIR:-/tmp}/mk-demo-$project
mirror=${MK_DEMO_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
pkgs=docker.io,openssh-server,prometheus,iproute2,iptables,procps,ca-certificates
image_used=mk.local/busybox:1
profiles=()
for p in ${MK_DEMO_PROFILES:-}; do profiles+=(--profile "$p"); done

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -p "$project" -f "$root/compose.yaml" "${profiles[@]}" "$@"
  else
    docker-compose -p "$project" -f "$root/compose.yaml" "${profiles[@]}" "$@"
  fi
}
hash_of() { sha256sum | cut -c1-12; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Root and apt: install a missing tool from Debian, as scripts/setup.sh does.
need() {
  local bin=$1 pkg=$2
  command -v "$bin" >/dev/null && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || die "$bin is missing: install $pkg"
  log "installing $pkg"
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}

# Image tags this project's `up` built (down removes exactly these; kept across `down --keep-images`).
made_list=$cache/images-made-$project
made() { mkdir -p "$cache"; echo "$1" >> "$made_list"; }

build_base() {
  local h tar tag work
  h=$(printf '%s\n' "rootfs v1" "$suite" "$mirror" "$pkgs" | hash_of)
  tag=mk-demo/base:$h
  tar=$cache/rootfs-$h.tar
  if ! have_image "$tag"; then
    if [ ! -f "$tar" ]; then
      need debootstrap debootstrap
      local tb=$EPOCHREALTIME
      work=$(mktemp -d /tmp/mk-demo-rootfs.XXXXXX)
      log "debootstrap $suite from $mirror with $pkgs (about a minute)"
      if ! debootstrap --variant=minbase --include="$pkgs" "$suite" "$work/root" "$mirror" > "$work/log" 2>&1; then
        tail -20 "$work/log" >&2; rm -rf "$work"; die "debootstrap failed (log above)"
      fi
      rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* "$work/root/etc/ssh/ssh_host_"*
      mkdir -p "$cache"
      tar -C "$work/root" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
      rm -rf "$work"
      log "root filesystem $(du -h "$tar" | cut -f1) in $(el "$tb")s, cached as $tar"
    fi
    local ti=$EPOCHREALTIME
    docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -m "mk demo base: Debian $suite + $pkgs" "$tar" "$tag" >/dev/null
    made "$tag"
    log "imported $tag in $(el "$ti")s"
  fi
  echo "$tag"
}

# build_derived NAME BASE DOCKERFILE [FILE...]: docker build with FILEs in the context.
build_derived() {
  local name=$1 base=$2 dockerfile=$3
  shift 3
  local h tag ctx
  h=$( { echo "$base"; echo "$dockerfile"; for f in "$@"; do sha256sum < "$f"; done; } | hash_of)
  tag=mk-demo/$name:$h
  if ! have_image "$tag"; then
    local tb=$EPOCHREALTIME
    ctx=$(mktemp -d /tmp/mk-demo-ctx.XXXXXX)
    for f in "$@"; do cp "$f" "$ctx/"; done
    printf '%s\n' "FROM $base" "$dockerfile" > "$ctx/Dockerfile"
    # The classic builder: Debian's dockerd 20.10 and no buildx needed.
    DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null 2>"$ctx/err" || { cat "$ctx/err" >&2; rm -rf "$ctx"; die "docker build of $tag failed"; }
    rm -rf "$ctx"
    made "$tag"
    log "built $tag in $(el "$tb")s"
  fi
  echo "$tag"
}

build_images() {
  local tb=$EPOCHREALTIME base
  if [ ! -x dist/mk ] || [ -n "$(find src migrations package.json build.config.ts -newer dist/mk -print -quit)" ]; then
    log "npm run build (dist/mk is missing or older than the sources)"
    npm run --silent build >/dev/null
  fi
  base=$(build_base)
  MK_DEMO_CONTROLLER_IMAGE=$(build_derived controller "$base" \
    "$(printf '%s\n' 'COPY mk /usr/local/bin/mk' 'ENV XDG_CACHE_HOME=/var/cache/mk' \
      'RUN ["/usr/local/bin/mk", "--version"]' 'CMD ["mk", "server", "--listen", "0.0.0.0:7070"]')" dist/mk)
  MK_DEMO_NODE_IMAGE=$(build_derived node "$base" \
    "$(printf '%s\n' 'COPY node-entrypoint.sh /usr/local/bin/mk-demo-node' 'VOLUME /var/lib/docker' \
      'ENTRYPOINT ["/bin/sh", "/usr/local/bin/mk-demo-node"]')" packaging/demo/node-entrypoint.sh)
  MK_DEMO_PROMETHEUS_IMAGE=$(build_derived prometheus "$base" \
    "$(printf '%s\n' 'WORKDIR /prometheus' 'ENTRYPOINT ["/usr/bin/prometheus"]')")
  export MK_DEMO_CONTROLLER_IMAGE MK_DEMO_NODE_IMAGE MK_DEMO_PROMETHEUS_IMAGE
  log "images ready in $(el "$tb")s"
}

# Keys made by the first `up` (kept until `down`): the controller's identity, one host key per node, and
# the known_hosts that pins them.
make_keys() {
  local s=$dir/ssh
  mkdir -p "$dir/grafana"
  # Grafana's file provisioning does not fill in the dashboard's import-time ${DS_PROMETHEUS} input.
  sed 's/\${DS_PROMETHEUS}/prometheus/g' docs/grafana/mk-dashboard.json > "$dir/grafana/mk-dashboard.json"
  [ -f "$s/controller/known_hosts" ] && return 0
  rm -rf "$s" "$dir/prometheus"
  mkdir -p "$s/controller" "$dir/prometheus"
  # The API token (mk requires one off loopback): the controller, the CLI inside it and Prometheus share it.
  (umask 077; head -c 30 /dev/urandom | base64 | tr -d '/+=\n' > "$s/controller/token")
  cp "$s/controller/token" "$dir/prometheus/token"
  ssh-keygen -q -t ed25519 -N '' -C "mk-demo-controller" -f "$s/controller/id_ed25519"
  for n in node1 node2; do
    mkdir -p "$s/$n"
    ssh-keygen -q -t ed25519 -N '' -C "$n" -f "$s/$n/ssh_host_ed25519_key"
    cp "$s/controller/id_ed25519.pub" "$s/$n/authorized_keys"
    echo "$n $(cut -d' ' -f1,2 "$s/$n/ssh_host_ed25519_key.pub")" >> "$s/controller/known_hosts.tmp"
  done
  mv "$s/controller/known_hosts.tmp" "$s/controller/known_hosts"
}

export_env() {
  export MK_DEMO_DIR=$dir MK_DEMO_PORT=$port
  if [ -f "$dir/env" ]; then
    # shellcheck disable=SC1091
    . "$dir/env"
  fi
  # `down` and `status` need the variables set even when `up` never got as far as writing them.
  export MK_DEMO_CONTROLLER_IMAGE=${MK_DEMO_CONTROLLER_IMAGE:-none} MK_DEMO_NODE_IMAGE=${MK_DEMO_NODE_IMAGE:-none} \
    MK_DEMO_PROMETHEUS_IMAGE=${MK_DEMO_PROMETHEUS_IMAGE:-none}
}

cid() { compose ps -q "$1" 2>/dev/null | head -n1; }
token() { cat "$dir/ssh/controller/token"; }
mkc() {
  docker exec -e MK_SERVER=http://127.0.0.1:7070 "$(cid controller)" \
    sh -c 'MK_TOKEN=$(cat /demo/ssh/token) exec mk "$@"' mk "$@"
}
api() { curl -fsS -H "Authorization: Bearer $(token)" "http://127.0.0.1:$port$1"; }

wait_for() { # wait_for SECONDS WHAT CMD...
  local secs=$1 what=$2 start=$EPOCHREALTIME
  shift 2
  until "$@" >/dev/null 2>&1; do
    awk -v a="$start" -v b="$EPOCHREALTIME" -v w="$secs" 'BEGIN{exit !(b-a>w)}' && die "timed out after ${secs}s waiting for $what"
    sleep 0.5
  done
}

running_pods() { api /api/v1/pods | jq '[.[] | select(.phase == "Running" and .ready)] | length'; }
pods_ready() { [ "$(running_pods)" -ge 4 ]; }
nodes_ready() { [ "$(api /api/v1/nodes | jq '[.[] | select(.state == "Ready")] | length')" = 2 ]; }

up() {
  [ "$(id -u)" = 0 ] || die "run as root (it builds images and runs Docker-in-Docker nodes)"
  docker info >/dev/null 2>&1 || die "no Docker engine answers: run bash scripts/setup.sh"
  have_image "$image_used" || bash scripts/base-image.sh
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || need docker-compose docker-compose
  need jq jq
  need curl curl
  need ssh-keygen openssh-client
  mkdir -p "$dir"
  build_images
  printf 'MK_DEMO_CONTROLLER_IMAGE=%s\nMK_DEMO_NODE_IMAGE=%s\nMK_DEMO_PROMETHEUS_IMAGE=%s\n' \
    "$MK_DEMO_CONTROLLER_IMAGE" "$MK_DEMO_NODE_IMAGE" "$MK_DEMO_PROMETHEUS_IMAGE" > "$dir/env"
  export_env
  make_keys
  local ts=$EPOCHREALTIME
  compose up -d --no-build >/dev/null 2>"$dir/compose.log" || { cat "$dir/compose.log" >&2; die "compose up failed"; }
  wait_for 60 "the controller at 127.0.0.1:$port" curl -fsS "http://127.0.0.1:$port/healthz"
  for n in node1 node2; do
    wait_for 60 "dockerd in $n" docker exec "$(cid "$n")" docker info
    # What mk would copy through the SSH tunnel if the controller had an engine of its own.
    docker save "$image_used" | docker exec -i "$(cid "$n")" docker load -q >/dev/null
  done
  log "containers up in $(el "$ts")s"
  for n in node1 node2; do
    # A second `up` finds the nodes registered already (their containers were only started again).
    api "/api/v1/nodes/$n" >/dev/null 2>&1 || mkc node add "$n" --docker "ssh://root@$n" --identity /demo/ssh/id_ed25519 >/dev/null
  done
  wait_for 60 "two Ready nodes" nodes_ready
  mkc apply -f /demo/demo.yaml --no-wait
  if ! (wait_for "${MK_DEMO_WAIT:-120}" "4 running pods" pods_ready); then
    mkc get nodes >&2 || true; mkc get pods -o wide >&2 || true; mkc events 2>&1 | tail -15 >&2 || true
    die "the demo's pods did not all run (state above; MK_DEMO_PROJECT=$project bash scripts/demo-compose.sh down cleans up)"
  fi
  mkc get nodes
  mkc get pods -o wide
  local prom
  prom=$(compose port prometheus 9090 2>/dev/null | tail -n1)
  log "up in $(el "$t0")s"
  echo
  echo "  status page:  http://127.0.0.1:$port/?token=$(token)"
  echo "  API token:    $dir/ssh/controller/token (MK_TOKEN for mk --server http://127.0.0.1:$port)"
  echo "  prometheus:   http://${prom:-?}/graph?g0.expr=mk_pods_running"
  echo "  try:          docker kill \$(docker ps -q --filter label=com.docker.compose.project=$project --filter label=com.docker.compose.service=node1)"
  echo "                then watch the pods move to node2 on the page (about 6 s)"
  echo "  stop:         MK_DEMO_PROJECT=$project bash scripts/demo-compose.sh down"
}

down() {
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || die "docker-compose is missing"
  export_env
  local td=$EPOCHREALTIME
  # Every profile, so an optional service started with MK_DEMO_PROFILES goes too.
  profiles=(--profile grafana)
  mkdir -p "$dir/ssh/controller" "$dir/ssh/node1" "$dir/ssh/node2" "$dir/grafana"
  compose down -v --remove-orphans --timeout 5 >/dev/null 2>"$dir/compose.log" || { cat "$dir/compose.log" >&2; die "compose down failed"; }
  if [ "$keep_images" = 0 ] && [ -f "$made_list" ]; then
    # Newest first (derived images before their base); an image another demo still runs stays.
    tac "$made_list" | while read -r tag; do
      docker rmi "$tag" >/dev/null 2>&1 || log "kept $tag (in use)"
    done
    rm -f "$made_list"
  fi
  rm -rf "$dir"
  log "down in $(el "$td")s: containers, network, volumes$([ "$keep_images" = 0 ] && echo ", images") of project $project removed"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) export_env; mkc get nodes; mkc get pods -o wide ;;
  -h|--help|"") sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; [ -n "$cmd" ] ;;
  *) die "unknown command $cmd (usage: up|down|status)" ;;
esac
