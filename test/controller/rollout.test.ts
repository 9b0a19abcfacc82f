import assert from "node:assert/strict";
import { test } from "node:test";
import { planPodSetStatus } from "../../src/controller/podset-status.ts";
import { planRevisions, undoTarget } from "../../src/controller/revisions.ts";
import {
  availableScaleDown,
  maxOldScaledDown,
  newPodsDelta,
  planRollout,
  type RolloutInput,
  resolveFenceposts,
  unhealthyCleanup,
} from "../../src/controller/rollout.ts";
import type { PodSetObject, PodSetSpec } from "../../src/manifest/types.ts";
import type { PodRow } from "../../src/store/rows.ts";
import { makePodRow, makePodSpec } from "../fixtures.ts";

// ---- arithmetic, with the cases of Kubernetes' deployment controller tests

test("resolveFenceposts() rounds maxSurge up and maxUnavailable down; both 0 makes unavailable 1", () => {
  const cases: [number | string, number | string, number, number, number][] = [
    ["25%", "25%", 10, 3, 2],
    ["25%", "25%", 4, 1, 1],
    ["25%", "25%", 1, 1, 0],
    ["39%", "39%", 10, 4, 3],
    [0, 0, 10, 0, 1],
    ["0%", "0%", 10, 0, 1],
    [0, "10%", 3, 0, 1],
    [1, 1, 4, 1, 1],
    ["50%", "50%", 1, 1, 0],
    [2, "100%", 5, 2, 5],
    ["200%", 0, 3, 6, 0],
  ];
  for (const [s, u, r, surge, unavailable] of cases) {
    assert.deepEqual(resolveFenceposts(s, u, r), { surge, unavailable }, `${s}/${u} of ${r}`);
  }
});

test("newPodsDelta() scales the new pods as reconcileNewReplicaSet does", () => {
  // deploymentReplicas, maxSurge, oldReplicas, newReplicas -> delta (TestDeploymentController_reconcileNewReplicaSet)
  const cases: [number, number, number, number, number][] = [
    [10, 0, 10, 0, 0],
    [10, 2, 10, 0, 2],
    [10, 2, 5, 0, 7],
    [10, 2, 10, 2, 0],
    [10, 2, 2, 11, -1],
  ];
  for (const [replicas, surge, old, updated, delta] of cases) {
    assert.equal(newPodsDelta({ replicas, surge, total: old + updated, updated }), delta);
  }
});

test("maxOldScaledDown(), unhealthyCleanup() and availableScaleDown() follow reconcileOldReplicaSets", () => {
  // replicas, maxUnavailable (after fenceposts), old, new, readyOld, readyNew -> old pods left
  const cases: [number, number, number, number, number, number, number][] = [
    [10, 1, 10, 0, 10, 0, 9], // maxUnavailable 0 with maxSurge 0 resolves to 1
    [10, 2, 10, 0, 10, 0, 8],
    [10, 2, 10, 0, 8, 0, 8], // the 2 unhealthy old ones are cleaned up
    [10, 2, 10, 0, 9, 0, 8], // 1 unhealthy cleaned up, 1 ready scaled down
    [10, 2, 8, 2, 8, 0, 8], // unavailable new pods block a further step
  ];
  for (const [replicas, unavailable, old, updated, readyOld, readyNew, left] of cases) {
    const max = maxOldScaledDown({
      replicas,
      unavailable,
      total: old + updated,
      updated,
      updatedAvailable: readyNew,
    });
    let remaining = old;
    if (max > 0) {
      const [cleaned = 0] = unhealthyCleanup([{ count: old, available: readyOld }], max);
      remaining -= cleaned;
      const down = availableScaleDown({ replicas, unavailable, available: readyOld + readyNew });
      remaining -= Math.min(remaining, down);
    }
    assert.equal(remaining, left, `case ${[replicas, unavailable, old, updated, readyOld, readyNew]}`);
  }
  // TestDeploymentController_cleanupUnhealthyReplicas: old 10, ready 8 -> cleaned per max
  assert.deepEqual(unhealthyCleanup([{ count: 10, available: 8 }], 1), [1]);
  assert.deepEqual(unhealthyCleanup([{ count: 10, available: 8 }], 3), [2]);
  assert.deepEqual(unhealthyCleanup([{ count: 10, available: 8 }], 0), [0]);
  assert.deepEqual(unhealthyCleanup([{ count: 10, available: 10 }], 3), [0]);
  // TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate
  assert.equal(availableScaleDown({ replicas: 10, unavailable: 1, available: 10 }), 1);
  assert.equal(availableScaleDown({ replicas: 10, unavailable: 2, available: 10 }), 2);
  assert.equal(availableScaleDown({ replicas: 10, unavailable: 2, available: 8 }), 0);
  assert.equal(availableScaleDown({ replicas: 10, unavailable: 2, available: 1 }), 0);
});

