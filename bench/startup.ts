// Cold start of the single executable: each run is a new process. Measures `mk --version`,
// `mk get pods` on an empty state (the SQLite addon already in the cache), the first run that
// writes the addon to an empty cache, and bare `node -e 0` for reference; prints median and p90,
// the binary size (and gzipped size), then the same as a markdown table.
// Usage: tsx bench/startup.ts [--runs 20] [--bin dist/mk] [--no-gzip]
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    bin: { type: "string", default: resolve(import.meta.dirname, "../dist/mk") },
    "no-gzip": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const bin = resolve(values.bin);

interface Case {
  name: string;
  cmd: string;
  args: string[];
  /** Runs before each measured run, untimed (e.g. emptying the cache). */
  before?: () => void;
}

const dir = mkdtempSync(join(tmpdir(), "mk-bench-"));
const env = { PATH: "/usr/bin:/bin", HOME: join(dir, "home"), MK_STATE: join(dir, "state.db") };
const coldCache = join(dir, "cold-cache");

function time(c: Case, envFor: NodeJS.ProcessEnv): number {
  c.before?.();
  const t = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { cwd: dir, env: envFor, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function gzipSize(file: string): Promise<number> {
  let n = 0;
  await pipeline(
    createReadStream(file),
    createGzip({ level: 6 }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        n += chunk.length;
        cb();
      },
    }),
  );
  return n;
}

const cases: { c: Case; env: NodeJS.ProcessEnv }[] = [
  { c: { name: "node -e 0 (reference)", cmd: process.execPath, args: ["-e", "0"] }, env },
  { c: { name: "mk --version", cmd: bin, args: ["--version"] }, env },
  { c: { name: "mk get pods (empty state)", cmd: bin, args: ["get", "pods"] }, env },
  {
    c: {
      name: "mk get pods, first run (writes the addon)",
      cmd: bin,
      args: ["get", "pods"],
      before: () => rmSync(coldCache, { recursive: true, force: true }),
    },
    env: { ...env, XDG_CACHE_HOME: coldCache },
  },
];

try {
  time(cases[2]!.c, env); // creates the state and fills the addon cache
  const rows: string[][] = [];
  for (const { c, env: e } of cases) {
    time(c, e); // warm the page cache
    const ms = Array.from({ length: runs }, () => time(c, e)).sort((a, b) => a - b);
    const row = [c.name, quantile(ms, 0.5).toFixed(1), quantile(ms, 0.9).toFixed(1), ms[0]!.toFixed(1)];
    rows.push(row);
    console.log(
      `${row[0]!.padEnd(44)} median ${row[1]!.padStart(6)} ms  p90 ${row[2]!.padStart(6)} ms  min ${row[3]} ms`,
    );
  }
  const size = statSync(bin).size;
  const gz = values["no-gzip"] ? undefined : await gzipSize(bin);
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const sizeText = `${mib(size)}${gz === undefined ? "" : ` (${mib(gz)} gzipped)`}`;
  const machine = `${cpus().length} CPUs, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}, Node ${process.version}`;
  console.log(`binary ${bin}: ${sizeText}; ${runs} runs each; ${machine}\n`);
  console.log("| command | median (ms) | p90 (ms) | min (ms) |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log(`\nBinary size: ${sizeText}. ${runs} runs each; ${machine}.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
