// Proportional scaling of a paused rolling update: Kubernetes' own cases (pkg/controller/deployment/
// sync_test.go TestScale), with each ReplicaSet as a revision of mk (a higher number is newer).
import assert from "node:assert/strict";
import { test } from "node:test";
import { proportion, proportionalSizes, type ScaleGroup } from "../../src/controller/proportional.ts";

interface Case {
  name: string;
  replicas: number;
  surge?: number;
  /** The Deployment before the scale: each ReplicaSet's max-replicas annotation is replicas + surge. */
  old: { replicas: number; surge?: number };
  /** Revision -> size; the newest (Kubernetes' new ReplicaSet) is `newest`. */
  sizes: Record<number, number>;
  newest?: number;
  available?: Record<number, number>;
  /** Per-revision desired-replicas annotations that differ ("failed rs update"). */
  desired?: Record<number, number>;
  expected: Record<number, number>;
}

const cases: Case[] = [
  {
    name: "normal scaling event: 10 -> 12",
    replicas: 12,
    old: { replicas: 10 },
    sizes: { 1: 10 },
    newest: 1,
    expected: { 1: 12 },
  },
  {
    name: "normal scaling event: 10 -> 5",
    replicas: 5,
    old: { replicas: 10 },
    sizes: { 1: 10 },
    newest: 1,
    expected: { 1: 5 },
  },
  {
    name: "proportional scaling: 5 -> 10",
    replicas: 10,
    old: { replicas: 5 },
    sizes: { 2: 2, 1: 3 },
    newest: 2,
    expected: { 2: 4, 1: 6 },
  },
  {
    name: "proportional scaling: 5 -> 3",
    replicas: 3,
    old: { replicas: 5 },
    sizes: { 2: 2, 1: 3 },
    newest: 2,
    expected: { 2: 1, 1: 2 },
  },
  {
    name: "proportional scaling: 9 -> 4",
    replicas: 4,
    old: { replicas: 9 },
    sizes: { 2: 8, 1: 1 },
    newest: 2,
    expected: { 2: 4, 1: 0 },
  },
  {
    name: "proportional scaling: 7 -> 10",
    replicas: 10,
    old: { replicas: 7 },
    sizes: { 3: 2, 2: 3, 1: 2 },
    newest: 3,
    expected: { 3: 3, 2: 4, 1: 3 },
  },
  {
    name: "proportional scaling: 13 -> 8",
    replicas: 8,
    old: { replicas: 13 },
    sizes: { 3: 2, 2: 8, 1: 3 },
    newest: 3,
    expected: { 3: 1, 2: 5, 1: 2 },
  },
  {
    name: "leftover distribution: 3 -> 4 (the newer of equals grows)",
    replicas: 4,
    old: { replicas: 3 },
    sizes: { 3: 1, 2: 1, 1: 1 },
    newest: 3,
    expected: { 3: 2, 2: 1, 1: 1 },
  },
  {
    name: "leftover distribution: 3 -> 2 (the older of equals shrinks)",
    replicas: 2,
    old: { replicas: 3 },
    sizes: { 3: 1, 2: 1, 1: 1 },
    newest: 3,
    expected: { 3: 1, 2: 1, 1: 0 },
  },
  {
    name: "proportional scaling (no new rs): 4 -> 5",
    replicas: 5,
    old: { replicas: 4 },
    sizes: { 2: 2, 1: 2 },
    expected: { 2: 3, 1: 2 },
  },
  {
    name: "proportional scaling: 6 -> 0",
    replicas: 0,
    old: { replicas: 6 },
    sizes: { 3: 3, 2: 2, 1: 1 },
    newest: 3,
    expected: { 3: 0, 2: 0, 1: 0 },
  },
  {
    name: "proportional scaling: 0 -> 6",
    replicas: 6,
    old: { replicas: 6 },
    sizes: { 3: 0, 2: 0, 1: 0 },
    newest: 3,
    expected: { 3: 6, 2: 0, 1: 0 },
  },
  {
    name: "failed rs update",
    replicas: 5,
    old: { replicas: 5 },
    sizes: { 3: 2, 2: 1, 1: 1 },
    newest: 3,
    desired: { 2: 3 },
    expected: { 3: 2, 2: 2, 1: 1 },
  },
  {
    name: "deployment with surge pods",
    replicas: 20,
    surge: 2,
    old: { replicas: 10, surge: 2 },
    sizes: { 2: 6, 1: 6 },
    newest: 2,
    expected: { 2: 11, 1: 11 },
  },
  {
    name: "change both surge and size",
    replicas: 50,
    surge: 6,
    old: { replicas: 10, surge: 3 },
    sizes: { 2: 5, 1: 8 },
    newest: 2,
    expected: { 2: 22, 1: 34 },
  },
  {
    name: "change both size and template",
    replicas: 14,
    old: { replicas: 10 },
    sizes: { 2: 7, 1: 3 },
    expected: { 2: 10, 1: 4 },
  },
  {
    name: "saturated but broken new replica set does not affect old pods",
    replicas: 2,
    surge: 1,
    old: { replicas: 2, surge: 1 },
    sizes: { 2: 2, 1: 1 },
    newest: 2,
    available: { 2: 0, 1: 1 },
    expected: { 2: 2, 1: 1 },
  },
];

