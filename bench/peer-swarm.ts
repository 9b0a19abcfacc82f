// Benchmark: mk against Docker Swarm mode on the same two lab hosts (scripts/lab: network namespaces with
// their own dockerd and sshd), the same image and the same workloads, in one run. Prints numbers and a
// markdown table; asserts nothing.
//
//   converge  N = 30 and 100 replicas, from one command to all running (each system, its defaults)
//   rest      control-plane CPU and memory over 30 s at rest with 100 replicas running
//   failover  a crashed host (node-kill.sh) and a cut-off host (node-link.sh down), 4 replicas spread
//             2/2: time until all 4 run on the other host, with each system's defaults and then tuned
//   rollout   a 20-replica rolling update across both hosts with the same parallelism: Swarm's
//             `service update` (parallelism 5, start-first) against mk's maxSurge 5 / maxUnavailable 0
//   all       every mode above, one after another (about 15 minutes: for a quiet machine)
//
// Every mode ends with a markdown table (each number with the 1-minute load average when it was
// taken) and one JSON line `{"bench":"peer-swarm",...}`: paste both into docs/benchmarks.md.
//
// Swarm's manager is the host's dockerd (swarm init --advertise-addr 10.231.0.1), the lab hosts join it as
// workers, and services are constrained to workers; mk runs in this process (Engine, SSH to the same
// hosts). The Swarm and the lab are shared: run it only under the lab lock, one mode per command:
//   flock /tmp/mk-lab.lock npx tsx bench/peer-swarm.ts converge   (then: rest, failover [defaults|tuned], rollout)
// The swarm is left (docker swarm leave --force) and the lab torn down at the end of every run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
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
import { swarmRollingTaskArgs } from "./swarm-service.ts";

