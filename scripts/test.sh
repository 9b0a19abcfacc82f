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
  export MK_TEST_RUN_ID=${MK_TEST_RUN_ID:-$(date +%s)-$$}
  # One node process per file, so each file's wall time is known: the suite has a budget
  # (SUITE_BUDGET_S, 30 min in CI) and the slowest files are where it goes.
  times=()
  for f in "${integration[@]}"; do
    t1=$EPOCHREALTIME
    fs=ok
    node --import tsx --test --test-timeout=600000 --test-reporter=spec "$f" || { status=1; fs=FAIL; }
    times+=("$(el "$t1") $fs $f")
  done
  echo "[test] integration files by wall time (s):"
  printf '%s\n' "${times[@]}" | sort -rn | awk '{printf "  %7.1f  %-4s %s\n", $1, $2, $3}'
fi
total=$(el "$t0")
budget=${SUITE_BUDGET_S:-1800}
if awk -v t="$total" -v b="$budget" 'BEGIN{exit !(t > b * 0.8)}'; then
  echo "[test] WARNING: the suite took ${total}s, over 80% of its ${budget}s budget; shorten the slowest files above"
fi
echo "[test] done in ${total}s, status $status"
exit $status