// ---- planning over pod rows, simulated pass by pass

let seq = 0;
function row(hash: string, o: Partial<PodRow> = {}): PodRow {
  seq++;
  return makePodRow({
    name: `web-${hash}-${seq}`,
    uid: `u${seq}`,
    templateHash: hash,
    spec: "{}",
    node: "local",
    createdAt: seq,
    ...o,
  });
}

function spec(
  replicas: number,
  maxSurge: number | string,
  maxUnavailable: number | string,
  minReadySeconds = 0,
) {
  return {
    replicas,
    strategy: { type: "RollingUpdate" as const, maxSurge, maxUnavailable },
    minReadySeconds,
  };
}

interface SimOptions {
  spec: RolloutInput["spec"];
  old: number;
  /** Does a new pod become Ready (after one pass)? */
  newReady?: boolean;
  paused?: boolean;
  passes?: number;
}

/** Runs passes until nothing changes; deleted pods vanish one pass later; checks both bounds every pass. */
function simulate(o: SimOptions): { pods: PodRow[]; passes: number } {
  let pods = Array.from({ length: o.old }, () => row("old", { readySince: 0 }));
  let now = 1_000_000;
  const s = o.spec;
  const R = s.replicas;
  const { surge, unavailable } =
    s.strategy.type === "RollingUpdate"
      ? resolveFenceposts(s.strategy.maxSurge, s.strategy.maxUnavailable, R)
      : { surge: 0, unavailable: R };
  let idle = false;
  for (let pass = 0; pass < (o.passes ?? 100); pass++) {
    const plan = planRollout({
      spec: s,
      targetHash: "new",
      pods,
      revisionOf: (h) => (h === "new" ? 2 : 1),
      paused: o.paused ?? false,
      now,
    });
    // Terminated pods from earlier passes are gone; new pods that ran a pass become ready.
    pods = pods
      .filter((p) => p.deletionAt === null)
      .map((p) =>
        p.templateHash === "new" && !p.ready && (o.newReady ?? true)
          ? { ...p, ready: true, readySince: now }
          : p,
      );
    const doomed = new Set(plan.delete.map((d) => d.pod.name));
    pods = pods.map((p) => (doomed.has(p.name) ? { ...p, deletionAt: now } : p));
    for (let i = 0; i < plan.create; i++) pods.push(row("new", { ready: false, readySince: null }));
    const alive = pods.filter((p) => p.deletionAt === null);
    const available = alive.filter(
      (p) => p.ready && p.readySince !== null && p.readySince + s.minReadySeconds * 1000 <= now,
    );
    assert.ok(alive.length <= R + surge, `pass ${pass}: ${alive.length} pods > ${R} + ${surge}`);
    if (o.old >= R)
      assert.ok(
        available.length >= R - unavailable,
        `pass ${pass}: ${available.length} available < ${R} - ${unavailable}`,
      );
    // Settled: two empty plans in a row (the first may just have waited for readiness).
    const empty = plan.create === 0 && plan.delete.length === 0;
    if (empty && idle) return { pods, passes: pass };
    idle = empty;
    now += 1000;
  }
  return { pods, passes: o.passes ?? 100 };
}

test("planRollout() keeps both bounds at every pass and ends with only new pods", () => {
  const cases: [number, number | string, number | string][] = [
    [4, 1, 1],
    [4, 0, 1],
    [4, 1, 0],
    [10, "25%", "25%"],
    [10, "30%", 0],
    [3, "100%", 0],
    [5, 0, "100%"],
    [1, "25%", "25%"],
    [20, 5, 5],
  ];
  for (const [r, s, u] of cases) {
    const { pods } = simulate({ spec: spec(r, s, u), old: r });
    assert.equal(pods.length, r, `${r} ${s}/${u}`);
    assert.ok(
      pods.every((p) => p.templateHash === "new" && p.ready),
      `${r} ${s}/${u}: all new and ready`,
    );
  }
});

