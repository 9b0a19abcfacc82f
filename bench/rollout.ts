// Benchmark: wall time of a 20-replica rolling update (a new template: every pod replaced), on the
// local engine, on two lab hosts over SSH, and Docker Swarm's `docker service update` with the same
// parallelism in the same run. Prints numbers; asserts nothing. Swarm runs on the host daemon, so
// run it all under the lab lock (it leaves the swarm afterwards if it made one):
//   flock /tmp/mk-lab.lock npx tsx bench/rollout.ts [trials]        (BENCH_ONLY=lab: the lab hosts only)
// Ends with a markdown table and one JSON line (`{"bench":"rollout",...}`) for docs/benchmarks.md.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { templateHash } from "../src/controller/pods.ts";
import { Engine } from "../src/engine/engine.ts";
import { sleep } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/log.ts";
import type { MkObject, PodSetObject } from "../src/manifest/types.ts";
import { SSH_DEFAULTS, sshConnector } from "../src/node/ssh-docker.ts";
import { applyObjects } from "../src/ops/apply.ts";
import { addNode } from "../src/ops/commands.ts";
import { Store } from "../src/store/store.ts";
import { sleeperSpec } from "./pod-spec.ts";
import { swarmRollingTaskArgs } from "./swarm-service.ts";

const TRIALS = Number(process.argv[2] ?? 2);
const REPLICAS = 20;
const PARALLELISM = 5;
const LAB = "/tmp/mk-lab";
const lab = (script: string, ...args: string[]) =>
  execFileSync("bash", [join(import.meta.dirname, "../scripts/lab", script), ...args], { stdio: "ignore" });
const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();

function podSet(version: number, surge: number | string, unavailable: number | string): MkObject {
  const spec = sleeperSpec();
  spec.containers[0]?.env.push({ name: "VERSION", value: String(version) });
  return {
    kind: "PodSet",
    metadata: { name: "web", labels: {}, annotations: {} },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" }, annotations: {} }, spec },
      strategy: { type: "RollingUpdate", maxSurge: surge, maxUnavailable: unavailable },
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      rollbackOnFailure: false,
    },
    source: { file: "bench", line: 1, doc: 0, apiVersion: "mk/v1" },
  };
}

