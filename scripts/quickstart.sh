#!/usr/bin/env bash
# quickstart.sh — on a fresh Debian machine (root): install what mk needs, start the local Docker
# engine, build the base image, then apply the sample manifests in manifests/ on the local engine
# and show the pods running. Idempotent: run it again and nothing is duplicated.
set -euo pipefail
cd "$(dirname "$0")/.."
export MK_STATE=${MK_STATE:-$PWD/.mk/state.db}
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/setup.sh
mk() { node --import tsx src/main.ts "$@"; }
mk apply -f manifests/
echo
mk get pods -o wide
echo
echo "State: $MK_STATE   (try: node --import tsx src/main.ts sql \"select name, phase, node from pods\")"
echo "Keep them running (restarts, probes, metrics): node --import tsx src/main.ts server"
