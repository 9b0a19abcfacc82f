// What the kill -9 loops share: a seeded PRNG (a printed seed replays the whole schedule), the
// esbuild bundle of mk (it starts in ~1 s where tsx needs several), a server started from it with
// short windows, and SIGKILL.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT, type Sandbox } from "./harness.ts";

export const BUNDLE = join(ROOT, "dist/mk.cjs");

/** mulberry32: a tiny seeded PRNG. `int(lo, hi)` is an integer in [lo, hi]. */
export function seeded(seed: number): { next: () => number; int: (lo: number, hi: number) => number } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** Builds dist/mk.cjs when src or migrations are newer than it. */
export function ensureBundle(): void {
  const newest = spawnSync(
    "bash",
    ["-c", "find src migrations -type f -printf '%T@\\n' | sort -n | tail -1"],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  const srcTime = Number(newest.stdout.trim()) * 1000;
  if (!existsSync(BUNDLE) || statSync(BUNDLE).mtimeMs < srcTime) {
    const r = spawnSync(process.execPath, ["--import", "tsx", "build.config.ts", "--bundle-only"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `bundle build failed: ${r.stdout}${r.stderr}`);
  }
}

export interface KillServer {
  url: string;
  proc: ChildProcess;
  logs: () => string;
}

/**
 * `mk server` from the bundle, answering /healthz. A restarted server waits for its dead
 * predecessor's lease to expire: the lease is kept at its 1 s minimum.
 */
export async function startBundleServer(
  box: Sandbox,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<KillServer> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      BUNDLE,
      "server",
      "--listen",
      `127.0.0.1:${port}`,
      "--log-format",
      "json",
      "--lease",
      "1s",
      "--resync",
      "1s",
      "--backoff-initial",
      "1s",
      "--backoff-max",
      "2s",
      ...args,
    ],
    { cwd: box.dir, env: box.env({ MK_LOG_LEVEL: "3", ...env }), stdio: ["ignore", "pipe", "pipe"] },
  );
  let logs = "";
  proc.stdout?.on("data", (d) => {
    logs += d;
  });
  proc.stderr?.on("data", (d) => {
    logs += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mk server exited ${proc.exitCode}: ${logs}`);
    const ok = await fetch(`${url}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`mk server did not answer: ${logs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, proc, logs: () => logs };
}

export async function kill9(s: KillServer): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const gone = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGKILL");
  await gone;
}

/** POST: true when acknowledged, false when the server died first. An error answer is a test bug. */
export async function postAcked(url: string, path: string, body: unknown): Promise<boolean> {
  let r: Response;
  let text: string;
  try {
    r = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    text = await r.text();
  } catch {
    return false;
  }
  if (!r.ok) throw new Error(`POST ${path} answered ${r.status}: ${text}`);
  return true;
}