async function until(fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** Seconds from the new template to: REPLICAS new pods ready, and no old pod left at all. */
async function mkRollouts(
  where: "one node" | "two lab hosts",
  strategies: [number | string, number | string][],
): Promise<{ label: string; secs: number[] }[]> {
  const dir = mkdtempSync(join(tmpdir(), "mk-bench-rollout-"));
  const store = Store.open(join(dir, "state.db"));
  const lab2 = where === "two lab hosts";
  const engine = new Engine({
    store,
    log: silentLogger,
    localNode: !lab2,
    ...(lab2
      ? {
          ssh: sshConnector({
            ...SSH_DEFAULTS,
            knownHostsFile: `${LAB}/ssh/known_hosts`,
            log: silentLogger,
          }),
        }
      : {}),
  });
  const abort = new AbortController();
  const loop = engine.run(abort.signal);
  const out: { label: string; secs: number[] }[] = [];
  try {
    if (lab2) {
      for (const i of [1, 2])
        addNode(store, {
          name: `n${i}`,
          docker: `ssh://root@10.231.0.${10 + i}`,
          identityFile: `${LAB}/ssh/id_ed25519`,
        });
      await until(
        () => ["n1", "n2"].every((n) => store.getNode(n)?.state === "Ready"),
        30_000,
        "lab nodes ready",
      );
    }
    let version = 1;
    for (const [surge, unavailable] of strategies) {
      const secs: number[] = [];
      const settled = (hash: string) => {
        const pods = store.listPods({ ownerKind: "PodSet", ownerName: "web" });
        return (
          pods.length === REPLICAS &&
          pods.every((p) => p.templateHash === hash && p.ready && p.deletionAt === null)
        );
      };
      const first = podSet(version, surge, unavailable);
      applyObjects(store, [first]);
      await until(() => settled(templateHash(first as PodSetObject)), 60_000, "initial pods").catch((err) => {
        const seen = store
          .listPods()
          .map((p) => `${p.node}:${p.phase}:${p.reason ?? ""}:${p.message ?? ""}:${p.ready}`);
        throw new Error(`${(err as Error).message}: ${[...new Set(seen)].join(", ")}`);
      });
      for (let t = 0; t < TRIALS; t++) {
        version++;
        const next = podSet(version, surge, unavailable);
        const t0 = performance.now();
        applyObjects(store, [next]);
        await until(() => settled(templateHash(next as PodSetObject)), 300_000, "rollout");
        secs.push((performance.now() - t0) / 1000);
        console.log(`${where} maxSurge ${surge} maxUnavailable ${unavailable}: ${secs.at(-1)?.toFixed(1)} s`);
      }
      out.push({ label: `mk, ${where}, maxSurge ${surge} / maxUnavailable ${unavailable}`, secs });
    }
  } finally {
    abort.abort();
    await loop;
    // The bench's containers on the local engine carry this state's cluster id: remove exactly those.
    if (!lab2) {
      const ids = docker("ps", "-aq", "--filter", `label=mk.cluster=${store.clusterId()}`)
        .split("\n")
        .filter(Boolean);
      if (ids.length > 0) docker("rm", "-f", ...ids);
    }
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** Docker Swarm on the host daemon: `docker service update` of 20 replicas, parallelism 5, start-first. */
async function swarmRollouts(): Promise<{ label: string; secs: number[] }[]> {
  const state = docker("info", "--format", "{{.Swarm.LocalNodeState}}");
  const made = state !== "active";
  // swarm init makes docker_gwbridge on the shared daemon: removed again only if it was not there before.
  const gwbridgeBefore = docker("network", "ls", "-q", "--filter", "name=^docker_gwbridge$") !== "";
  if (made) docker("swarm", "init", "--advertise-addr", "127.0.0.1");
  const name = `mkbench-rollout-${process.pid}`;
  const secs: number[] = [];
  try {
    docker(
      "service",
      "create",
      "--quiet",
      "--detach=false",
      "--name",
      name,
      "--replicas",
      String(REPLICAS),
      ...swarmRollingTaskArgs(PARALLELISM, "mk.local/busybox:1"),
    );
    for (let t = 0; t < TRIALS; t++) {
      const t0 = performance.now();
      docker("service", "update", "--quiet", "--detach=false", "--env-add", `VERSION=${t + 2}`, name);
      // --detach=false returns when the update converged; the old tasks are shut down by then.
      secs.push((performance.now() - t0) / 1000);
      console.log(`swarm update-parallelism ${PARALLELISM} start-first: ${secs.at(-1)?.toFixed(1)} s`);
    }
  } finally {
    try {
      docker("service", "rm", name);
    } catch {
      // not created
    }
    if (made) docker("swarm", "leave", "--force");
    if (made && !gwbridgeBefore) {
      try {
        docker("network", "rm", "docker_gwbridge");
      } catch {
        // in use by someone else's container: leave it
      }
    }
  }
  return [{ label: `Docker Swarm, one node, update-parallelism ${PARALLELISM}, start-first`, secs }];
}

const load0 = loadavg();
const strategies: [number | string, number | string][] = [
  [PARALLELISM, 0], // the same parallelism as Swarm's start-first batches of 5
  ["25%", "25%"], // Kubernetes' defaults
];
// BENCH_ONLY=lab: only the two lab hosts (the rest needs no lab).
const only = process.env.BENCH_ONLY;
const results = only === "lab" ? [] : [...(await mkRollouts("one node", strategies))];
if (only !== "lab") results.push(...(await swarmRollouts()));
lab("nodes-up.sh", "2");
try {
  results.push(...(await mkRollouts("two lab hosts", strategies)));
} finally {
  lab("nodes-down.sh");
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `\n| ${REPLICAS}-replica rolling update | trials | median (s) | min (s) | max (s) |\n|---|---|---|---|---|`,
);
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.secs.length} | ${median(r.secs).toFixed(1)} | ${Math.min(...r.secs).toFixed(1)} | ${Math.max(...r.secs).toFixed(1)} |`,
  );
}
const load1 = loadavg();
const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
console.log(
  `load average at start ${fmt(load0)}, at end ${fmt(load1)} (1, 5, 15 min; ${process.env.BENCH_NOTE ?? "2 cores"})`,
);
console.log(
  JSON.stringify({
    bench: "rollout",
    replicas: REPLICAS,
    at: new Date().toISOString(),
    loadavg: { start: load0, end: load1 },
    rows: results.map((r) => ({ label: r.label, trials: r.secs, median: median(r.secs) })),
  }),
);
