// Scheduler throughput: scheduleMany() places 10,000 pods (100 PodSets of 100 replicas) on 1,000
// nodes, several runs, and prints decisions per second (goal >= 10,000/s) with memory use.
// The cluster is varied enough to exercise every plugin: zone labels and nodeSelectors, NoSchedule
// and PreferNoSchedule taints with matching tolerations, cordoned, not-ready and settling nodes,
// and mixed node sizes. Run: npx tsx bench/scheduler.ts [runs] [pods] [nodes]
// Memory: "churn" is the heap growth over a run before collection (garbage included), "retained"
// the growth still there after a forced GC (the result), "peak rss" the process maximum.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { PodSpec, Taint, Toleration } from "../src/manifest/types.ts";
import { type ScheduleManyResult, scheduleMany } from "../src/scheduler/schedule.ts";
import type { NodeInfo, PodToSchedule, Strategy } from "../src/scheduler/types.ts";

const RUNS = Number(process.argv[2] ?? 5);
const PODS = Number(process.argv[3] ?? 10_000);
const NODES = Number(process.argv[4] ?? 1_000);
const GOAL = 10_000;
const MiB = 1024 * 1024;
const ZONES = ["a", "b", "c", "d"];

function makeNodes(count: number): NodeInfo[] {
  const nodes: NodeInfo[] = [];
  for (let i = 0; i < count; i++) {
    const taints: Taint[] = [];
    if (i % 10 === 0) taints.push({ key: "dedicated", value: "gpu", effect: "NoSchedule" });
    if (i % 7 === 0) taints.push({ key: "spot", effect: "PreferNoSchedule" });
    const big = i % 3 === 0;
    nodes.push({
      name: `node-${String(i).padStart(4, "0")}`,
      ready: i % 97 !== 0,
      schedulable: i % 89 !== 0,
      settled: i % 83 !== 0,
      labels: { "mk.io/zone": ZONES[i % ZONES.length]!, "mk.io/hostname": `node-${i}` },
      taints,
      allocatable: { cpuMilli: big ? 32_000 : 16_000, memoryBytes: (big ? 128 : 64) * 1024 * MiB },
      requested: { cpuMilli: (i % 5) * 1000, memoryBytes: (i % 5) * 2048 * MiB },
      podCount: i % 5,
      podSetCounts: i % 5 === 0 ? {} : { [`set-${i % 100}`]: 1 },
    });
  }
  return nodes;
}

function makePods(count: number): PodToSchedule[] {
  const pods: PodToSchedule[] = [];
  const sets = 100;
  for (let i = 0; i < count; i++) {
    const set = i % sets;
    const tolerations: Toleration[] =
      set % 4 === 0 ? [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] : [];
    const spec: PodSpec = {
      containers: [
        {
          name: "app",
          image: "mk.local/busybox:1",
          imagePullPolicy: "IfNotPresent",
          env: [],
          ports: [],
          resources: { requests: { cpuMilli: 100 + (set % 4) * 50, memoryBytes: 64 * MiB }, limits: {} },
        },
      ],
      restartPolicy: "Always",
      nodeSelector: set % 5 === 0 ? { "mk.io/zone": ZONES[set % ZONES.length]! } : {},
      tolerations,
      terminationGracePeriodSeconds: 30,
    };
    pods.push({ name: `set-${set}-${Math.floor(i / sets)}`, owner: `set-${set}`, spec });
  }
  return pods;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// A forced GC before and after each run, without requiring `node --expose-gc`.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const nodes = makeNodes(NODES);
const pods = makePods(PODS);
const mb = (bytes: number): string => `${(bytes / MiB).toFixed(2)} MiB`;

for (const strategy of ["least-loaded", "round-robin"] satisfies Strategy[]) {
  const rates: number[] = [];
  const churn: number[] = [];
  const retained: number[] = [];
  let bound = 0;
  console.log(`${strategy}: ${PODS} pods on ${NODES} nodes, ${RUNS} runs after a warm-up run`);
  scheduleMany(pods, nodes, { strategy });
  let result: ScheduleManyResult | undefined;
  for (let run = 1; run <= RUNS; run++) {
    result = undefined;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    result = scheduleMany(pods, nodes, { strategy });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    churn.push(process.memoryUsage().heapUsed - heapBefore);
    gc();
    retained.push(process.memoryUsage().heapUsed - heapBefore);
    bound = result.bindings.length;
    rates.push(PODS / seconds);
    console.log(
      `  run ${run}: ${(PODS / seconds).toFixed(0)} decisions/s (${(seconds * 1000).toFixed(0)} ms), ` +
        `heap churn ${mb(churn.at(-1)!)}, retained ${mb(retained.at(-1)!)}, ` +
        `${result.bindings.length} bound, ${result.failures.length} failed`,
    );
  }
  const rate = median(rates);
  console.log(
    `  median: ${rate.toFixed(0)} decisions/s (goal ${GOAL}: ${rate >= GOAL ? "met" : "NOT met"}), ` +
      `heap churn ${mb(median(churn))}, retained ${mb(median(retained))}, ${bound}/${PODS} bound`,
  );
}
const { rss } = process.memoryUsage();
console.log(`rss ${mb(rss)}, peak rss ${mb(process.resourceUsage().maxRSS * 1024)}`);
