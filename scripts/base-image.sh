#!/usr/bin/env bash
# base-image.sh — build mk.local/busybox:1 with `docker import` (no registry is reachable here).
# Rootfs: static busybox with one symlink per applet (sh, sleep, httpd, nc, wget, ...), /etc/passwd,
# /www/index.html. The tarball is byte-reproducible (fixed mtime, owner and order).
# Usage: base-image.sh [--force]   (DOCKER_HOST selects the daemon; default the local socket)
set -euo pipefail

IMAGE=${MK_IMAGE:-mk.local/busybox:1}
HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
force=0
[ "${1:-}" = --force ] && force=1

BB=/bin/busybox
if [ ! -x "$BB" ] || ldd "$BB" >/dev/null 2>&1; then   # ldd fails on a static binary
  echo "need a static /bin/busybox: apt-get install busybox-static" >&2; exit 1
fi

if [ "$force" = 0 ] && docker -H "$HOST" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "[base-image] $IMAGE present"; exit 0
fi
work=$(mktemp -d /tmp/mk-base-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
r=$work/rootfs
mkdir -p "$r"/{bin,etc,tmp,www,root,proc,sys,dev,var/run}
chmod 1777 "$r/tmp"
cp "$BB" "$r/bin/busybox"
for app in $("$BB" --list); do
  [ "$app" = busybox ] || ln -s busybox "$r/bin/$app"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
echo '<html><body>hello from mk</body></html>' > "$r/www/index.html"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$r" -cf "$work/rootfs.tar" .
docker -H "$HOST" import -c 'ENV PATH=/bin' -c 'WORKDIR /' -c 'CMD ["/bin/sh"]' \
  -m "mk base image (busybox-static)" "$work/rootfs.tar" "$IMAGE" >/dev/null
echo "[base-image] built $IMAGE"
