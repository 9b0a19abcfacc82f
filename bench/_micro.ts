import type { PodSpec, Taint, Toleration } from "../src/manifest/types.ts";
import { DEFAULT_FILTERS } from "../src/scheduler/filters.ts";
import { DEFAULT_SCORES, makeScoreContext } from "../src/scheduler/scores.ts";
import { preparePod } from "../src/scheduler/schedule.ts";
import type { NodeInfo, PodToSchedule } from "../src/scheduler/types.ts";
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

import { scheduleMany } from "../src/scheduler/schedule.ts";
type W = NodeInfo & { requested: { cpuMilli: number; memoryBytes: number }; podCount: number; podSetCounts: Record<string, number> };
const nodes0 = makeNodes(1000);
const podsRaw = makePods(10000);
function fused(): number {
  const nodes: W[] = nodes0.map((n) => ({ ...n, requested: { ...n.requested }, podSetCounts: Object.assign(Object.create(null), n.podSetCounts), m: new Map(Object.entries(n.podSetCounts)) }));
  let placed = 0;
  for (const raw of podsRaw) {
    const pod = preparePod(raw);
    const feas: W[] = [];
    let maxOwner = 0;
    for (const node of nodes) {
      if (!node.ready || !node.settled || !node.schedulable) continue;
      if (pod.spec.nodeName !== undefined && pod.spec.nodeName !== node.name) continue;
      let ok = true;
      for (const [k, v] of pod.nodeSelector) if (node.labels[k] !== v) { ok = false; break; }
      if (!ok) continue;
      for (const t of node.taints) { if (t.effect === "PreferNoSchedule") continue; let tol = false; for (const x of pod.spec.tolerations) if ((x.key ?? "") === t.key) { tol = true; break; } if (!tol) { ok = false; break; } }
      if (!ok) continue;
      if (pod.requests.cpuMilli > node.allocatable.cpuMilli - node.requested.cpuMilli) continue;
      if (pod.requests.memoryBytes > node.allocatable.memoryBytes - node.requested.memoryBytes) continue;
      feas.push(node);
      if (pod.owner !== undefined) { const c = (node as unknown as {m: Map<string, number>}).m.get(pod.owner); if (typeof c === "number" && c > maxOwner) maxOwner = c; }
    }
    let best: W | undefined; let bestScore = -1;
    for (const node of feas) {
      const cpu = (node.allocatable.cpuMilli - node.requested.cpuMilli - pod.requests.cpuMilli) / node.allocatable.cpuMilli;
      const mem = (node.allocatable.memoryBytes - node.requested.memoryBytes - pod.requests.memoryBytes) / node.allocatable.memoryBytes;
      const c = (node as unknown as {m: Map<string, number>}).m.get(pod.owner!); const cnt = typeof c === "number" ? c : 0;
      const sp = maxOwner === 0 ? 100 : (100 * (maxOwner - cnt)) / maxOwner;
      const total = (((cpu + mem) / 2) * 100 + 2 * sp + 300) / 6;
      if (total > bestScore) { bestScore = total; best = node; }
    }
    if (best) { best.requested.cpuMilli += pod.requests.cpuMilli; best.requested.memoryBytes += pod.requests.memoryBytes; best.podCount++; const mm = (best as unknown as {m: Map<string, number>}).m; mm.set(pod.owner!, (mm.get(pod.owner!) ?? 0) + 1); placed++; }
  }
  return placed;
}
for (let r = 0; r < 4; r++) {
  let t = performance.now(); fused(); console.log("fused", (10000 / ((performance.now() - t) / 1000)).toFixed(0));
  t = performance.now(); scheduleMany(podsRaw, nodes0, { strategy: "least-loaded" }); console.log("real", (10000 / ((performance.now() - t) / 1000)).toFixed(0));
}