const MODES = ["converge", "rest", "failover", "rollout"] as const;
const MODE = process.argv[2] ?? "converge";
/** failover only: `defaults` or `tuned` (absent: both; each half fits the lab lock's ~8 minutes). */
const VARIANT = process.argv[3];
if (VARIANT !== undefined && (MODE !== "failover" || !["defaults", "tuned"].includes(VARIANT))) {
  console.error("usage: npx tsx bench/peer-swarm.ts failover [defaults|tuned]");
  process.exit(2);
}
if (![...MODES, "all"].includes(MODE)) {
  console.error("usage: npx tsx bench/peer-swarm.ts converge|rest|failover|rollout|all");
  process.exit(2);
}
const LAB = "/tmp/mk-lab";
const IMAGE = "mk.local/busybox:1";
const MANAGER = "10.231.0.1";
const sh = (cmd: string, args: string[], timeout = 120_000) =>
  execFileSync(cmd, args, { encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"] }).trim();
const lab = (script: string, ...args: string[]) =>
  execFileSync("bash", [join(import.meta.dirname, "../scripts/lab", script), ...args], { stdio: "ignore" });
const host = (...args: string[]) => sh("docker", args);
const worker = (i: number, ...args: string[]) =>
  sh("docker", ["-H", `unix://${LAB}/n${i}/docker.sock`, ...args]);
const secs = (t0: number) => (performance.now() - t0) / 1000;

const T0 = performance.now();
const progress = (what: string) =>
  console.error(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${what}`);

async function until(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  progress(`waiting: ${what}`);
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

/** A measurement, or why it failed: one system's failure must not lose the other's number. */
async function attempt(what: string, fn: () => Promise<number>): Promise<string> {
  try {
    return (await fn()).toFixed(2);
  } catch (err) {
    progress(`${what} failed: ${(err as Error).message}`);
    return `failed (${(err as Error).message})`;
  }
}

interface Row {
  workload: string;
  swarm: string;
  mk: string;
  /** 1-minute load average when each number was taken. */
  loadSwarm: number;
  loadMk: number;
}
const rows: Row[] = [];
/** Runs both measurements (Swarm first), each noted with the load average at its end. */
async function compare(
  workload: string,
  swarm: () => Promise<string>,
  mk: () => Promise<string>,
): Promise<void> {
  const s = await swarm();
  const loadSwarm = loadavg()[0] ?? 0;
  const m = await mk();
  const loadMk = loadavg()[0] ?? 0;
  const r = { workload, swarm: s, mk: m, loadSwarm, loadMk };
  rows.push(r);
  console.log(
    `${workload} | swarm ${s} (load ${loadSwarm.toFixed(1)}) | mk ${m} (load ${loadMk.toFixed(1)})`,
  );
}

// ---- Swarm

const SVC = "mkrace";
let swarmInit = false;
let gwbridgeBefore = true;

function swarmUp(): void {
  gwbridgeBefore = host("network", "ls", "-q", "--filter", "name=^docker_gwbridge$") !== "";
  if (host("info", "--format", "{{.Swarm.LocalNodeState}}") !== "inactive")
    throw new Error("the host dockerd is already in a swarm: refusing to touch it");
  host("swarm", "init", "--advertise-addr", MANAGER, "--listen-addr", `${MANAGER}:2377`);
  swarmInit = true;
  const token = host("swarm", "join-token", "-q", "worker");
  for (const i of [1, 2]) worker(i, "swarm", "join", "--token", token, `${MANAGER}:2377`);
}

function swarmDown(): void {
  try {
    host("service", "rm", SVC);
  } catch {}
  for (const i of [1, 2]) {
    try {
      worker(i, "swarm", "leave", "--force");
    } catch {}
  }
  if (swarmInit) host("swarm", "leave", "--force");
  // swarm init made docker_gwbridge on the shared host daemon; remove it only if it was not there before.
  if (!gwbridgeBefore) {
    try {
      host("network", "rm", "docker_gwbridge");
    } catch {}
  }
}

/** Running tasks of the service per node hostname. */
function swarmRunning(): Map<string, number> {
  const out = host(
    "service",
    "ps",
    SVC,
    "--filter",
    "desired-state=running",
    "--format",
    "{{.Node}} {{.CurrentState}}",
  );
  const m = new Map<string, number>();
  for (const line of out.split("\n")) {
    const [node, state] = line.split(" ");
    if (node && state === "Running") m.set(node, (m.get(node) ?? 0) + 1);
  }
  return m;
}
const swarmTotal = () => [...swarmRunning().values()].reduce((a, b) => a + b, 0);

async function swarmService(replicas: number): Promise<number> {
  const t0 = performance.now();
  host(
    "service",
    "create",
    "--detach",
    "--no-resolve-image",
    "--name",
    SVC,
    "--replicas",
    String(replicas),
    "--constraint",
    "node.role==worker",
    "--stop-grace-period",
    "0s",
    IMAGE,
    "sleep",
    "3600",
  );
  await until(() => swarmTotal() === replicas, 300_000, `swarm ${replicas} running`);
  return secs(t0);
}

async function swarmRemove(): Promise<void> {
  host("service", "rm", SVC);
  await until(
    () =>
      [1, 2].every(
        (i) => worker(i, "ps", "-q", "--filter", `label=com.docker.swarm.service.name=${SVC}`) === "",
      ),
    120_000,
    "swarm tasks gone",
  );
}

// ---- mk

function podSet(replicas: number, rolling?: { version: number; surge: number }): MkObject {
  const spec = sleeperSpec();
  if (rolling) spec.containers[0]?.env.push({ name: "VERSION", value: String(rolling.version) });
  return {
    kind: "PodSet",
    metadata: { name: "race", labels: {}, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: "race" } },
      template: { metadata: { labels: { app: "race" }, annotations: {} }, spec },
      strategy: rolling
        ? { type: "RollingUpdate", maxSurge: rolling.surge, maxUnavailable: 0 }
        : { type: "Recreate" },
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      rollbackOnFailure: false,
    },
    source: { file: "bench", line: 1, doc: 0, apiVersion: "mk/v1" },
  };
}

interface MkTuning {
  heartbeatMs?: number;
  nodeGraceMs?: number;
  evictionDelayMs?: number;
  keepaliveIntervalMs: number;
  readyTimeoutMs: number;
}
const MK_DEFAULTS: MkTuning = {
  keepaliveIntervalMs: SSH_DEFAULTS.keepaliveIntervalMs,
  readyTimeoutMs: SSH_DEFAULTS.readyTimeoutMs,
};
const MK_TUNED: MkTuning = {
  heartbeatMs: 500,
  nodeGraceMs: 2000,
  evictionDelayMs: 500,
  keepaliveIntervalMs: 500,
  readyTimeoutMs: 2000,
};

async function withMk<T>(tuning: MkTuning, fn: (store: Store) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "mk-bench-swarm-"));
  const store = Store.open(join(dir, "state.db"));
  const { keepaliveIntervalMs, readyTimeoutMs, ...timing } = tuning;
  const engine = new Engine({
    store,
    log: silentLogger,
    localNode: false,
    ...timing,
    ssh: sshConnector({
      ...SSH_DEFAULTS,
      knownHostsFile: `${LAB}/ssh/known_hosts`,
      readyTimeoutMs,
      keepaliveIntervalMs,
      // As mk server's default: enough unanswered keepalives to cover the node grace, at least 3.
      keepaliveCountMax: Math.max(3, Math.ceil((timing.nodeGraceMs ?? 4000) / keepaliveIntervalMs)),
      log: silentLogger,
    }),
  });
  const abort = new AbortController();
  const loop = engine.run(abort.signal);
  try {
    for (const i of [1, 2])
      addNode(store, {
        name: `n${i}`,
        docker: `ssh://root@10.231.0.${10 + i}`,
        identityFile: `${LAB}/ssh/id_ed25519`,
      });
    await until(
      () => [1, 2].every((i) => store.getNode(`n${i}`)?.state === "Ready"),
      60_000,
      "mk nodes ready",
    );
    return await fn(store);
  } finally {
    abort.abort();
    await loop;
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mkLive = (store: Store) => store.listPods().filter((p) => p.deletionAt === null);
const mkRunningOn = (store: Store, node?: string) =>
  mkLive(store).filter((p) => p.phase === "Running" && (node === undefined || p.node === node)).length;

async function mkConverge(store: Store, replicas: number): Promise<number> {
  const t0 = performance.now();
  applyObjects(store, [podSet(replicas)]);
  let last = "";
  await until(
    () => {
      const phases = mkLive(store).map((p) => `${p.node ?? "-"}:${p.phase}`);
      const summary = [...new Set(phases)]
        .map((k) => `${k}=${phases.filter((x) => x === k).length}`)
        .join(" ");
      if (summary !== last) progress(`mk pods ${summary}`);
      last = summary;
      return mkRunningOn(store) === replicas;
    },
    150_000,
    `mk ${replicas} running`,
  );
  return secs(t0);
}

async function mkScaleZero(store: Store): Promise<void> {
  scalePodSet(store, "race", 0);
  await until(() => store.listPods().length === 0, 120_000, "mk scaled to 0");
}

// ---- resource use at rest

function procTimes(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]); // utime + stime
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return { cpuS: ticks / 100, rssMiB: Number(rss) / 1024 };
}