test("planRollout() honours minReadySeconds: old pods wait until new ones are available, and says when to look again", () => {
  const pods = [row("old"), row("old"), row("new", { readySince: 10_000 })];
  const plan = planRollout({
    spec: spec(2, 1, 0, 5),
    targetHash: "new",
    pods,
    revisionOf: () => 1,
    paused: false,
    now: 12_000,
  });
  assert.equal(plan.delete.length, 0);
  assert.equal(plan.create, 0);
  assert.equal(plan.nextCheckAt, 15_000);
  const later = planRollout({
    spec: spec(2, 1, 0, 5),
    targetHash: "new",
    pods,
    revisionOf: () => 1,
    paused: false,
    now: 15_000,
  });
  assert.equal(later.delete.length, 1);
});

test("planRollout() stalls with old pods serving when new pods never become ready", () => {
  const { pods } = simulate({ spec: spec(4, 1, 1), old: 4, newReady: false, passes: 20 });
  const alive = pods.filter((p) => p.deletionAt === null);
  assert.equal(
    alive.filter((p) => p.templateHash === "old").length,
    3,
    "old pods keep serving (4 - maxUnavailable)",
  );
  assert.equal(alive.length, 5, "replicas + maxSurge");
});

test("planRollout() with Recreate stops every old pod before creating a new one", () => {
  const recreate = { replicas: 3, strategy: { type: "Recreate" as const }, minReadySeconds: 0 };
  const old = [row("old"), row("old"), row("old")];
  const first = planRollout({
    spec: recreate,
    targetHash: "new",
    pods: old,
    revisionOf: () => 1,
    paused: false,
    now: 1,
  });
  assert.equal(first.delete.length, 3);
  assert.equal(first.create, 0);
  const terminating = old.map((p) => ({ ...p, deletionAt: 1 }));
  const second = planRollout({
    spec: recreate,
    targetHash: "new",
    pods: terminating,
    revisionOf: () => 1,
    paused: false,
    now: 2,
  });
  assert.equal(second.create, 0, "not while old pods terminate");
  const third = planRollout({
    spec: recreate,
    targetHash: "new",
    pods: [],
    revisionOf: () => 1,
    paused: false,
    now: 3,
  });
  assert.equal(third.create, 3);
});

test("planRollout() makes no rollout progress while paused, but keeps the replica count", () => {
  const pods = [row("old"), row("old"), row("old"), row("old")];
  const paused = planRollout({
    spec: spec(4, 1, 1),
    targetHash: "new",
    pods,
    revisionOf: () => 1,
    paused: true,
    now: 1,
  });
  assert.deepEqual([paused.create, paused.delete.length], [0, 0]);
  const scaledUp = planRollout({
    spec: spec(6, 1, 1),
    targetHash: "new",
    pods,
    revisionOf: () => 1,
    paused: true,
    now: 1,
  });
  // Kubernetes scales the one active ReplicaSet of a paused Deployment: the old template grows.
  assert.deepEqual(
    [scaledUp.create, scaledUp.createOld, scaledUp.delete.length],
    [0, [{ templateHash: "old", count: 2 }], 0],
  );
});

test("planRollout() scales a paused rollout proportionally (Kubernetes' 5 -> 10 and 13 -> 8)", () => {
  const revs = new Map([
    ["v1", 1],
    ["v2", 2],
  ]);
  const revisionOf = (h: string | null) => revs.get(h ?? "") ?? 0;
  // 3 old + 2 new, maxSurge 0: scaled to 10 -> 6 old, 4 new.
  const up = planRollout({
    spec: spec(10, 0, 1),
    targetHash: "v3",
    pods: [row("v2"), row("v2"), row("v2"), row("v3"), row("v3")],
    revisionOf: (h) => (h === "v3" ? 3 : revisionOf(h)),
    paused: true,
    now: 1,
  });
  assert.deepEqual([up.create, up.createOld, up.delete.length], [2, [{ templateHash: "v2", count: 3 }], 0]);
  // 3 of v1, 8 of v2, 2 of v3 scaled to 8: v1 3 -> 2, v2 8 -> 5, v3 2 -> 1; an unready pod goes first.
  const pods = [
    ...Array.from({ length: 3 }, () => row("v1")),
    ...Array.from({ length: 8 }, () => row("v2")),
    row("v3"),
    row("v3", { ready: false, readySince: null }),
  ];
  const down = planRollout({
    spec: spec(8, 0, 1),
    targetHash: "v3",
    pods,
    revisionOf: (h) => (h === "v3" ? 3 : revisionOf(h)),
    paused: true,
    now: 1,
  });
  const by = (h: string) => down.delete.filter((d) => d.pod.templateHash === h).length;
  assert.deepEqual([down.create, down.createOld, by("v1"), by("v2"), by("v3")], [0, [], 1, 3, 1]);
  assert.equal(down.delete.find((d) => d.pod.templateHash === "v3")?.pod.ready, false);
  assert.match(down.delete[0]?.reason ?? "", /scaled to 8 while paused/);
});

