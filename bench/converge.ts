// Benchmark: converging N pods with mk against the floor (dockerode creating and starting the
// same containers directly, same concurrency), and apply->running latency of one pod with a
// running controller. Prints numbers; asserts nothing. Run: npx tsx bench/converge.ts [N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { Engine } from "../src/engine/engine.ts";
import { silentLogger } from "../src/lib/log.ts";
import type { MkObject } from "../src/manifest/types.ts";
import { applyObjects } from "../src/ops/apply.ts";
import { Store } from "../src/store/store.ts";
import { sleeperSpec } from "./pod-spec.ts";

const N = Number(process.argv[2] ?? 50);
const CONCURRENCY = 8;
const IMAGE = "mk.local/busybox:1";
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

function pod(name: string): MkObject {
  return {
    kind: "Pod",
    metadata: { name, labels: {}, annotations: {} },
    spec: sleeperSpec(),
    source: { file: "bench", line: 1, doc: 0, apiVersion: "mk/v1" },
  };
}

async function removeByLabel(label: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

async function floor(): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const c = await docker.createContainer({
        name: `mkbench-floor-${process.pid}-${i}`,
        Image: IMAGE,
        Cmd: ["sleep", "3600"],
        Labels: { "mk.bench": "floor" },
        HostConfig: { RestartPolicy: { Name: "no" } },
      });
      await c.start();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ms = performance.now() - t0;
  await removeByLabel("mk.bench=floor");
  return ms;
}

async function mk(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "mk-bench-"));
  const store = Store.open(join(dir, "state.db"));
  const cluster = store.clusterId();
  const engine = new Engine({ store, log: silentLogger });
  const t0 = performance.now();
  applyObjects(
    store,
    Array.from({ length: N }, (_, i) => pod(`b${i}`)),
  );
  const running = store.sqlite.prepare("select count(*) n from pods where phase = 'Running'");
  const r = await engine.converge(() => (running.get() as { n: number }).n === N, 120_000);
  const ms = performance.now() - t0;
  if (r !== "converged") throw new Error(`mk did not converge: ${r}`);
  await removeByLabel(`mk.cluster=${cluster}`);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

async function latency(runs: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "mk-bench-lat-"));
  const path = join(dir, "state.db");
  const server = Store.open(path);
  const cluster = server.clusterId();
  const engine = new Engine({ store: server, log: silentLogger });
  const abort = new AbortController();
  let leader: () => void = () => {};
  const isLeader = new Promise<void>((r) => {
    leader = r;
  });
  const loop = engine.run(abort.signal, () => leader());
  await isLeader;
  // The CLI is another process: a second connection, noticed through SQLite's data_version.
  const cli = Store.open(path);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    applyObjects(cli, [pod(`lat${i}`)]);
    for (;;) {
      if (cli.getPod(`lat${i}`)?.phase === "Running") break;
      await new Promise((r) => setTimeout(r, 5));
    }
    out.push(performance.now() - t0);
  }
  abort.abort();
  await loop;
  await removeByLabel(`mk.cluster=${cluster}`);
  cli.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;

await docker.ping();
const floors: number[] = [];
const mks: number[] = [];
for (let round = 0; round < 3; round++) {
  floors.push(await floor());
  mks.push(await mk());
}
const f = pct(floors, 50);
const m = pct(mks, 50);
console.log(`converge ${N} pods, concurrency ${CONCURRENCY}, median of 3 rounds`);
console.log(
  `  floor (dockerode create+start): ${(f / 1000).toFixed(2)} s   runs: ${floors.map((x) => (x / 1000).toFixed(2)).join(", ")}`,
);
console.log(
  `  mk apply -> all running:        ${(m / 1000).toFixed(2)} s   runs: ${mks.map((x) => (x / 1000).toFixed(2)).join(", ")}`,
);
console.log(`  ratio mk/floor: ${(m / f).toFixed(3)}  (goal <= 1.15)`);
const lat = await latency(20);
console.log(
  `apply -> running, one pod, server running, 20 runs: p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms (goal p99 <= 1000 ms)`,
);
