#!/usr/bin/env bash
# install.sh — installs the mk single executable to PREFIX/bin/mk after checking its SHA-256.
# Usage: scripts/install.sh [--prefix DIR] [--sha256 HEX] PATH
#   PATH      dist/mk, or a release tarball mk-<version>-linux-x64.tar.gz (mk at its top level)
#   --sha256  expected SHA-256 of PATH; otherwise read from PATH.sha256 (sha256sum format or bare hex)
#   --prefix  install root, default /usr/local (the binary goes to PREFIX/bin/mk)
# Refuses a checksum mismatch or a missing checksum. Idempotent: installing the same binary again
# says so and changes nothing; a different one is replaced atomically (rename).
set -euo pipefail

prefix=/usr/local
want=""
src=""
die() { echo "install.sh: $*" >&2; exit 1; }
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --sha256) [ $# -ge 2 ] || die "--sha256 needs a hex digest"; want=$2; shift 2 ;;
    --sha256=*) want=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$src" ] || die "one PATH only, got $src and $1"; src=$1; shift ;;
  esac
done
[ -n "$src" ] || { usage >&2; exit 2; }
[ -f "$src" ] || die "$src: no such file"

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

if [ -z "$want" ]; then
  [ -f "$src.sha256" ] || die "no checksum for $src: pass --sha256 HEX or put $src.sha256 next to it"
  want=$(head -n1 "$src.sha256" | cut -d' ' -f1)
fi
want=$(printf '%s' "$want" | tr 'A-F' 'a-f')
[[ "$want" =~ ^[0-9a-f]{64}$ ]] || die "expected SHA-256 is not 64 hex digits: $want"
got=$(sha256_of "$src")
[ "$got" = "$want" ] || die "checksum mismatch for $src: expected $want, got $got; not installing"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$src" in
  *.tar.gz|*.tgz)
    tar -xzf "$src" -C "$tmp" mk 2>/dev/null || die "$src has no mk at its top level"
    bin=$tmp/mk ;;
  *) bin=$src ;;
esac
[ -f "$bin" ] || die "$bin: not a file"

dest=$prefix/bin/mk
if [ -f "$dest" ] && cmp -s "$bin" "$dest"; then
  echo "mk already installed at $dest ($("$dest" --version 2>/dev/null || echo "version unknown"))"
  exit 0
fi
mkdir -p "$prefix/bin"
# Copy next to the destination, then rename: a running mk keeps its old file, and a failed copy
# never leaves a half-written binary behind.
part=$prefix/bin/.mk.install.$$
install -m 0755 "$bin" "$part" || { rm -f "$part"; die "cannot write to $prefix/bin"; }
mv -f "$part" "$dest"
echo "installed $dest ($("$dest" --version 2>/dev/null || echo "does not run on this machine"))"
