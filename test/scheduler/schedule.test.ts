import assert from "node:assert/strict";
import { test } from "node:test";
import type { Taint, Toleration } from "../../src/manifest/types.ts";
import { DEFAULT_FILTERS } from "../../src/scheduler/filters.ts";
import {
  evictionsForNoExecute,
  type NoExecuteEvictions,
  podRequests,
  schedule,
  scheduleMany,
} from "../../src/scheduler/schedule.ts";
import type { NodeInfo, PodToSchedule, ScheduleOptions } from "../../src/scheduler/types.ts";
import { GiB, makeNode, makePodToSchedule, type PodOverrides } from "./fixtures.ts";

const leastLoaded: ScheduleOptions = { strategy: "least-loaded" };

/** Nodes n1, n2, ... with the given overrides. */
function makeNodes(...overrides: Partial<NodeInfo>[]): NodeInfo[] {
  return overrides.map((node, i) => makeNode({ name: `n${i + 1}`, ...node }));
}

function makePod(overrides: PodOverrides = {}): PodToSchedule {
  return makePodToSchedule(overrides, { cpuMilli: 100, memoryBytes: 128 * 1024 ** 2 });
}

function replicas(
  owner: string,
  count: number,
  overrides: Parameters<typeof makePod>[0] = {},
): PodToSchedule[] {
  return Array.from({ length: count }, (_, i) => makePod({ name: `${owner}-${i}`, owner, ...overrides }));
}

/** Node name -> pods bound there. */
function countPerNode(bindings: { node: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { node } of bindings) counts[node] = (counts[node] ?? 0) + 1;
  return counts;
}

function placedOn(pod: PodToSchedule, nodes: readonly NodeInfo[], opts = leastLoaded): string {
  const result = schedule(pod, nodes, opts);
  assert.ok(result.ok, result.ok ? "" : result.reason);
  return result.node;
}

const gpu: Taint = { key: "dedicated", value: "gpu", effect: "NoSchedule" };

test("podRequests() sums the containers' requests and counts a missing amount as 0", () => {
  const container = makePod().spec.containers[0]!;
  const spec = makePod({
    containers: [
      { ...container, resources: { requests: { cpuMilli: 250 }, limits: {} } },
      { ...container, resources: { requests: { memoryBytes: GiB }, limits: {} } },
      { ...container, resources: { requests: { cpuMilli: 50, memoryBytes: GiB }, limits: {} } },
    ],
  }).spec;
  assert.deepEqual(podRequests(spec), { cpuMilli: 300, memoryBytes: 2 * GiB });
});

test("schedule() places a pod on the node with the most free cpu and memory when least-loaded", () => {
  const nodes = makeNodes(
    { requested: { cpuMilli: 3000, memoryBytes: GiB } },
    { requested: { cpuMilli: 1000, memoryBytes: GiB } },
    { requested: { cpuMilli: 1000, memoryBytes: 4 * GiB } },
  );
  const result = schedule(makePod({ cpuMilli: 1000, memoryBytes: GiB }), nodes, leastLoaded);
  assert.ok(result.ok);
  assert.equal(result.node, "n2");
  assert.deepEqual(Object.keys(result.scores), ["n1", "n2", "n3"]);
  assert.ok(result.scores.n2! > result.scores.n3! && result.scores.n3! > result.scores.n1!);
});

test("schedule() places a pod on the first node by name when nodes tie, whatever the input order", () => {
  const nodes = makeNodes({}, {}, {}).reverse();
  assert.equal(nodes[0]!.name, "n3");
  for (let run = 0; run < 3; run++) assert.equal(placedOn(makePod(), nodes), "n1");
});

test("schedule() places a pod on the node with fewer pods when scores tie", () => {
  const nodes = makeNodes({ podCount: 3 }, { podCount: 1 }, { podCount: 2 });
  assert.equal(placedOn(makePod({ cpuMilli: 0, memoryBytes: 0 }), nodes), "n2");
});

