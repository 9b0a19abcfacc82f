import assert from "node:assert/strict";
import { test } from "node:test";
import type { Taint } from "../../src/manifest/types.ts";
import { preparePod } from "../../src/scheduler/schedule.ts";
import {
  DEFAULT_SCORES,
  leastAllocated,
  normalizeFewerIsBetter,
  preferNoSchedule,
  spread,
} from "../../src/scheduler/scores.ts";
import type { NodeInfo, PreparedPod, ScorePlugin } from "../../src/scheduler/types.ts";
import { GiB, makeNode, makePodToSchedule, type PodOverrides } from "./fixtures.ts";

function makePod(overrides: PodOverrides = {}): PreparedPod {
  return preparePod(makePodToSchedule(overrides, { cpuMilli: 0, memoryBytes: 0 }));
}

/** What schedule() does with one plugin: raw scores, then the plugin's normalization. */
function scoreAll(plugin: ScorePlugin, pod: PreparedPod, nodes: NodeInfo[]): number[] {
  const scores = Float64Array.from(nodes, (node) => plugin.score(pod, node));
  plugin.normalize?.(scores);
  return [...scores];
}

const spot: Taint = { key: "spot", value: "true", effect: "PreferNoSchedule" };
const cheap: Taint = { key: "cheap", effect: "PreferNoSchedule" };

interface ScoreCase {
  title: string;
  plugin: ScorePlugin;
  pod?: Parameters<typeof makePod>[0];
  nodes: Partial<NodeInfo>[];
  want: number[];
}

const cases: ScoreCase[] = [
  {
    title: "scores free cpu and memory after placement, averaged",
    plugin: leastAllocated,
    pod: { cpuMilli: 1000, memoryBytes: 2 * GiB },
    nodes: [
      {},
      { requested: { cpuMilli: 1000, memoryBytes: 2 * GiB } },
      { requested: { cpuMilli: 3000, memoryBytes: 0 } },
    ],
    // (3/4 + 3/4) / 2, (2/4 + 2/4) / 2, (0 + 3/4) / 2
    want: [75, 50, 37.5],
  },
  {
    title: "scores an empty node 100 when the pod requests nothing",
    plugin: leastAllocated,
    nodes: [{}],
    want: [100],
  },
  {
    title: "scores an overcommitted node 0, never below",
    plugin: leastAllocated,
    pod: { cpuMilli: 1000, memoryBytes: GiB },
    nodes: [{ requested: { cpuMilli: 5000, memoryBytes: 9 * GiB } }],
    want: [0],
  },
  {
    title: "counts a resource the node has none of as fully used",
    plugin: leastAllocated,
    nodes: [{ allocatable: { cpuMilli: 4000, memoryBytes: 0 } }],
    want: [50],
  },
  {
    title: "scores nodes without replicas of the PodSet 100 and the most loaded 0",
    plugin: spread,
    pod: { owner: "web" },
    nodes: [{ podSetCounts: { web: 2, db: 5 } }, { podSetCounts: { web: 1 } }, { podSetCounts: { db: 3 } }],
    want: [0, 50, 100],
  },
  {
    title: "scores every node 100 when no node has a replica yet",
    plugin: spread,
    pod: { owner: "web" },
    nodes: [{ podSetCounts: { db: 1 } }, {}],
    want: [100, 100],
  },
  {
    title: "scores every node 100 for a standalone pod",
    plugin: spread,
    nodes: [{ podSetCounts: { web: 2 } }, {}],
    want: [100, 100],
  },
  {
    title: "counts no replicas for an owner named like an Object.prototype member",
    plugin: spread,
    pod: { owner: "constructor" },
    nodes: [{ podSetCounts: { constructor: 1 } }, {}],
    want: [0, 100],
  },
  {
    title: "scores nodes with untolerated PreferNoSchedule taints lower",
    plugin: preferNoSchedule,
    nodes: [{}, { taints: [spot] }, { taints: [spot, cheap] }],
    want: [100, 50, 0],
  },
  {
    title: "ignores tolerated PreferNoSchedule taints",
    plugin: preferNoSchedule,
    pod: { tolerations: [{ key: "spot", operator: "Exists" }] },
    nodes: [{}, { taints: [spot] }, { taints: [spot, cheap] }],
    want: [100, 100, 0],
  },
  {
    title: "ignores NoSchedule and NoExecute taints (filters handle them)",
    plugin: preferNoSchedule,
    nodes: [
      {},
      {
        taints: [
          { key: "a", effect: "NoSchedule" },
          { key: "b", effect: "NoExecute" },
        ],
      },
    ],
    want: [100, 100],
  },
];

for (const { title, plugin, pod, nodes, want } of cases) {
  test(`${plugin.name}.score() ${title}`, () => {
    const named = nodes.map((node, i) => makeNode({ name: `n${i + 1}`, ...node }));
    assert.deepEqual(scoreAll(plugin, makePod(pod), named), want);
  });
}

test("normalizeFewerIsBetter() maps 0 to 100 and the largest value to 0 when values differ", () => {
  const scores = Float64Array.from([0, 1, 2, 4]);
  normalizeFewerIsBetter(scores);
  assert.deepEqual([...scores], [100, 75, 50, 0]);
});

test("normalizeFewerIsBetter() gives every node 100 when all values are 0", () => {
  const scores = new Float64Array(3);
  normalizeFewerIsBetter(scores);
  assert.deepEqual([...scores], [100, 100, 100]);
});

test("DEFAULT_SCORES weighs taints over spreading over free capacity", () => {
  assert.deepEqual(
    DEFAULT_SCORES.map(({ plugin, weight }) => [plugin.name, weight]),
    [
      ["LeastAllocated", 1],
      ["Spread", 2],
      ["PreferNoSchedule", 3],
    ],
  );
});
