#!/usr/bin/env node
// mk for npm users who have Node (`npx mk`, `npm install -g mk-orchestrator`): runs the esbuild
// bundle dist/mk.cjs, which takes better-sqlite3 and its compiled addon from node_modules. The
// single executable (dist/mk) needs none of this.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/mk.cjs", import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write(`error: Cannot start mk: ${bundle} is missing; run \`npm run build\` first\n`);
  process.exit(3);
}
createRequire(import.meta.url)(bundle);
