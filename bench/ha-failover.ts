// Benchmark: the HA control plane on etcd. (1) leader kill -9 -> a new leader, and -> the first
// pod applied after the kill running, p50/p99 over T trials; (2) apply latency and throughput in
// HA mode (every commit written to the etcd log first) against single-node mode, in the same run.
// A 3-member etcd on loopback (scripts/etcd-up.sh), three `mk server --etcd` and the local Docker
// engine as the node. Prints numbers; asserts nothing.
// Run: npx tsx bench/ha-failover.ts [trials] [applies]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../src/lib/clock.ts";
import { HaCluster, type HaServer } from "../test/integration/ha-cluster.ts";
import { docker, freePort, MAIN, removeContainers, waitFor } from "../test/integration/harness.ts";

const TRIALS = Number(process.argv[2] ?? 10);
const APPLIES = Number(process.argv[3] ?? 100);
const TSX = import.meta.resolve("tsx");

const podSet = (name: string, replicas: number) => `apiVersion: mk/v1
kind: PodSet
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{ name: main, image: mk.local/busybox:1, command: ["sleep", "3600"] }]
`;

async function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
const ms = (x: number) => x.toFixed(1);

/** APPLIES sequential applies of a 0-replica PodSet (state only, no containers): latency per apply. */
async function applyLatency(url: string, tag: string): Promise<{ lat: number[]; perSec: number }> {
  const lat: number[] = [];
  const t0 = performance.now();
  let refused = 0;
  for (let i = 0; i < APPLIES; i++) {
    const a = performance.now();
    // A 503 (the log could not be written in time) is retried, as the CLI does: it counts in the latency.
    for (let attempt = 1; ; attempt++) {
      const r = await post(url, "/api/v1/apply", {
        manifests: [{ file: "b.yaml", text: podSet(`${tag}${i % 20}`, i % 3) }],
      });
      if (r.ok) break;
      if (r.status !== 503 || attempt >= 5) throw new Error(`apply ${i}: ${r.status} ${await r.text()}`);
      refused++;
      await sleep(100);
    }
    lat.push(performance.now() - a);
  }
  if (refused > 0) console.log(`${tag}: ${refused} applies answered 503 and were retried`);
  return { lat, perSec: APPLIES / ((performance.now() - t0) / 1000) };
}

async function singleNode(): Promise<{ lat: number[]; perSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), "mk-bench-single-"));
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      "--import",
      TSX,
      MAIN,
      "server",
      "--listen",
      `127.0.0.1:${port}`,
      "--state",
      join(dir, "s.db"),
      "--log-format",
      "json",
    ],
    { stdio: "ignore", env: { ...process.env, MK_SERVER: "" } },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok,
      60_000,
      "single server",
    );
    return await applyLatency(url, "s");
  } finally {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

const cluster = new HaCluster();
let clusterId = "";
try {
  await cluster.start(3, ["--election-ttl", "2s", "--resync", "2s"]);
  clusterId = await cluster.clusterId();
  const leader0 = await cluster.leader();
  const ha = await applyLatency(leader0.url, "h");
  const follower = cluster.servers.find((s) => s !== leader0) as HaServer;
  const viaFollower = await applyLatency(follower.url, "f");
  const single = await singleNode();

  const toLeader: number[] = [];
  const toPod: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const leader = await cluster.leader();
    const name = `k${t}`;
    const t0 = performance.now();
    leader.kill();
    // The new pod is applied at once, through whichever server takes it (as the CLI fails over).
    let applied = false;
    let leaderAt = 0;
    while (!applied) {
      for (const s of cluster.servers) {
        if (s === leader) continue;
        if (!leaderAt && (await s.readyz())?.role === "leader") leaderAt = performance.now();
        const r = await post(s.url, "/api/v1/apply", {
          manifests: [{ file: "k.yaml", text: podSet(name, 1) }],
        }).catch(() => undefined);
        if (r?.ok) {
          applied = true;
          break;
        }
      }
      if (!applied) await sleep(20);
    }
    while (!leaderAt) {
      for (const s of cluster.servers)
        if (s !== leader && (await s.readyz())?.role === "leader") leaderAt = performance.now();
    }
    for (;;) {
      const list = await docker.listContainers({
        filters: { label: [`mk.cluster=${clusterId}`, `mk.owner=${name}`], status: ["running"] },
      });
      if (list.length > 0) break;
      await sleep(20);
    }
    const podAt = performance.now();
    toLeader.push((leaderAt - t0) / 1000);
    toPod.push((podAt - t0) / 1000);
    console.log(
      `trial ${t + 1}: new leader ${((leaderAt - t0) / 1000).toFixed(2)} s, first new pod running ${((podAt - t0) / 1000).toFixed(2)} s`,
    );
    await leader.stopped();
    await leader.start();
  }

  console.log(`\n| leader kill -9 (${TRIALS} trials) | p50 (s) | p99 (s) | max (s) |\n|---|---|---|---|`);
  for (const [what, xs] of [
    ["-> new leader ready", toLeader],
    ["-> first new pod running", toPod],
  ] as const)
    console.log(
      `| ${what} | ${pct(xs, 50).toFixed(2)} | ${pct(xs, 99).toFixed(2)} | ${Math.max(...xs).toFixed(2)} |`,
    );
  console.log(
    `\n| apply (${APPLIES} sequential, 0-replica PodSet) | p50 (ms) | p99 (ms) | applies/s |\n|---|---|---|---|`,
  );
  for (const [what, r] of [
    ["single-node (SQLite only)", single],
    ["HA, to the leader", ha],
    ["HA, through a follower (forwarded)", viaFollower],
  ] as const)
    console.log(`| ${what} | ${ms(pct(r.lat, 50))} | ${ms(pct(r.lat, 99))} | ${r.perSec.toFixed(1)} |`);
} finally {
  await cluster.close();
  if (clusterId) await removeContainers(`mk.cluster=${clusterId}`);
}
