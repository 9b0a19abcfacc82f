// What running `mk sql` in a child process costs: `mk sql "select 1"` (parent + query child) against
// `mk get nodes` (one process, no child) with the single executable, median and p90 of N runs, and
// the machine's load, so the numbers can be read in context.
// Usage: tsx bench/sql.ts [--runs 20] [--bin dist/mk]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    bin: { type: "string", default: resolve(import.meta.dirname, "../dist/mk") },
  },
});
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), "mk-bench-sql-"));
const state = join(dir, "state.db");

function time(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(values.bin, [...args, "--state", state], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${values.bin} ${args.join(" ")}: ${r.stderr}`);
  return performance.now() - t;
}

function stats(xs: number[]): { median: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { median: at(0.5), p90: at(0.9) };
}

try {
  time(["get", "nodes"]); // creates the state, warms the addon cache
  const rows: [string, number[]][] = [
    ["mk get nodes (one process)", []],
    ['mk sql "select 1" (parent + query child)', []],
  ];
  for (let i = 0; i < runs; i++) {
    rows[0]?.[1].push(time(["get", "nodes"]));
    rows[1]?.[1].push(time(["sql", "select 1"]));
  }
  console.log(
    `${runs} runs each, ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  console.log("| command | median | p90 |\n|---|---|---|");
  for (const [name, xs] of rows) {
    const s = stats(xs);
    console.log(`| ${name} | ${s.median.toFixed(0)} ms | ${s.p90.toFixed(0)} ms |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