test("planRollout() scaled down mid-rollout stops unavailable and old pods first", () => {
  const pods = [
    row("old"),
    row("old"),
    row("old"),
    row("new"),
    row("new", { ready: false, readySince: null }),
  ];
  const plan = planRollout({
    spec: spec(2, 1, 1),
    targetHash: "new",
    pods,
    revisionOf: () => 1,
    paused: false,
    now: 10,
  });
  const left = pods.filter((p) => !plan.delete.some((d) => d.pod === p));
  const alive = left.length + plan.create;
  assert.ok(alive <= 3, `${alive} pods > 2 + 1`);
  assert.ok(
    plan.delete.some((d) => !d.pod.ready),
    "the unready new pod goes first",
  );
  assert.ok(left.filter((p) => p.ready).length >= 1, "availability kept");
});

test("planRollout() moves on to the newest template mid-rollout, stopping the pods of both older ones", () => {
  const pods = [row("v1"), row("v1"), row("v2"), row("v2", { ready: false, readySince: null })];
  const { pods: end } = (() => {
    let list = pods;
    for (let i = 0; i < 30; i++) {
      const plan = planRollout({
        spec: spec(3, 1, 1),
        targetHash: "v3",
        pods: list,
        revisionOf: (h) => (h === "v1" ? 1 : h === "v2" ? 2 : 3),
        paused: false,
        now: 1000 + i,
      });
      const doomed = new Set(plan.delete.map((d) => d.pod.name));
      list = list.filter((p) => !doomed.has(p.name)).map((p) => ({ ...p, ready: true, readySince: 0 }));
      for (let k = 0; k < plan.create; k++) list.push(row("v3", { ready: false, readySince: null }));
      assert.ok(list.length <= 4);
    }
    return { pods: list };
  })();
  assert.equal(end.length, 3);
  assert.ok(end.every((p) => p.templateHash === "v3"));
});

// ---- status and conditions

function psSpec(o: Partial<PodSetSpec> = {}) {
  return {
    replicas: 2,
    strategy: { type: "RollingUpdate" as const, maxSurge: 1, maxUnavailable: 0 },
    progressDeadlineSeconds: 10,
    ...o,
  };
}
const counts = (updated: number, available: number, replicas = 3) => ({
  replicas,
  updated,
  ready: available,
  available,
  updatedAvailable: Math.min(updated, available),
  old: replicas - updated,
});

test("planPodSetStatus() sets Progressing=False ProgressDeadlineExceeded once the deadline passes without progress", () => {
  const base = {
    name: "web",
    generation: 2,
    spec: psSpec(),
    revision: 2,
    templateHash: "h",
    newRevision: false,
    scaled: false,
    paused: false,
  };
  const first = planPodSetStatus({
    ...base,
    prev: undefined,
    counts: counts(1, 2),
    newRevision: true,
    now: 1000,
  });
  const prev = { ...first.status, paused: false };
  const early = planPodSetStatus({ ...base, prev, counts: counts(1, 2), now: 9000 });
  assert.equal(early.deadlineExceeded, false);
  const late = planPodSetStatus({
    ...base,
    prev: { ...early.status, paused: false },
    counts: counts(1, 2),
    now: 11_001,
  });
  assert.equal(late.deadlineExceeded, true);
  const cond = JSON.parse(late.status.conditions).find((c: { type: string }) => c.type === "Progressing");
  assert.deepEqual([cond.status, cond.reason], ["False", "ProgressDeadlineExceeded"]);
  const again = planPodSetStatus({
    ...base,
    prev: { ...late.status, paused: false },
    counts: counts(1, 2),
    now: 20_000,
  });
  assert.equal(again.deadlineExceeded, false, "reported once");
  const paused = planPodSetStatus({ ...base, prev, counts: counts(1, 2), paused: true, now: 50_000 });
  assert.equal(paused.deadlineExceeded, false, "no deadline while paused");
});