function groupsOf(c: Case): ScaleGroup[] {
  return Object.entries(c.sizes).map(([rev, size]) => {
    const r = Number(rev);
    const desired = c.desired?.[r] ?? c.old.replicas;
    return {
      revision: r,
      size,
      available: c.available?.[r] ?? size,
      maxReplicasBeforeScale: desired + (c.old.surge ?? 0),
    };
  });
}

for (const c of cases) {
  test(`proportionalSizes(): ${c.name}`, () => {
    const groups = groupsOf(c);
    const sizes = proportionalSizes({
      groups,
      ...(c.newest !== undefined ? { newest: c.newest } : {}),
      replicas: c.replicas,
      surge: c.surge ?? 0,
      sizeBeforeScale: groups.reduce((n, g) => n + g.size, 0),
    });
    const got = Object.fromEntries(groups.map((g) => [g.revision, sizes.get(g.revision) ?? g.size]));
    assert.deepEqual(got, c.expected);
  });
}

test("proportionalSizes() without annotations uses the pod count before the scale, as Kubernetes' fallback", () => {
  // A paused 10/25% rollout with 3 new and 8 old pods (not at its max of 13) scaled to 20 (surge 5).
  const sizes = proportionalSizes({
    groups: [
      { revision: 2, size: 3, available: 3 },
      { revision: 1, size: 8, available: 8 },
    ],
    newest: 2,
    replicas: 20,
    surge: 5,
    sizeBeforeScale: 11,
  });
  // 8 x 25 / 11 = 18.2 -> 18, 3 x 25 / 11 = 6.8 -> 7: 25 in all, no leftover.
  assert.deepEqual(Object.fromEntries(sizes), { 1: 18, 2: 7 });
});

test("proportionalSizes(): the sum never passes replicas + maxSurge, and a complete newest revision ends the old ones", () => {
  for (let replicas = 0; replicas <= 30; replicas++) {
    for (const sizes of [
      [1, 1, 1],
      [5, 0, 9],
      [2, 7],
      [13, 1, 4, 2],
    ]) {
      const groups = sizes.map((size, i) => ({ revision: i + 1, size, available: size }));
      const total = sizes.reduce((a, b) => a + b, 0);
      const surge = Math.ceil(replicas / 4);
      const out = proportionalSizes({
        groups,
        newest: groups.length,
        replicas,
        surge,
        sizeBeforeScale: total,
      });
      const after = groups.reduce((n, g) => n + (out.get(g.revision) ?? g.size), 0);
      const active = sizes.filter((s) => s > 0).length;
      const saturated = sizes.at(-1) === replicas;
      if (saturated) assert.equal(after, replicas, `${replicas} ${sizes}`);
      else if (active > 1) assert.equal(after, replicas > 0 ? replicas + surge : 0, `${replicas} ${sizes}`);
      else assert.equal(after, replicas, `${replicas} ${sizes}`);
      for (const g of groups) assert.ok((out.get(g.revision) ?? g.size) >= 0);
    }
  }
  const done = proportionalSizes({
    groups: [
      { revision: 2, size: 4, available: 4 },
      { revision: 1, size: 1, available: 1 },
    ],
    newest: 2,
    replicas: 4,
    surge: 1,
    sizeBeforeScale: 5,
  });
  assert.deepEqual(Object.fromEntries(done), { 1: 0 });
});

test("proportion() never hands out more than is left to add or remove", () => {
  const d = { replicas: 10, surge: 0, sizeBeforeScale: 5 };
  assert.equal(proportion({ size: 3 }, d, 5, 0), 3);
  assert.equal(proportion({ size: 3 }, d, 5, 4), 1);
  assert.equal(proportion({ size: 3 }, d, 5, 5), 0);
  assert.equal(proportion({ size: 0 }, d, 5, 0), 0);
  assert.equal(proportion({ size: 4 }, { replicas: 2, surge: 0, sizeBeforeScale: 8 }, -6, -5), -1);
  assert.equal(proportion({ size: 4 }, { replicas: 0, surge: 0, sizeBeforeScale: 8 }, -8, 0), -4);
});
