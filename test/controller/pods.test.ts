import assert from "node:assert/strict";
import { test } from "node:test";
import { planPods, templateHash } from "../../src/controller/pods.ts";
import type { MkObjectBody, PodObject, PodSetObject } from "../../src/manifest/types.ts";
import type { Mutation } from "../../src/store/mutations.ts";
import type { PodRow } from "../../src/store/rows.ts";
import { makePodSpec } from "../fixtures.ts";

function podSet(name: string, replicas: number, image = "mk.local/busybox:1"): PodSetObject {
  const spec = makePodSpec();
  spec.containers[0]!.image = image;
  return {
    kind: "PodSet",
    metadata: { name, labels: {}, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations: {} }, spec },
      strategy: { type: "Recreate" },
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      rollbackOnFailure: false,
    },
  };
}

function pod(name: string): PodObject {
  return { kind: "Pod", metadata: { name, labels: {}, annotations: {} }, spec: makePodSpec() };
}

let seq = 0;
function run(objects: MkObjectBody[], pods: PodRow[]): Mutation[] {
  return planPods({
    objects,
    pods,
    now: 1000,
    random: () => (seq++ % 27) / 27,
    newUid: () => `uid-${seq++}`,
  });
}

function apply(pods: PodRow[], muts: Mutation[]): PodRow[] {
  let out = [...pods];
  for (const m of muts) {
    if (m.op === "createPod") out.push({ ...(m.pod as PodRow) });
    if (m.op === "requestPodDeletion")
      out = out.map((p) => (p.name === m.name ? { ...p, deletionAt: m.at } : p));
    if (m.op === "updatePodSpec")
      out = out.map((p) => (p.name === m.name ? { ...p, spec: m.spec, specHash: m.specHash } : p));
  }
  return out;
}

/** Pod mutations per op (revisions, status and events have tests of their own). */
function ops(muts: Mutation[]): Record<string, number> {
  const out: Record<string, number> = {};
  const podOps = new Set(["createPod", "updatePodSpec", "requestPodDeletion", "deletePod"]);
  for (const m of muts) if (podOps.has(m.op)) out[m.op] = (out[m.op] ?? 0) + 1;
  return out;
}

test("planPods() creates one pod per standalone Pod object and nothing on a second run", () => {
  const muts = run([pod("hello")], []);
  assert.deepEqual(ops(muts), { createPod: 1 });
  assert.deepEqual(run([pod("hello")], apply([], muts)), []);
});

test("planPods() creates replicas named <podset>-<template hash>-<5 chars>", () => {
  const ps = podSet("web", 3);
  const muts = run([ps], []);
  assert.deepEqual(ops(muts), { createPod: 3 });
  const hash = templateHash(ps);
  for (const m of muts) {
    if (m.op !== "createPod") continue;
    assert.match(m.pod.name, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    assert.equal(m.pod.ownerKind, "PodSet");
    assert.equal(m.pod.templateHash, hash);
  }
});

test("planPods() scales down newest first", () => {
  let pods = apply([], run([podSet("web", 3)], []));
  pods = pods.map((p, i) => ({ ...p, createdAt: 1000 + i, node: "local", phase: "Running", ready: true }));
  const muts = run([podSet("web", 1)], pods);
  assert.deepEqual(ops(muts), { requestPodDeletion: 2 });
  const deleted = muts.flatMap((m) => (m.op === "requestPodDeletion" ? [m.name] : []));
  assert.deepEqual(deleted.sort(), [pods[1]!.name, pods[2]!.name].sort());
});

test("planPods() replaces a pod deleted by hand", () => {
  const pods = apply([], run([podSet("web", 2)], []));
  const muts = run([podSet("web", 2)], pods.slice(1));
  assert.deepEqual(ops(muts), { createPod: 1 });
});

test("planPods() recreates on a template change: old pods go before new ones start", () => {
  const pods = apply([], run([podSet("web", 2)], [])).map((p) => ({ ...p, node: "local" }));
  const changed = podSet("web", 2, "mk.local/busybox:2");
  const first = run([changed], pods);
  assert.deepEqual(ops(first), { requestPodDeletion: 2 });
  // While the old pods terminate, no new pod is created.
  assert.deepEqual(ops(run([changed], apply(pods, first))), {});
  // Once they are gone, the new template's pods are created.
  assert.deepEqual(ops(run([changed], [])), { createPod: 2 });
});

test("planPods() deletes the pods of a removed PodSet or Pod object", () => {
  const pods = apply([], run([podSet("web", 2), pod("hello")], []));
  assert.deepEqual(ops(run([], pods)), { requestPodDeletion: 3 });
});

test("planPods() updates a standalone pod's spec when its object changes", () => {
  const pods = apply([], run([pod("hello")], []));
  const changed = pod("hello");
  changed.spec.containers[0]!.image = "mk.local/busybox:2";
  assert.deepEqual(ops(run([changed], pods)), { updatePodSpec: 1 });
});

test("planPods() scales to zero", () => {
  const pods = apply([], run([podSet("web", 3)], []));
  assert.deepEqual(ops(run([podSet("web", 0)], pods)), { requestPodDeletion: 3 });
});

test("planPods() deletes at once a pod being deleted that was never bound to a node", () => {
  const pods = apply([], run([pod("hello")], [])).map((p) => ({ ...p, deletionAt: 5 }));
  assert.deepEqual(ops(run([], pods)), { deletePod: 1 });
});
