#!/usr/bin/env bash
# count-lines.sh — the line counts the blog post and README quote: non-blank lines (comments
# included) of the TypeScript files git tracks under src/ and test/. Prints one line per tree and a
# JSON line. Usage: bash scripts/count-lines.sh [REV]   (default: the work tree's tracked files)
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-}
count() {
  local dir=$1 files lines
  if [ -n "$rev" ]; then
    files=$(git ls-tree -r --name-only "$rev" -- "$dir" | grep -c '\.ts$' || true)
    lines=$(git ls-tree -r --name-only "$rev" -- "$dir" | grep '\.ts$' | sed "s|^|$rev:|" | xargs -r git show | grep -cv '^[[:space:]]*$' || true)
  else
    files=$(git ls-files -- "$dir" | grep -c '\.ts$' || true)
    lines=$(git ls-files -- "$dir" | grep '\.ts$' | xargs -r cat | grep -cv '^[[:space:]]*$' || true)
  fi
  echo "$dir $files $lines"
}
read -r _ sf sl < <(count src)
read -r _ tf tl < <(count test)
printf 'src/   %4d files %7d non-blank lines\n' "$sf" "$sl"
printf 'test/  %4d files %7d non-blank lines\n' "$tf" "$tl"
printf '{"src":{"files":%d,"lines":%d},"test":{"files":%d,"lines":%d}%s}\n' "$sf" "$sl" "$tf" "$tl" "${rev:+,\"rev\":\"$rev\"}"
