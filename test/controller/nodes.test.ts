import assert from "node:assert/strict";
import { test } from "node:test";
import { nextLifecycleDeadline, planNodeLifecycle } from "../../src/controller/nodes.ts";
import type { Mutation } from "../../src/store/mutations.ts";
import type { NodeRow, PodRow } from "../../src/store/rows.ts";
import { makeNodeRow, makePodRow, makePodSpec } from "../fixtures.ts";

const node = (o: Partial<NodeRow> = {}): NodeRow => makeNodeRow({ lastHeartbeatAt: 10_000, ...o });

const pod = (o: Partial<PodRow> = {}): PodRow => makePodRow(o);

const ops = (m: Mutation[]) => m.map((x) => x.op).sort();
const base = { graceMs: 4000, evictionDelayMs: 2000 };

test("planNodeLifecycle() keeps a node Ready within the grace period", () => {
  assert.deepEqual(planNodeLifecycle({ ...base, nodes: [node()], pods: [pod()], now: 13_000 }), []);
});

test("planNodeLifecycle() turns a silent node Unknown after the grace period", () => {
  const m = planNodeLifecycle({ ...base, nodes: [node()], pods: [pod()], now: 14_500 });
  assert.deepEqual(ops(m), ["recordEvent", "setNodeStatus"]);
  assert.ok(m[0]?.op === "setNodeStatus" && m[0].state === "Unknown");
});

test("planNodeLifecycle() evicts after the eviction delay: PodSet pods deleted, standalone pods unbound", () => {
  // A second, healthy node: with every node down nothing is evicted (full disruption).
  const nodes = [
    node({ state: "Unknown", stateSince: 20_000 }),
    node({ name: "b", lastHeartbeatAt: 21_000 }),
  ];
  const pods = [pod(), pod({ name: "solo", ownerKind: "Pod", ownerName: "solo" })];
  assert.deepEqual(planNodeLifecycle({ ...base, nodes, pods, now: 21_000 }), []);
  const m = planNodeLifecycle({ ...base, nodes, pods, now: 22_000 });
  assert.deepEqual(ops(m), ["recordEvent", "recordEvent", "requestPodDeletion", "setPodStatus", "unbindPod"]);
});

test("planNodeLifecycle() never replaces an mk/at-most-one pod while its node is merely unreachable", () => {
  const nodes = [node({ state: "Unknown", stateSince: 0 })];
  const m = planNodeLifecycle({
    ...base,
    nodes,
    pods: [pod({ annotations: JSON.stringify({ "mk/at-most-one": "true" }) })],
    now: 60_000,
  });
  assert.ok(!m.some((x) => x.op === "requestPodDeletion" || x.op === "unbindPod"));
  assert.ok(m.some((x) => x.op === "setPodStatus" && x.reason === "NodeLost"));
});

test("planNodeLifecycle() evicts pods that do not tolerate a NoExecute taint, honouring tolerationSeconds", () => {
  const nodes = [
    node({ lastHeartbeatAt: 40_000, taints: JSON.stringify([{ key: "maint", effect: "NoExecute" }]) }),
  ];
  const tolerant = makePodSpec({
    tolerations: [{ key: "maint", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 }],
  });
  const pods = [pod({ name: "plain" }), pod({ name: "patient", spec: JSON.stringify(tolerant) })];
  const taintedSince = new Map([["a", 10_000]]);
  const early = planNodeLifecycle({ ...base, nodes, pods, now: 12_000, taintedSince });
  assert.deepEqual(
    early
      .filter((x) => x.op === "requestPodDeletion")
      .map((x) => (x.op === "requestPodDeletion" ? x.name : "")),
    ["plain"],
  );
  const late = planNodeLifecycle({ ...base, nodes, pods, now: 41_000, taintedSince });
  assert.ok(late.some((x) => x.op === "requestPodDeletion" && x.name === "patient"));
});

test("nextLifecycleDeadline() is the soonest grace expiry or eviction time, so failover does not wait for a resync", () => {
  const opts = { graceMs: 4000, evictionDelayMs: 2000 };
  assert.equal(nextLifecycleDeadline([node({ lastHeartbeatAt: 10_000 })], opts, 11_000), 14_001);
  assert.equal(nextLifecycleDeadline([node({ state: "Unknown", stateSince: 20_000 })], opts, 21_000), 22_000);
  assert.equal(nextLifecycleDeadline([node({ state: "Unknown", stateSince: 0 })], opts, 21_000), null);
  assert.equal(nextLifecycleDeadline([node({ state: "NotReady" })], opts, 0), null);
});
