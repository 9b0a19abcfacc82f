// Benchmark: failover time (node crashed or cut off -> all its pods running on the other node),
// p50/p99 over T trials each, on two lab nodes (scripts/lab). Prints numbers; asserts nothing.
// Run as root: npx tsx bench/failover.ts [trials]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/engine/engine.ts";
import { sleep } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/log.ts";
import type { MkObject } from "../src/manifest/types.ts";
import { SSH_DEFAULTS, sshConnector } from "../src/node/ssh-docker.ts";
import { applyObjects } from "../src/ops/apply.ts";
import { addNode, scalePodSet } from "../src/ops/commands.ts";
import { Store } from "../src/store/store.ts";
import { sleeperSpec } from "./pod-spec.ts";

const TRIALS = Number(process.argv[2] ?? 10);
const LAB = "/tmp/mk-lab";
const lab = (script: string, ...args: string[]) =>
  execFileSync("bash", [join(import.meta.dirname, "../scripts/lab", script), ...args], { stdio: "ignore" });

const podSet: MkObject = {
  kind: "PodSet",
  metadata: { name: "web", labels: {}, annotations: {} },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" }, annotations: {} },
      spec: sleeperSpec(),
    },
    strategy: { type: "Recreate" },
    minReadySeconds: 0,
    progressDeadlineSeconds: 600,
    revisionHistoryLimit: 10,
    rollbackOnFailure: false,
  },
  source: { file: "bench", line: 1, doc: 0, apiVersion: "mk/v1" },
};

async function until(fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

lab("nodes-up.sh", "2");
const dir = mkdtempSync(join(tmpdir(), "mk-bench-failover-"));
const store = Store.open(join(dir, "state.db"));
const engine = new Engine({
  store,
  log: silentLogger,
  localNode: false,
  ssh: sshConnector({
    ...SSH_DEFAULTS,
    knownHostsFile: `${LAB}/ssh/known_hosts`,
    log: silentLogger,
  }),
});
const abort = new AbortController();
const loop = engine.run(abort.signal);
for (const i of [1, 2])
  addNode(store, {
    name: `n${i}`,
    docker: `ssh://root@10.231.0.${10 + i}`,
    identityFile: `${LAB}/ssh/id_ed25519`,
  });
const live = () => store.listPods().filter((p) => p.deletionAt === null);
const runningOn = (node: string) => live().filter((p) => p.node === node && p.phase === "Running").length;
const ready = (node: string) => store.getNode(node)?.state === "Ready";

const results: Record<string, number[]> = { crash: [], partition: [] };
try {
  await until(() => ready("n1") && ready("n2"), 30_000, "nodes ready");
  applyObjects(store, [podSet]);
  for (let t = 0; t < TRIALS * 2; t++) {
    const kind = t % 2 === 0 ? "crash" : "partition";
    const victim = (Math.floor(t / 2) % 2) + 1;
    const other = victim === 1 ? 2 : 1;
    // Spread again: down to 0, then 4 over two settled nodes.
    scalePodSet(store, "web", 0);
    await until(() => store.listPods().length === 0, 60_000, "scaled to 0");
    scalePodSet(store, "web", 4);
    await until(() => runningOn("n1") === 2 && runningOn("n2") === 2, 60_000, "2/2 spread");
    const t0 = performance.now();
    if (kind === "crash") lab("node-kill.sh", String(victim));
    else lab("node-link.sh", String(victim), "down");
    await until(() => runningOn(`n${other}`) === 4, 60_000, "all on the other node");
    const secs = (performance.now() - t0) / 1000;
    results[kind]?.push(secs);
    console.log(`trial ${t + 1} ${kind} n${victim}: ${secs.toFixed(2)} s`);
    if (kind === "crash") lab("node-reboot.sh", String(victim));
    else lab("node-link.sh", String(victim), "up");
    await until(
      () => ready(`n${victim}`) && store.listPods().every((p) => p.deletionAt === null),
      60_000,
      "node back and fenced",
    );
    await sleep(3500); // settle time before the node gets work again
  }
} finally {
  abort.abort();
  await loop;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  lab("nodes-down.sh");
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;
console.log("\n| failure | trials | p50 (s) | p99 (s) | max (s) |\n|---|---|---|---|---|");
for (const [k, xs] of Object.entries(results)) {
  console.log(
    `| ${k} | ${xs.length} | ${pct(xs, 50).toFixed(2)} | ${pct(xs, 99).toFixed(2)} | ${Math.max(...xs).toFixed(2)} |`,
  );
}
console.log(
  "defaults: heartbeat 1 s, node grace 4 s, eviction delay 2 s, SSH keepalive 1 s x 2, ready timeout 3 s",
);
