// Benchmark: how fast the autoscaler reacts on real Docker. A busybox CPU burner (request 100m,
// limit 200m) behind an autoscaling/v2 HPA (50 %, 1..3) on an in-process engine: time from load
// start to the first scale-up and to max, and from idle to the first scale-down and to min, printed
// next to the configured sync period, usage window and scale-down stabilization window. Prints
// numbers; asserts nothing. Run:
//   npx tsx bench/autoscaler.ts [--sync 5s] [--window 20s] [--stats 5s] [--cpu-init 30s]
//                               [--down-window 30s] [--prometheus URL]
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { Engine } from "../src/engine/engine.ts";
import { silentLogger } from "../src/lib/log.ts";
import { parseManifestText } from "../src/manifest/parse.ts";
import { parseDurationMs } from "../src/manifest/quantity.ts";
import type { PodSetObject } from "../src/manifest/types.ts";
import { Metrics } from "../src/metrics/registry.ts";
import { applyObjects } from "../src/ops/apply.ts";
import { Store } from "../src/store/store.ts";

const exec = promisify(execFile);
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const syncMs = parseDurationMs(arg("sync", "5s"));
const windowMs = parseDurationMs(arg("window", "20s"));
const statsMs = parseDurationMs(arg("stats", "5s"));
const downWindowS = parseDurationMs(arg("down-window", "30s")) / 1000;
const cpuInitMs = parseDurationMs(arg("cpu-init", "30s"));
const prometheus = arg("prometheus", "");

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: burn}
spec:
  selector: {matchLabels: {app: burn}}
  template:
    metadata: {labels: {app: burn}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: mk.local/busybox:1
        command: ["sh", "-c", "while :; do if [ -f /tmp/idle ]; then sleep 1; fi; done"]
        resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: burn}
spec:
  scaleTargetRef: {kind: Deployment, name: burn}
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: ${downWindowS}}
`;

const dir = mkdtempSync(join(tmpdir(), "mk-bench-hpa-"));
const store = Store.open(join(dir, "state.db"));
const cluster = store.clusterId();
const engine = new Engine({
  store,
  log: silentLogger,
  metrics: new Metrics(store),
  statsIntervalMs: statsMs,
  autoscaler: {
    syncMs,
    windowMs,
    tolerance: 0.1,
    cpuInitializationMs: cpuInitMs,
    ...(prometheus ? { prometheus: { url: prometheus, timeoutMs: 5000 } } : {}),
  },
});
const abort = new AbortController();
const loop = engine.run(abort.signal);

const replicas = () =>
  (JSON.parse(store.getObject("PodSet", "burn")?.spec ?? "{}") as PodSetObject).spec.replicas;
async function until(what: string, ok: () => boolean, timeoutMs = 15 * 60_000): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now();
}
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

try {
  const { objects, issues } = parseManifestText(MANIFESTS, "bench.yaml");
  if (issues.length) throw new Error(JSON.stringify(issues));
  const loadStartAvg = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const loadStart = Date.now();
  applyObjects(store, objects);
  const firstUp = await until("first scale-up", () => replicas() > 1);
  const atMax = await until("max replicas", () => replicas() === 3);
  // Wait for all three burners to run, then idle them.
  await until(
    "3 pods running",
    () => store.listPods().filter((p) => p.phase === "Running" && p.deletionAt === null).length === 3,
  );
  const list = await docker.listContainers({
    filters: { label: [`mk.cluster=${cluster}`, "mk.owner=burn"] },
  });
  const idleStart = Date.now();
  await Promise.all(list.map((c) => exec("docker", ["exec", c.Id, "touch", "/tmp/idle"])));
  const firstDown = await until("first scale-down", () => replicas() < 3);
  const atMin = await until("min replicas", () => replicas() === 1);
  console.log(
    `source ${prometheus ? `Prometheus ${prometheus}` : "Docker stats"}; sync ${s(syncMs)}, usage window ${s(windowMs)}, stats every ${s(statsMs)}, cpu init ${s(cpuInitMs)}, scale-down window ${downWindowS} s`,
  );
  console.log(`load start -> first scale-up   ${s(firstUp - loadStart)}`);
  console.log(`load start -> max (3)          ${s(atMax - loadStart)}`);
  console.log(`idle       -> first scale-down ${s(firstDown - idleStart)}   (window ${downWindowS} s)`);
  console.log(`idle       -> min (1)          ${s(atMin - idleStart)}`);
  console.log(
    `load average at the start ${loadStartAvg}, at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
} finally {
  abort.abort();
  await loop;
  store.close();
  const left = await docker.listContainers({ all: true, filters: { label: [`mk.cluster=${cluster}`] } });
  await Promise.all(
    left.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
}
