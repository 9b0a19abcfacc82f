#!/usr/bin/env bash
# release.sh — builds dist/mk and packs the release: dist/mk-<version>-linux-x64.tar.gz (mk and
# README.md, CHANGELOG.md, LICENSE when present, at its top level) with its .sha256 (sha256sum format),
# the npm package mk-orchestrator-<version>.tgz (bin/mk.js + dist/mk.cjs), SHA256SUMS over both, and
# the Homebrew formula's url, version and sha256 filled in.
# Usage: scripts/release.sh [--skip-build] [--out DIR] [--formula FILE]
#   --skip-build  pack the existing dist/mk
#   --out         where the tarball and .sha256 go (default dist)
#   --formula     the formula to update (default packaging/homebrew/mk.rb)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

build=1
out=dist
formula=packaging/homebrew/mk.rb
die() { echo "release.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) build=0; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    --formula) [ $# -ge 2 ] || die "--formula needs a file"; formula=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

version=$(node -p 'require("./package.json").version')
[ "$build" = 0 ] || npm run --silent build
[ -x dist/mk ] || die "dist/mk is missing: run npm run build"
"$root/dist/mk" --version | grep -qF "$version" || die "dist/mk is not version $version: rebuild it"

name=mk-$version-linux-x64
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp dist/mk "$stage/mk"
files=(mk)
for f in README.md CHANGELOG.md LICENSE; do
  if [ -f "$f" ]; then cp "$f" "$stage/"; files+=("$f"); fi
done
# Same inputs, same tarball: fixed owner, order and mtime (SOURCE_DATE_EPOCH or the last commit).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name --mtime="@$epoch" -cf - "${files[@]}" \
  | gzip -n > "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
sha=$(cut -d' ' -f1 "$out/$name.tar.gz.sha256")

# The npm package, from the bundle the build just made (scripts off: prepack would rebuild it, and
# prepare would touch this checkout's git config).
[ -f dist/mk.cjs ] || die "dist/mk.cjs is missing: run npm run build"
npm_tgz=$(npm pack --ignore-scripts --silent --pack-destination "$out" | tail -n1)
[ -f "$out/$npm_tgz" ] || die "npm pack made no tarball"
(cd "$out" && sha256sum "$name.tar.gz" "$npm_tgz" > SHA256SUMS)

url="https://github.com/mk-orchestrator/mk/releases/download/v$version/$name.tar.gz"
[ -f "$formula" ] || die "$formula: no such file"
sed -i -E \
  -e "s|^(  url )\".*\"|\\1\"$url\"|" \
  -e "s|^(  version )\".*\"|\\1\"$version\"|" \
  -e "s|^(  sha256 )\".*\"|\\1\"$sha\"|" \
  "$formula"
grep -qF "$sha" "$formula" || die "could not fill sha256 into $formula"

echo "$out/$name.tar.gz  $(du -h "$out/$name.tar.gz" | cut -f1)  sha256 $sha"
echo "$out/$npm_tgz  $(du -h "$out/$npm_tgz" | cut -f1)"
echo "$out/SHA256SUMS"
echo "$formula: version $version, url $url"
