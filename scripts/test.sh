#!/usr/bin/env bash
# test.sh — the whole test suite, from a clean clone: installs the Node packages if missing,
# sets up the machine (Docker engine, base image, sshd, etcd, prometheus, chromium via
# scripts/setup.sh --extras), then runs lint, typecheck, unit tests and the integration tests
# against the real Docker engine.
# Usage: scripts/test.sh [--unit] [files...]
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$EPOCHREALTIME
el() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; }

unit_only=0
files=()
for a in "$@"; do
  case "$a" in
    --unit) unit_only=1 ;;
    *) files+=("$a") ;;
  esac
done

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[test] npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ${#files[@]} -eq 0 ]; then
  echo "[test] lint + typecheck"
  npx biome check . >/dev/null || { npx biome check . 2>&1 | tail -40; exit 1; }
  npx tsc --noEmit -p .
  mapfile -t unit < <(find test -name '*.test.ts' -not -path 'test/integration/*' | sort)
  mapfile -t integration < <(find test/integration -name '*.test.ts' 2>/dev/null | sort)
else
  unit=(); integration=()
  for f in "${files[@]}"; do
    case "$f" in test/integration/*) integration+=("$f") ;; *) unit+=("$f") ;; esac
  done
fi

if [ ${#integration[@]} -gt 0 ] && [ "$unit_only" = 0 ]; then
  # Docker-backed tests never skip: start what they need first.
  bash scripts/setup.sh --extras
fi

status=0
if [ ${#unit[@]} -gt 0 ]; then
  echo "[test] unit: ${#unit[@]} files"
  node --import tsx --test --test-reporter=spec "${unit[@]}" || status=1
fi
if [ ${#integration[@]} -gt 0 ] && [ "$unit_only" = 0 ]; then
  echo "[test] integration (real Docker): ${#integration[@]} files"
  MK_TEST_RUN_ID=${MK_TEST_RUN_ID:-$(date +%s)-$$} \
    node --import tsx --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec "${integration[@]}" || status=1
fi
echo "[test] done in $(el "$t0")s, status $status"
exit $status
