import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FailedSchedulingEvents } from "../../src/controller/failed-scheduling.ts";
import { schedulePending } from "../../src/controller/scheduling.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import type { PodSpec } from "../../src/manifest/types.ts";
import { judgePod } from "../../src/ops/pod-health.ts";
import { getPod } from "../../src/ops/queries.ts";
import { Store } from "../../src/store/store.ts";
import { makePodSpec, upsertNodeMutation } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-scheduling-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function node(store: Store, name: string, state: "Ready" | "NotReady", at: number): void {
  store.commit([
    upsertNodeMutation(name, at, `ssh://root@${name}`),
    {
      op: "setNodeStatus",
      name,
      state,
      message: null,
      at,
      heartbeat: true,
      capacity: { cpuMilli: 1000, memoryBytes: 2 ** 30, dockerVersion: "test" },
    },
  ]);
}

function pod(store: Store, name: string, spec: PodSpec, at: number): void {
  store.commit([
    {
      op: "createPod",
      pod: {
        name,
        uid: `${name}-uid`,
        ownerKind: "Pod",
        ownerName: name,
        templateHash: null,
        labels: "{}",
        annotations: "{}",
        spec: JSON.stringify(spec),
        specHash: "h",
        node: null,
        phase: "Pending",
        createdAt: at,
      },
    },
  ]);
}

test("schedulePending() stores the scheduler's transient flag, and judgePod() waits on it or fails without it", () => {
  const clock = new FakeClock(1_000_000);
  const store = Store.open(join(dir, "transient.db"), { clock });
  node(store, "down", "NotReady", clock.now());
  const small = makePodSpec();
  const huge = makePodSpec();
  for (const c of huge.containers) c.resources.requests = { cpuMilli: 64_000 };
  pod(store, "fits-later", small, clock.now());
  pod(store, "never-fits", huge, clock.now());
  const out = schedulePending(store, clock.now(), { strategy: "least-loaded", rrCursor: 0, settleMs: 0 });
  store.commit(out.mutations);

  const later = getPod(store, "fits-later");
  assert.equal(later.reason, "Unschedulable");
  assert.equal(later.message, "0/1 nodes are available: 1 node is not ready");
  assert.equal(later.unschedulableTransient, true);
  assert.equal(judgePod(later, clock.now()).state, "waiting");
  // The same message text, but the node would not take it even when ready: stuck.
  const never = getPod(store, "never-fits");
  assert.equal(never.message, "0/1 nodes are available: 1 node is not ready");
  assert.equal(never.unschedulableTransient, false);
  assert.equal(judgePod(never, clock.now()).state, "failed");

  // The flag follows the node: once it is ready, the huge pod's failure is lasting on its own.
  node(store, "down", "Ready", clock.now());
  const again = schedulePending(store, clock.now(), { strategy: "least-loaded", rrCursor: 0, settleMs: 0 });
  store.commit(again.mutations);
  assert.equal(getPod(store, "fits-later").node, "down");
  assert.equal(getPod(store, "never-fits").message, "0/1 nodes are available: 1 Insufficient cpu");
  assert.equal(getPod(store, "never-fits").unschedulableTransient, false);
  store.close();
});

test("FailedSchedulingEvents: one event per back-off step (1 s doubling to 10 s), at once on a new reason, afresh once bound", () => {
  const ev = new FailedSchedulingEvents();
  const recordedAt: number[] = [];
  for (let t = 0; t <= 40_000; t += 100)
    if (ev.record("p", "0/1 nodes are available: 1 Insufficient cpu", t)) recordedAt.push(t);
  assert.deepEqual(recordedAt, [0, 1000, 3000, 7000, 15_000, 25_000, 35_000]);
  // Another reason is news: recorded at once, with the back-off started again.
  assert.equal(ev.record("p", "0/1 nodes are available: 1 node is not ready", 35_100), true);
  assert.equal(ev.record("p", "0/1 nodes are available: 1 node is not ready", 35_200), false);
  assert.equal(ev.record("p", "0/1 nodes are available: 1 node is not ready", 36_100), true);
  // A pod no longer pending is forgotten; pending again, its first failure is recorded.
  ev.retain(new Set());
  assert.equal(ev.record("p", "0/1 nodes are available: 1 node is not ready", 36_200), true);
  assert.equal(ev.record("q", "0/1 nodes are available: 1 node is not ready", 36_200), true);
});

test("schedulePending() with FailedSchedulingEvents: the pod's status is kept current on every pass, the event only per back-off", () => {
  const clock = new FakeClock(1_000_000);
  const store = Store.open(join(dir, "events-backoff.db"), { clock });
  node(store, "small", "Ready", clock.now());
  const huge = makePodSpec();
  for (const c of huge.containers) c.resources.requests = { cpuMilli: 64_000 };
  pod(store, "huge", huge, clock.now());
  const events = new FailedSchedulingEvents();
  const kinds: string[][] = [];
  for (let i = 0; i < 20; i++) {
    const out = schedulePending(store, clock.now(), {
      strategy: "least-loaded",
      rrCursor: 0,
      settleMs: 0,
      events,
    });
    kinds.push(out.mutations.map((m) => m.op));
    store.commit(out.mutations);
    clock.step(100);
  }
  // Pass 0: status and event; pass 10 (1 s later): the event again; nothing in between.
  assert.deepEqual(kinds[0], ["setPodStatus", "recordEvent"]);
  assert.deepEqual(kinds[10], ["recordEvent"]);
  assert.deepEqual(
    kinds.filter((_, i) => i !== 0 && i !== 10),
    Array.from({ length: 18 }, () => []),
  );
  assert.equal(getPod(store, "huge").message, "0/1 nodes are available: 1 Insufficient cpu");
  store.close();
});