async function atRest(measure: () => { cpuS: number; rssMiB: number }, windowS = 30): Promise<string> {
  const a = measure();
  await sleep(windowS * 1000);
  const b = measure();
  return `${(((b.cpuS - a.cpuS) / windowS) * 100).toFixed(1)} % of a core, RSS ${b.rssMiB.toFixed(0)} MiB`;
}

// ---- failover

async function swarmFailover(kind: "crash" | "partition"): Promise<number> {
  await swarmService(4);
  await until(
    () => swarmRunning().get("mklab-n1") === 2 && swarmRunning().get("mklab-n2") === 2,
    60_000,
    "swarm 2/2",
  );
  const t0 = performance.now();
  if (kind === "crash") lab("node-kill.sh", "1");
  else lab("node-link.sh", "1", "down");
  await until(() => swarmRunning().get("mklab-n2") === 4, 180_000, "swarm: all 4 on n2");
  const t = secs(t0);
  if (kind === "crash") lab("node-reboot.sh", "1");
  else lab("node-link.sh", "1", "up");
  await swarmRemove().catch(() => undefined);
  await until(
    () => host("node", "ls", "--format", "{{.Hostname}} {{.Status}}").includes("mklab-n1 Ready"),
    120_000,
    "swarm n1 back",
  );
  return t;
}

async function mkFailover(tuning: MkTuning, kind: "crash" | "partition"): Promise<number> {
  return withMk(tuning, async (store) => {
    applyObjects(store, [podSet(4)]);
    await until(() => mkRunningOn(store, "n1") === 2 && mkRunningOn(store, "n2") === 2, 60_000, "mk 2/2");
    const t0 = performance.now();
    if (kind === "crash") lab("node-kill.sh", "1");
    else lab("node-link.sh", "1", "down");
    await until(() => mkRunningOn(store, "n2") === 4, 180_000, "mk: all 4 on n2");
    const t = secs(t0);
    if (kind === "crash") lab("node-reboot.sh", "1");
    else lab("node-link.sh", "1", "up");
    await until(() => store.getNode("n1")?.state === "Ready", 60_000, "mk n1 back");
    await mkScaleZero(store);
    return t;
  });
}

// ---- rolling update

const ROLL_REPLICAS = 20;
const PARALLELISM = 5;

async function swarmRollout(): Promise<number> {
  host(
    "service",
    "create",
    "--quiet",
    "--detach=false",
    "--no-resolve-image",
    "--name",
    SVC,
    "--replicas",
    String(ROLL_REPLICAS),
    "--constraint",
    "node.role==worker",
    ...swarmRollingTaskArgs(PARALLELISM, IMAGE),
  );
  const t0 = performance.now();
  // --detach=false returns when the update converged (old tasks shut down).
  sh("docker", ["service", "update", "--quiet", "--detach=false", "--env-add", "VERSION=2", SVC], 300_000);
  const t = secs(t0);
  await swarmRemove();
  return t;
}