test("schedule() reports every reason grouped by count, then text, when no node fits", () => {
  const nodes = makeNodes(
    { requested: { cpuMilli: 3900, memoryBytes: 0 } },
    { taints: [gpu] },
    { allocatable: { cpuMilli: 500, memoryBytes: 8 * GiB } },
  );
  const result = schedule(makePod({ name: "web-1", cpuMilli: 1000 }), nodes, leastLoaded);
  assert.deepEqual(result, {
    ok: false,
    reason: "0/3 nodes are available: 2 Insufficient cpu, 1 untolerated taint dedicated=gpu:NoSchedule",
    perNode: {
      n1: "Insufficient cpu",
      n2: "untolerated taint dedicated=gpu:NoSchedule",
      n3: "Insufficient cpu",
    },
    transient: false,
    rrCursor: 0,
  });
});

const transientCases: { title: string; nodes: Partial<NodeInfo>[]; want: boolean }[] = [
  { title: "a node not ready that would fit", nodes: [{ ready: false }], want: true },
  {
    title: "a node settling that would fit",
    nodes: [{ settled: false }, { schedulable: false }],
    want: true,
  },
  { title: "not ready and settling, nothing else", nodes: [{ ready: false, settled: false }], want: true },
  {
    title: "a node not ready that would still lack cpu",
    nodes: [{ ready: false, requested: { cpuMilli: 4000, memoryBytes: 0 } }],
    want: false,
  },
  {
    title: "a node not ready with an untolerated taint, another cordoned",
    nodes: [{ ready: false, taints: [gpu] }, { schedulable: false }],
    want: false,
  },
  { title: "only lasting rejections", nodes: [{ schedulable: false }, { taints: [gpu] }], want: false },
  { title: "no nodes at all", nodes: [], want: false },
];

for (const c of transientCases) {
  test(`schedule() flags an unschedulable pod transient only when some node refuses it by transient filters alone: ${c.title}`, () => {
    const result = schedule(makePod({ name: "web-1", cpuMilli: 1000 }), makeNodes(...c.nodes), leastLoaded);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.transient, c.want);
  });
}

test("the transient flag comes from the filters: NodeReady and NodeSettled only", () => {
  assert.deepEqual(
    DEFAULT_FILTERS.filter((f) => f.transient).map((f) => f.name),
    ["NodeReady", "NodeSettled"],
  );
});

const messageCases: {
  title: string;
  nodes: Partial<NodeInfo>[];
  pod?: Parameters<typeof makePod>[0];
  want: string;
}[] = [
  {
    title: "equal counts are sorted by text",
    nodes: [
      { ready: false },
      { schedulable: false },
      { requested: { cpuMilli: 0, memoryBytes: 8 * GiB } },
      { requested: { cpuMilli: 0, memoryBytes: 8 * GiB } },
    ],
    want: "0/4 nodes are available: 2 Insufficient memory, 1 node is cordoned, 1 node is not ready",
  },
  {
    title: "a node is counted once, under its first rejection",
    nodes: [
      { ready: false, schedulable: false, taints: [gpu], requested: { cpuMilli: 4000, memoryBytes: 0 } },
    ],
    want: "0/1 nodes are available: 1 node is not ready",
  },
  {
    title: "settling, selector and node name rejections have their own text",
    nodes: [{ settled: false }, { labels: { zone: "b" } }, { name: "other", labels: { zone: "a" } }],
    pod: { nodeName: "n2", nodeSelector: { zone: "a" } },
    want:
      "0/3 nodes are available: 1 node is settling after a restart, " +
      "1 node(s) didn't match nodeSelector, 1 node(s) didn't match the requested node name",
  },
  {
    title: "there are no nodes at all",
    nodes: [],
    want: "0/0 nodes are available: no nodes registered",
  },
];

for (const { title, nodes, pod, want } of messageCases) {
  test(`schedule() explains the failure when ${title}`, () => {
    const result = schedule(makePod(pod), makeNodes(...nodes), leastLoaded);
    assert.ok(!result.ok);
    assert.equal(result.reason, want);
  });
}