test("planPodSetStatus() reports complete with NewReplicaSetAvailable", () => {
  const st = planPodSetStatus({
    name: "web",
    generation: 1,
    spec: psSpec(),
    prev: undefined,
    revision: 1,
    templateHash: "h",
    counts: counts(2, 2, 2),
    newRevision: false,
    scaled: false,
    paused: false,
    now: 5,
  });
  assert.equal(st.complete, true);
  const conds = JSON.parse(st.status.conditions) as { type: string; reason: string }[];
  assert.deepEqual(
    conds.map((c) => [c.type, c.reason]),
    [
      ["Available", "MinimumReplicasAvailable"],
      ["Progressing", "NewReplicaSetAvailable"],
    ],
  );
});

// ---- revisions

function rev(revision: number, hash: string, failedAt: number | null = null) {
  return {
    podset: "web",
    revision,
    templateHash: hash,
    template: JSON.stringify({ metadata: { labels: {}, annotations: {} }, spec: { containers: [], hash } }),
    changeCause: `cause ${revision}`,
    createdAt: revision,
    failedAt,
  };
}

function podSetObj(limit = 10): PodSetObject {
  return {
    kind: "PodSet",
    metadata: { name: "web", labels: {}, annotations: { "kubernetes.io/change-cause": "image v3" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" }, annotations: {} }, spec: makePodSpec() },
      strategy: { type: "RollingUpdate", maxSurge: "25%", maxUnavailable: "25%" },
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: limit,
      rollbackOnFailure: false,
    },
  };
}

test("planRevisions() numbers a new template after the newest, and moves a known template to the next number", () => {
  const ps = podSetObj();
  const fresh = planRevisions({
    ps,
    specHash: "c",
    revisions: [rev(1, "a"), rev(2, "b")],
    pods: [],
    paused: false,
    now: 9,
  });
  assert.equal(fresh.created, true);
  assert.equal(fresh.target.revision, 3);
  const put = fresh.mutations.find((m) => m.op === "putRevision");
  assert.ok(put && put.op === "putRevision" && put.changeCause === "image v3");
  const undo = planRevisions({
    ps,
    specHash: "a",
    revisions: [rev(1, "a"), rev(2, "b")],
    pods: [],
    paused: false,
    now: 9,
  });
  assert.equal(undo.target.revision, 3, "revision 1's template becomes revision 3");
  const same = planRevisions({
    ps,
    specHash: "b",
    revisions: [rev(1, "a"), rev(2, "b")],
    pods: [],
    paused: false,
    now: 9,
  });
  assert.deepEqual([same.created, same.target.revision, same.mutations.length], [false, 2, 0]);
  const paused = planRevisions({
    ps,
    specHash: "c",
    revisions: [rev(1, "a"), rev(2, "b")],
    pods: [],
    paused: true,
    now: 9,
  });
  assert.deepEqual([paused.created, paused.target.templateHash], [false, "b"], "paused: the change waits");
});

test("planRevisions() keeps revisionHistoryLimit old revisions without pods, and any that still has pods", () => {
  const revisions = [rev(1, "a"), rev(2, "b"), rev(3, "c"), rev(4, "d")];
  const withPods = [row("a")];
  const plan = planRevisions({
    ps: podSetObj(1),
    specHash: "d",
    revisions,
    pods: withPods,
    paused: false,
    now: 9,
  });
  const dropped = plan.mutations.flatMap((m) => (m.op === "deleteRevision" ? [m.revision] : []));
  assert.deepEqual(dropped, [2], "a has pods; c is the one kept; b goes");
  const none = planRevisions({ ps: podSetObj(0), specHash: "d", revisions, pods: [], paused: false, now: 9 });
  assert.deepEqual(
    none.mutations.flatMap((m) => (m.op === "deleteRevision" ? [m.revision] : [])),
    [1, 2, 3],
  );
});

test("undoTarget() picks the previous revision, a given one, or for auto-rollback the newest that did not fail", () => {
  const revisions = [rev(1, "a"), rev(2, "b", 5), rev(3, "c")];
  assert.equal(undoTarget(revisions, undefined)?.revision, 2);
  assert.equal(undoTarget(revisions, 1)?.revision, 1);
  assert.equal(undoTarget(revisions, 7), undefined);
  assert.equal(undoTarget(revisions, undefined, { skipFailed: true })?.revision, 1);
});

test("planRevisions() skips a revision row that does not parse and numbers past it", () => {
  const broken = { ...rev(2, "b"), template: "{not json" };
  const plan = planRevisions({
    ps: podSetObj(),
    specHash: "c",
    revisions: [rev(1, "a"), broken],
    pods: [],
    paused: false,
    now: 9,
  });
  assert.equal(plan.target.revision, 3);
  assert.equal(undoTarget([rev(1, "a"), broken, rev(3, "c")], 2), undefined);
});