async function mkRollout(store: Store): Promise<number> {
  const settled = (version: number) => {
    const pods = store.listPods({ ownerKind: "PodSet", ownerName: "race" });
    return (
      pods.length === ROLL_REPLICAS &&
      pods.every((p) => p.ready && p.deletionAt === null && p.spec.includes(`"VERSION","value":"${version}"`))
    );
  };
  applyObjects(store, [podSet(ROLL_REPLICAS, { version: 1, surge: PARALLELISM })]);
  await until(() => settled(1), 150_000, "mk 20 running");
  const t0 = performance.now();
  applyObjects(store, [podSet(ROLL_REPLICAS, { version: 2, surge: PARALLELISM })]);
  await until(() => settled(2), 300_000, "mk rollout done");
  const t = secs(t0);
  await mkScaleZero(store);
  return t;
}

// ---- main

const started = performance.now();
const load0 = loadavg();
lab("nodes-up.sh", "2");
try {
  swarmUp();
  for (const mode of MODE === "all" ? MODES : [MODE]) {
    if (mode === "converge") {
      for (const n of [30, 100]) {
        await compare(
          `converge ${n} replicas, command -> all running (s)`,
          () =>
            attempt(`swarm ${n}`, async () => {
              const t = await swarmService(n);
              progress(`swarm: ${n} running after ${t.toFixed(2)} s`);
              await swarmRemove();
              return t;
            }),
          () =>
            attempt(`mk ${n}`, () =>
              withMk(MK_DEFAULTS, async (store) => {
                const t = await mkConverge(store, n);
                progress(`mk: ${n} running after ${t.toFixed(2)} s`);
                await mkScaleZero(store);
                return t;
              }),
            ),
        );
      }
    } else if (mode === "rest") {
      const dockerd = Number(readFileSync("/var/run/docker.pid", "utf8").trim());
      await compare(
        "control plane at rest, 100 replicas: CPU, RSS",
        async () => {
          await swarmService(100);
          const r = await atRest(() => procTimes(dockerd));
          await swarmRemove();
          return `${r} (manager: the host dockerd)`;
        },
        () =>
          withMk(MK_DEFAULTS, async (store) => {
            await mkConverge(store, 100);
            await sleep(5000);
            const r = await atRest(() => procTimes(process.pid));
            await mkScaleZero(store);
            return `${r} (the bench process)`;
          }),
      );
    } else if (mode === "failover") {
      for (const kind of VARIANT === "tuned" ? [] : (["crash", "partition"] as const)) {
        await compare(
          `${kind === "crash" ? "crashed host" : "cut-off host"} -> its 2 pods running on the other, defaults (s)`,
          () => attempt(`swarm ${kind}`, () => swarmFailover(kind)),
          () => attempt(`mk ${kind}`, () => mkFailover(MK_DEFAULTS, kind)),
        );
      }
      host("swarm", "update", "--dispatcher-heartbeat", "1s");
      for (const kind of VARIANT === "defaults" ? [] : (["crash", "partition"] as const)) {
        await compare(
          `${kind === "crash" ? "crashed host" : "cut-off host"}, tuned (s)`,
          () => attempt(`swarm ${kind} tuned`, () => swarmFailover(kind)),
          () => attempt(`mk ${kind} tuned`, () => mkFailover(MK_TUNED, kind)),
        );
      }
      host("swarm", "update", "--dispatcher-heartbeat", "5s");
    } else {
      await compare(
        `rolling update of ${ROLL_REPLICAS} replicas, ${PARALLELISM} at a time, start-first (s)`,
        () => attempt("swarm rollout", swarmRollout),
        () => attempt("mk rollout", () => withMk(MK_DEFAULTS, mkRollout)),
      );
    }
  }
} finally {
  swarmDown();
  lab("nodes-down.sh");
}
const swarmVersion = host("version", "--format", "{{.Server.Version}}");
console.log(
  `\n| workload (${MODE}) | Docker Swarm ${swarmVersion} | mk | load avg (1 min) |\n|---|---:|---:|---:|`,
);
for (const r of rows)
  console.log(
    `| ${r.workload} | ${r.swarm} | ${r.mk} | ${r.loadSwarm.toFixed(1)} / ${r.loadMk.toFixed(1)} |`,
  );
console.log(
  `(${secs(started).toFixed(0)} s in all; load average ${load0.map((x) => x.toFixed(2)).join(" ")} at the start, ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")} at the end)`,
);
if (MODE === "failover" || MODE === "all")
  console.log(
    "mk tuned: heartbeat 0.5 s, node grace 2 s, eviction delay 0.5 s, SSH keepalive 0.5 s x 4; swarm tuned: --dispatcher-heartbeat 1s",
  );
console.log(
  JSON.stringify({
    bench: "peer-swarm",
    mode: MODE,
    at: new Date().toISOString(),
    swarm: swarmVersion,
    loadavg: { start: load0, end: loadavg() },
    rows,
  }),
);
