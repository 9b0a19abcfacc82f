import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import type { Action } from "../../src/reconcile/actions.ts";
import { DEFAULT_BACKOFF } from "../../src/reconcile/backoff.ts";
import { executeActions } from "../../src/reconcile/execute.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";
import { makeContainer, makePod } from "../fixtures.ts";

function deps(rt: FakeRuntime, clock: FakeClock, extra: Partial<Parameters<typeof executeActions>[1]> = {}) {
  return {
    runtime: rt,
    node: "local",
    cluster: "c",
    now: () => clock.now(),
    concurrency: 2,
    statuses: new Map(),
    backoffFor: () => ({ ...DEFAULT_BACKOFF, initialMs: 1000 }),
    ...extra,
  };
}

test("executeActions() puts a container that will not start into back-off (RunContainerError), not a tight retry", async () => {
  const clock = new FakeClock(1000);
  const rt = new FakeRuntime(clock);
  rt.images.add("mk.local/busybox:1");
  rt.fail.set("start", 'exec: "nope": executable file not found in $PATH');
  const pod = makePod();
  const [r] = await executeActions(
    [
      {
        type: "create",
        pod,
        container: pod.spec.containers[0]!,
        pull: false,
        restart: false,
        attempt: 0,
        reason: "new",
      },
    ],
    deps(rt, clock),
  );
  assert.equal(r?.ok, false);
  const st = r?.mutations.find((m) => m.op === "putContainerStatus");
  assert.ok(st?.op === "putContainerStatus");
  assert.equal(st.status.reason, "RunContainerError");
  assert.equal(st.status.nextRestartAt, 2000);
  assert.match(st.status.message ?? "", /executable file not found/);
});

test("executeActions() stops a pod's queue at the first failure: no finalize after a failed removal", async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime(clock);
  rt.fail.set("remove", "device busy");
  const pod = makePod({ deleting: true });
  const actions: Action[] = [
    { type: "remove", pod, container: "main", id: "x", graceSeconds: 0, reason: "deleting" },
    { type: "finalize", pod, reason: "gone" },
  ];
  const results = await executeActions(actions, deps(rt, clock));
  assert.deepEqual(
    results.map((r) => [r.action.type, r.ok]),
    [["remove", false]],
  );
});

test("executeActions() replaces a container only once the new image is there", async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime(clock);
  rt.images.add("mk.local/busybox:1");
  const old = makePod();
  const oldId = await rt.create({
    name: "mk_web_main_11111111",
    image: "mk.local/busybox:1",
    env: [],
    labels: {},
    ports: [],
  });
  await rt.start(oldId);
  rt.fail.set("pull", "no registry");
  const pod = makePod({ spec: { containers: [makeContainer({ image: "mk.local/busybox:9" })] } });
  const [r] = await executeActions(
    [
      {
        type: "replace",
        pod,
        container: pod.spec.containers[0]!,
        id: oldId,
        attempt: 1,
        reason: "spec changed",
      },
    ],
    deps(rt, clock),
  );
  assert.equal(r?.ok, false);
  assert.equal(rt.containers.get(oldId)?.state, "running", "the old container still runs");
  assert.ok(old);
  const st = r?.mutations.find((m) => m.op === "putContainerStatus");
  assert.ok(st?.op === "putContainerStatus" && st.status.reason === "ImagePullBackOff");
});

test("executeActions() does nothing for a pod that is no longer bound here", async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime(clock);
  rt.images.add("mk.local/busybox:1");
  const pod = makePod();
  const [r] = await executeActions(
    [
      {
        type: "create",
        pod,
        container: pod.spec.containers[0]!,
        pull: false,
        restart: false,
        attempt: 0,
        reason: "new",
      },
    ],
    deps(rt, clock, { stillBound: () => false }),
  );
  assert.equal(r?.ok, true);
  assert.equal(rt.containers.size, 0);
});
