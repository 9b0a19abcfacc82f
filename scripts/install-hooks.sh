#!/bin/sh
# install-hooks.sh — npm's `prepare` script: points git at the tracked hooks in .githooks/
# (git config core.hooksPath .githooks). It never fails an install: outside a git work tree (an npm
# tarball, a Docker build context), without git, or in CI (CI=true) it does nothing and exits 0.
# Usage: sh scripts/install-hooks.sh
cd "$(dirname "$0")/.." 2>/dev/null || exit 0
[ -n "${CI:-}" ] && [ "${CI}" != "false" ] && exit 0
command -v git >/dev/null 2>&1 || exit 0
[ "$(git rev-parse --is-inside-work-tree 2>/dev/null)" = true ] || exit 0
[ -d .githooks ] || exit 0
# Only this repository's own checkout: not a parent repository that happens to contain it.
[ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ] || exit 0
current=$(git config --get core.hooksPath 2>/dev/null || true)
[ "$current" = .githooks ] && exit 0
if [ -n "$current" ]; then
  echo "install-hooks: core.hooksPath is already $current; leaving it (set it to .githooks to use mk's hooks)" >&2
  exit 0
fi
git config core.hooksPath .githooks 2>/dev/null && echo "install-hooks: git hooks from .githooks (pre-commit: biome + tsc)"
exit 0