const taintCases: {
  title: string;
  nodes: Partial<NodeInfo>[];
  tolerations?: Toleration[];
  want: string | undefined;
}[] = [
  {
    title: "on an untainted node when the other has an untolerated NoSchedule taint",
    nodes: [{ taints: [gpu] }, { requested: { cpuMilli: 2000, memoryBytes: 0 } }],
    want: "n2",
  },
  {
    title: "on a NoSchedule-tainted node when the pod tolerates the taint",
    nodes: [{ taints: [gpu] }, { requested: { cpuMilli: 2000, memoryBytes: 0 } }],
    tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
    want: "n1",
  },
  {
    title: "on an untainted busier node when the emptier one has an untolerated PreferNoSchedule taint",
    nodes: [
      { taints: [{ key: "spot", effect: "PreferNoSchedule" }] },
      { requested: { cpuMilli: 3000, memoryBytes: 6 * GiB } },
    ],
    want: "n2",
  },
  {
    title: "on a PreferNoSchedule-tainted node when no other node is feasible",
    nodes: [{ taints: [{ key: "spot", effect: "PreferNoSchedule" }] }, { schedulable: false }],
    want: "n1",
  },
  {
    title: "on an untainted node when the other has an untolerated NoExecute taint",
    nodes: [
      { taints: [{ key: "maintenance", effect: "NoExecute" }] },
      { requested: { cpuMilli: 2000, memoryBytes: 0 } },
    ],
    want: "n2",
  },
  {
    title: "on a NoExecute-tainted node when the pod tolerates it for a while",
    nodes: [
      { taints: [{ key: "maintenance", effect: "NoExecute" }] },
      { requested: { cpuMilli: 2000, memoryBytes: 0 } },
    ],
    tolerations: [{ key: "maintenance", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
    want: "n1",
  },
  {
    title: "nowhere when every node has an untolerated NoSchedule or NoExecute taint",
    nodes: [{ taints: [gpu] }, { taints: [{ key: "maintenance", effect: "NoExecute" }] }],
    want: undefined,
  },
];

for (const { title, nodes, tolerations = [], want } of taintCases) {
  test(`schedule() places a pod ${title}`, () => {
    const result = schedule(makePod({ tolerations }), makeNodes(...nodes), leastLoaded);
    assert.equal(result.ok ? result.node : undefined, want);
  });
}

test("schedule() places a pod on its nodeName even when another node is emptier", () => {
  const nodes = makeNodes({}, { requested: { cpuMilli: 3000, memoryBytes: 0 } });
  assert.equal(placedOn(makePod({ nodeName: "n2" }), nodes), "n2");
});

test("schedule() places a pod only on nodes matching its nodeSelector", () => {
  const nodes = makeNodes(
    { labels: { zone: "a" } },
    { labels: { zone: "b", disk: "ssd" } },
    { labels: { zone: "b" } },
  );
  assert.equal(placedOn(makePod({ nodeSelector: { zone: "b", disk: "ssd" } }), nodes), "n2");
});

test("schedule() places pods round-robin in name order when the cursor is threaded through", () => {
  const nodes = makeNodes({ requested: { cpuMilli: 3000, memoryBytes: 0 } }, {}, {}).reverse();
  const placed: string[] = [];
  let rrCursor = 0;
  for (let i = 0; i < 5; i++) {
    const result = schedule(makePod(), nodes, { strategy: "round-robin", rrCursor });
    assert.ok(result.ok);
    assert.deepEqual(result.scores, {});
    placed.push(result.node);
    rrCursor = result.rrCursor;
  }
  assert.deepEqual(placed, ["n1", "n2", "n3", "n1", "n2"]);
});

test("schedule() places a pod round-robin on the next feasible node when the cursor's node is not", () => {
  const nodes = makeNodes({}, { schedulable: false }, { taints: [gpu] }, {});
  const result = schedule(makePod(), nodes, { strategy: "round-robin", rrCursor: 1 });
  assert.deepEqual(result.ok && [result.node, result.rrCursor], ["n4", 0]);
  const wrapped = schedule(makePod(), nodes, { strategy: "round-robin", rrCursor: 6 });
  assert.deepEqual(wrapped.ok && [wrapped.node, wrapped.rrCursor], ["n4", 0]);
});

test("schedule() keeps the cursor when least-loaded or when no node fits", () => {
  const nodes = makeNodes({}, {});
  assert.equal(schedule(makePod(), nodes, { strategy: "least-loaded", rrCursor: 5 }).rrCursor, 5);
  const full = schedule(makePod({ cpuMilli: 9000 }), nodes, { strategy: "round-robin", rrCursor: 1 });
  assert.deepEqual([full.ok, full.rrCursor], [false, 1]);
});

const spreadCases: { title: string; nodes: Partial<NodeInfo>[]; opts: ScheduleOptions; want: string[] }[] = [
  { title: "over 2 nodes 2/2", nodes: [{}, {}], opts: leastLoaded, want: ["n1", "n2", "n1", "n2"] },
  { title: "over 3 nodes 2/1/1", nodes: [{}, {}, {}], opts: leastLoaded, want: ["n1", "n2", "n3", "n1"] },
  {
    title: "over 3 nodes 2/1/1 when round-robin",
    nodes: [{}, {}, {}],
    opts: { strategy: "round-robin" },
    want: ["n1", "n2", "n3", "n1"],
  },
  {
    title: "away from a node that already runs replicas",
    nodes: [{ podSetCounts: { web: 2 }, podCount: 2 }, {}, {}],
    opts: leastLoaded,
    want: ["n2", "n3", "n2", "n3"],
  },
  {
    title: "over unequal nodes, replicas first, then free capacity",
    nodes: [{ allocatable: { cpuMilli: 16000, memoryBytes: 32 * GiB } }, {}],
    opts: leastLoaded,
    want: ["n1", "n2", "n1", "n2"],
  },
];

for (const { title, nodes, opts, want } of spreadCases) {
  test(`scheduleMany() places a 4-replica PodSet ${title}`, () => {
    const result = scheduleMany(replicas("web", 4), makeNodes(...nodes), opts);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.bindings.map((binding) => binding.node),
      want,
    );
  });
}

test("scheduleMany() places replicas 2/2 over 2 nodes when another PodSet is interleaved", () => {
  const pods = replicas("web", 4).flatMap((pod, i) => [pod, makePod({ name: `db-${i}`, owner: "db" })]);
  const result = scheduleMany(pods, makeNodes({}, {}), leastLoaded);
  const web = result.bindings.filter((binding) => binding.pod.startsWith("web-"));
  const db = result.bindings.filter((binding) => binding.pod.startsWith("db-"));
  assert.deepEqual(countPerNode(web), { n1: 2, n2: 2 });
  assert.deepEqual(countPerNode(db), { n1: 2, n2: 2 });
});

test("scheduleMany() reports the pods that no longer fit when capacity runs out", () => {
  const nodes = makeNodes({ allocatable: { cpuMilli: 1000, memoryBytes: GiB } });
  const result = scheduleMany(replicas("web", 3, { cpuMilli: 400 }), nodes, leastLoaded);
  assert.deepEqual(result.bindings, [
    { pod: "web-0", node: "n1" },
    { pod: "web-1", node: "n1" },
  ]);
  assert.deepEqual(result.failures, [
    {
      pod: "web-2",
      reason: "0/1 nodes are available: 1 Insufficient cpu",
      perNode: { n1: "Insufficient cpu" },
      transient: false,
    },
  ]);
});

test("scheduleMany() places each pod by its own constraints when a batch mixes them", () => {
  const nodes = makeNodes(
    { labels: { zone: "a" } },
    { labels: { zone: "b" }, taints: [gpu] },
    { labels: { zone: "b" } },
  );
  const tolerateGpu: Toleration[] = [{ key: "dedicated", operator: "Exists" }];
  const pods = [
    makePod({ name: "a-0", nodeSelector: { zone: "a" } }),
    makePod({ name: "b-0", nodeSelector: { zone: "b" } }),
    makePod({ name: "gpu-0", nodeSelector: { zone: "b" }, tolerations: tolerateGpu }),
    makePod({ name: "a-1", nodeSelector: { zone: "a" } }),
    makePod({ name: "b-1", nodeSelector: { zone: "b" } }),
    makePod({ name: "pinned", nodeName: "n2", tolerations: tolerateGpu }),
    makePod({ name: "pinned-untolerated", nodeName: "n2" }),
  ];
  const result = scheduleMany(pods, nodes, leastLoaded);
  assert.deepEqual(
    result.bindings.map(({ pod, node }) => `${pod}@${node}`),
    ["a-0@n1", "b-0@n3", "gpu-0@n2", "a-1@n1", "b-1@n3", "pinned@n2"],
  );
  assert.deepEqual(
    result.failures.map(({ pod, reason }) => `${pod}: ${reason}`),
    [
      "pinned-untolerated: 0/3 nodes are available: " +
        "2 node(s) didn't match the requested node name, 1 untolerated taint dedicated=gpu:NoSchedule",
    ],
  );
});

test("scheduleMany() places pods as schedule() would when bindings are applied one by one", () => {
  const nodes = makeNodes(
    { labels: { zone: "a" }, allocatable: { cpuMilli: 2000, memoryBytes: 4 * GiB } },
    { labels: { zone: "a" }, taints: [{ key: "spot", effect: "PreferNoSchedule" }] },
    {
      labels: { zone: "b" },
      podSetCounts: { web: 1 },
      podCount: 1,
      requested: { cpuMilli: 500, memoryBytes: GiB },
    },
    { labels: { zone: "b" }, taints: [gpu] },
  );
  const pods = [
    ...replicas("web", 6, { cpuMilli: 300 }),
    ...replicas("api", 7, { cpuMilli: 900, nodeSelector: { zone: "a" } }),
    ...replicas("gpu", 3, { cpuMilli: 900, tolerations: [{ operator: "Exists" }] }),
    makePod({ name: "solo", cpuMilli: 0, memoryBytes: 0 }),
  ];
  for (const strategy of ["least-loaded", "round-robin"] as const) {
    let snapshot = nodes;
    let rrCursor = 0;
    const oneByOne: string[] = [];
    for (const pod of pods) {
      const result = schedule(pod, snapshot, { strategy, rrCursor });
      rrCursor = result.rrCursor;
      if (!result.ok) {
        oneByOne.push(`${pod.name}: ${result.reason}`);
        continue;
      }
      oneByOne.push(`${pod.name}@${result.node}`);
      const { cpuMilli, memoryBytes } = podRequests(pod.spec);
      snapshot = snapshot.map((node) =>
        node.name !== result.node
          ? node
          : {
              ...node,
              requested: {
                cpuMilli: node.requested.cpuMilli + cpuMilli,
                memoryBytes: node.requested.memoryBytes + memoryBytes,
              },
              podCount: node.podCount + 1,
              podSetCounts: pod.owner
                ? { ...node.podSetCounts, [pod.owner]: (node.podSetCounts[pod.owner] ?? 0) + 1 }
                : node.podSetCounts,
            },
      );
    }
    const many = scheduleMany(pods, nodes, { strategy });
    const batch = [
      ...many.bindings.map(({ pod, node }) => `${pod}@${node}`),
      ...many.failures.map(({ pod, reason }) => `${pod}: ${reason}`),
    ];
    assert.deepEqual(batch.sort(), [...oneByOne].sort(), strategy);
    assert.equal(many.rrCursor, rrCursor);
  }
});

test("scheduleMany() leaves the snapshot it was given unchanged when it places pods", () => {
  const nodes = makeNodes({ podSetCounts: { web: 1 } }, {});
  const before = structuredClone(nodes);
  scheduleMany(replicas("web", 4), nodes, leastLoaded);
  assert.deepEqual(nodes, before);
});

test("scheduleMany() places pods the same way when the nodes come in another order", () => {
  const nodes = makeNodes({}, { requested: { cpuMilli: 500, memoryBytes: 0 } }, {}, { podCount: 1 });
  const pods = [...replicas("web", 5), ...replicas("db", 3, { cpuMilli: 250 })];
  const forward = scheduleMany(pods, nodes, leastLoaded);
  const backward = scheduleMany(pods, [...nodes].reverse(), leastLoaded);
  assert.deepEqual(backward, forward);
});

const now = 1_000_000;
const maintenance: Taint = { key: "maintenance", effect: "NoExecute" };
const evictionCases: {
  title: string;
  taints: Taint[];
  tolerations: Toleration[];
  taintedSince?: number;
  want: NoExecuteEvictions;
}[] = [
  {
    title: "keeps a pod when the node has no NoExecute taint",
    taints: [gpu, { key: "spot", effect: "PreferNoSchedule" }],
    tolerations: [],
    want: { now: [], later: [], never: ["p"] },
  },
  {
    title: "evicts a pod now when it does not tolerate a NoExecute taint",
    taints: [maintenance],
    tolerations: [{ key: "maintenance", operator: "Exists", effect: "NoSchedule" }],
    want: { now: [{ pod: "p", reason: "untolerated taint maintenance:NoExecute" }], later: [], never: [] },
  },
  {
    title: "keeps a pod when it tolerates the taint without tolerationSeconds",
    taints: [maintenance],
    tolerations: [{ operator: "Exists" }],
    want: { now: [], later: [], never: ["p"] },
  },
  {
    title: "evicts a pod at taintedSince + tolerationSeconds when that is still ahead",
    taints: [maintenance],
    tolerations: [{ key: "maintenance", operator: "Exists", tolerationSeconds: 300 }],
    taintedSince: now - 100_000,
    want: {
      now: [],
      later: [
        {
          pod: "p",
          at: now + 200_000,
          reason: "toleration of taint maintenance:NoExecute expires after 300s",
        },
      ],
      never: [],
    },
  },
  {
    title: "evicts a pod now when its tolerationSeconds have elapsed",
    taints: [maintenance],
    tolerations: [{ key: "maintenance", operator: "Exists", tolerationSeconds: 300 }],
    taintedSince: now - 300_000,
    want: {
      now: [{ pod: "p", reason: "toleration of taint maintenance:NoExecute expired after 300s" }],
      later: [],
      never: [],
    },
  },
  {
    title: "evicts a pod now when tolerationSeconds is 0 or less",
    taints: [maintenance],
    tolerations: [{ key: "maintenance", operator: "Exists", tolerationSeconds: -5 }],
    want: {
      now: [{ pod: "p", reason: "toleration of taint maintenance:NoExecute expired after -5s" }],
      later: [],
      never: [],
    },
  },
  {
    title: "uses the smallest tolerationSeconds when several NoExecute taints are tolerated",
    taints: [maintenance, { key: "unreachable", effect: "NoExecute" }],
    tolerations: [
      { key: "maintenance", operator: "Exists", tolerationSeconds: 600 },
      { key: "unreachable", operator: "Exists", tolerationSeconds: 60 },
    ],
    want: {
      now: [],
      later: [
        { pod: "p", at: now + 60_000, reason: "toleration of taint unreachable:NoExecute expires after 60s" },
      ],
      never: [],
    },
  },
  {
    title: "evicts a pod now when one of several NoExecute taints is untolerated",
    taints: [maintenance, { key: "unreachable", value: "true", effect: "NoExecute" }],
    tolerations: [{ key: "maintenance", operator: "Exists" }],
    want: {
      now: [{ pod: "p", reason: "untolerated taint unreachable=true:NoExecute" }],
      later: [],
      never: [],
    },
  },
];

for (const { title, taints, tolerations, taintedSince = now, want } of evictionCases) {
  test(`evictionsForNoExecute() ${title}`, () => {
    assert.deepEqual(evictionsForNoExecute([{ name: "p", tolerations }], taints, now, taintedSince), want);
  });
}

test("evictionsForNoExecute() sorts each pod of a node into now, later or never", () => {
  const pods = [
    { name: "plain", tolerations: [] },
    {
      name: "patient",
      tolerations: [{ key: "maintenance", operator: "Exists" as const, tolerationSeconds: 30 }],
    },
    { name: "daemon", tolerations: [{ operator: "Exists" as const }] },
  ];
  const result = evictionsForNoExecute(pods, [maintenance], now, now);
  assert.deepEqual(
    [result.now.map((e) => e.pod), result.later.map((e) => [e.pod, e.at]), result.never],
    [["plain"], [["patient", now + 30_000]], ["daemon"]],
  );
});
