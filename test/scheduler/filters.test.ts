import assert from "node:assert/strict";
import { test } from "node:test";
import type { Taint, Toleration } from "../../src/manifest/types.ts";
import {
  DEFAULT_FILTERS,
  formatTaint,
  nodeName,
  nodeReady,
  nodeSelector,
  nodeSettled,
  nodeUnschedulable,
  resources,
  taintToleration,
  tolerates,
} from "../../src/scheduler/filters.ts";
import { preparePod } from "../../src/scheduler/schedule.ts";
import type { FilterPlugin, NodeInfo, PreparedPod } from "../../src/scheduler/types.ts";
import { GiB, makeNode, makePodToSchedule, type PodOverrides } from "./fixtures.ts";

function makePod(overrides: PodOverrides = {}): PreparedPod {
  return preparePod(makePodToSchedule(overrides));
}

const noSchedule: Taint = { key: "dedicated", value: "db", effect: "NoSchedule" };
const noExecute: Taint = { key: "maintenance", effect: "NoExecute" };
const preferNo: Taint = { key: "spot", value: "true", effect: "PreferNoSchedule" };

const toleranceCases: { title: string; toleration: Toleration; taint: Taint; want: boolean }[] = [
  { title: "Exists with an empty key", toleration: { operator: "Exists" }, taint: noSchedule, want: true },
  {
    title: "Exists with an empty key and another effect",
    toleration: { operator: "Exists", effect: "NoExecute" },
    taint: noSchedule,
    want: false,
  },
  {
    title: "Exists with the key, any value",
    toleration: { key: "dedicated", operator: "Exists" },
    taint: noSchedule,
    want: true,
  },
  {
    title: "Exists with another key",
    toleration: { key: "gpu", operator: "Exists" },
    taint: noSchedule,
    want: false,
  },
  {
    title: "Equal with key, value and effect",
    toleration: { key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" },
    taint: noSchedule,
    want: true,
  },
  {
    title: "Equal with an empty effect (matches every effect)",
    toleration: { key: "dedicated", operator: "Equal", value: "db" },
    taint: { ...noSchedule, effect: "NoExecute" },
    want: true,
  },
  {
    title: "Equal with another value",
    toleration: { key: "dedicated", operator: "Equal", value: "web" },
    taint: noSchedule,
    want: false,
  },
  {
    title: "Equal without a value on a taint without a value",
    toleration: { key: "maintenance", operator: "Equal" },
    taint: noExecute,
    want: true,
  },
  {
    title: "Equal with a NoSchedule effect on a NoExecute taint",
    toleration: { key: "maintenance", operator: "Equal", effect: "NoSchedule" },
    taint: noExecute,
    want: false,
  },
  {
    title: "Equal with an empty key compares only the value (Kubernetes)",
    toleration: { operator: "Equal" },
    taint: noExecute,
    want: true,
  },
];

for (const { title, toleration, taint, want } of toleranceCases) {
  test(`tolerates() returns ${want} when the toleration is ${title}`, () => {
    assert.equal(tolerates(toleration, taint), want);
  });
}

test("formatTaint() writes key=value:Effect, or key:Effect when the taint has no value", () => {
  assert.equal(formatTaint(noSchedule), "dedicated=db:NoSchedule");
  assert.equal(formatTaint(noExecute), "maintenance:NoExecute");
  assert.equal(formatTaint({ key: "spot", value: "", effect: "PreferNoSchedule" }), "spot:PreferNoSchedule");
});

interface FilterCase {
  title: string;
  plugin: FilterPlugin;
  node?: Partial<NodeInfo>;
  pod?: Parameters<typeof makePod>[0];
  want: string | undefined;
}

const filterCases: FilterCase[] = [
  { title: "accepts a ready node", plugin: nodeReady, want: undefined },
  {
    title: "rejects a node that is not ready",
    plugin: nodeReady,
    node: { ready: false },
    want: "node is not ready",
  },
  { title: "accepts a settled node", plugin: nodeSettled, want: undefined },
  {
    title: "rejects a node that came back too recently",
    plugin: nodeSettled,
    node: { settled: false },
    want: "node is settling after a restart",
  },
  { title: "accepts a schedulable node", plugin: nodeUnschedulable, want: undefined },
  {
    title: "rejects a cordoned node",
    plugin: nodeUnschedulable,
    node: { schedulable: false },
    want: "node is cordoned",
  },
  { title: "accepts any node when the pod names none", plugin: nodeName, want: undefined },
  { title: "accepts the node the pod names", plugin: nodeName, pod: { nodeName: "n1" }, want: undefined },
  {
    title: "rejects a node the pod does not name",
    plugin: nodeName,
    pod: { nodeName: "n2" },
    want: "node(s) didn't match the requested node name",
  },
  { title: "accepts any node when the selector is empty", plugin: nodeSelector, want: undefined },
  {
    title: "accepts a node with every selected label",
    plugin: nodeSelector,
    node: { labels: { zone: "a", disk: "ssd", extra: "x" } },
    pod: { nodeSelector: { zone: "a", disk: "ssd" } },
    want: undefined,
  },
  {
    title: "rejects a node with another label value",
    plugin: nodeSelector,
    node: { labels: { zone: "b", disk: "ssd" } },
    pod: { nodeSelector: { zone: "a", disk: "ssd" } },
    want: "node(s) didn't match nodeSelector",
  },
  {
    title: "rejects a node without the label",
    plugin: nodeSelector,
    node: { labels: {} },
    pod: { nodeSelector: { zone: "a" } },
    want: "node(s) didn't match nodeSelector",
  },
  {
    title: "rejects a node whose labels only inherit the key (constructor)",
    plugin: nodeSelector,
    pod: { nodeSelector: { constructor: "x" } },
    want: "node(s) didn't match nodeSelector",
  },
  { title: "accepts a node without taints", plugin: taintToleration, want: undefined },
  {
    title: "rejects a node with an untolerated NoSchedule taint",
    plugin: taintToleration,
    node: { taints: [noSchedule] },
    want: "untolerated taint dedicated=db:NoSchedule",
  },
  {
    title: "accepts a node whose NoSchedule taint is tolerated",
    plugin: taintToleration,
    node: { taints: [noSchedule] },
    pod: { tolerations: [{ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }] },
    want: undefined,
  },
  {
    title: "rejects a node with an untolerated NoExecute taint",
    plugin: taintToleration,
    node: { taints: [noExecute] },
    want: "untolerated taint maintenance:NoExecute",
  },
  {
    title: "rejects a NoExecute taint tolerated only for NoSchedule",
    plugin: taintToleration,
    node: { taints: [noExecute] },
    pod: { tolerations: [{ key: "maintenance", operator: "Exists", effect: "NoSchedule" }] },
    want: "untolerated taint maintenance:NoExecute",
  },
  {
    title: "accepts a node whose NoExecute taint is tolerated for a while",
    plugin: taintToleration,
    node: { taints: [noExecute] },
    pod: { tolerations: [{ key: "maintenance", operator: "Exists", tolerationSeconds: 60 }] },
    want: undefined,
  },
  {
    title: "accepts a node with an untolerated PreferNoSchedule taint",
    plugin: taintToleration,
    node: { taints: [preferNo] },
    want: undefined,
  },
  {
    title: "names the first untolerated taint when the node has several",
    plugin: taintToleration,
    node: { taints: [preferNo, noSchedule, noExecute] },
    pod: { tolerations: [{ key: "dedicated", operator: "Exists" }] },
    want: "untolerated taint maintenance:NoExecute",
  },
  {
    title: "accepts requests that fill the node exactly",
    plugin: resources,
    node: { requested: { cpuMilli: 3000, memoryBytes: 6 * GiB } },
    pod: { cpuMilli: 1000, memoryBytes: 2 * GiB },
    want: undefined,
  },
  {
    title: "rejects a cpu request above what is left",
    plugin: resources,
    node: { requested: { cpuMilli: 3500, memoryBytes: 0 } },
    pod: { cpuMilli: 501 },
    want: "Insufficient cpu",
  },
  {
    title: "rejects a memory request above what is left",
    plugin: resources,
    node: { requested: { cpuMilli: 0, memoryBytes: 7 * GiB } },
    pod: { cpuMilli: 100, memoryBytes: 2 * GiB },
    want: "Insufficient memory",
  },
  {
    title: "names both resources when both are short",
    plugin: resources,
    pod: { cpuMilli: 5000, memoryBytes: 9 * GiB },
    want: "Insufficient cpu and memory",
  },
  {
    title: "accepts a pod without requests on an overcommitted node",
    plugin: resources,
    node: { requested: { cpuMilli: 5000, memoryBytes: 9 * GiB } },
    want: undefined,
  },
  {
    title: "sums the requests of every container",
    plugin: resources,
    pod: {
      containers: [1, 2, 3].map((i) => ({
        name: `c${i}`,
        image: "mk.local/busybox:1",
        imagePullPolicy: "IfNotPresent" as const,
        env: [],
        ports: [],
        resources: { requests: { cpuMilli: 1500 }, limits: {} },
      })),
    },
    want: "Insufficient cpu",
  },
];

for (const { title, plugin, node, pod, want } of filterCases) {
  test(`${plugin.name}.filter() ${title}`, () => {
    assert.equal(plugin.filter(makePod(pod), makeNode(node)), want);
  });
}

test("DEFAULT_FILTERS runs node health first and the usage-dependent filters last", () => {
  assert.deepEqual(
    DEFAULT_FILTERS.map((plugin) => plugin.name),
    [
      "NodeReady",
      "NodeSettled",
      "NodeUnschedulable",
      "NodeName",
      "NodeSelector",
      "TaintToleration",
      "NodePorts",
      "Resources",
    ],
  );
  assert.deepEqual(
    DEFAULT_FILTERS.filter((plugin) => plugin.readsUsage).map((plugin) => plugin.name),
    ["NodePorts", "Resources"],
  );
});
