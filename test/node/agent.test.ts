import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { planPods } from "../../src/controller/pods.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import type { PodObject, PodSpec } from "../../src/manifest/types.ts";
import { NodeAgent, toDesiredPod } from "../../src/node/agent.ts";
import { sortAttempts } from "../../src/reconcile/attempts.ts";
import { toCreateSpec } from "../../src/reconcile/container-spec.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";
import { Store } from "../../src/store/store.ts";
import { makePodSpec, upsertNodeMutation } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-agent-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function setup(name: string, spec: Partial<PodSpec> = {}) {
  const clock = new FakeClock(1_000_000);
  const store = Store.open(join(dir, `${name}.db`), { clock });
  const rt = new FakeRuntime(clock);
  rt.images.add("mk.local/busybox:1");
  const pod: PodObject = {
    kind: "Pod",
    metadata: { name: "web", labels: {}, annotations: {} },
    spec: makePodSpec(spec),
  };
  let n = 0;
  store.commit(
    planPods({ objects: [pod], pods: [], now: clock.now(), random: Math.random, newUid: () => `uid-${n++}` }),
  );
  store.commit([{ op: "bindPod", name: "web", node: "local", at: clock.now() }]);
  const agent = new NodeAgent({
    store,
    runtime: rt,
    node: "local",
    cluster: store.clusterId(),
    clock,
    backoff: { initialMs: 1000, maxMs: 4000, resetMs: 60_000 },
    log: silentLogger,
  });
  /** The newest run; a restart keeps at most the previous run's container beside it. */
  const only = () => {
    const list = [...rt.containers.values()];
    assert.ok(list.length >= 1 && list.length <= 2, `one or two containers, got ${list.length}`);
    return sortAttempts(list).current!;
  };
  return { clock, store, rt, agent, only };
}

test("NodeAgent restarts a killed container at once, then after 1s, 2s, 4s, 4s (fake clock)", async () => {
  const { clock, store, rt, agent, only } = setup("backoff");
  await agent.pass();
  assert.equal(only().state, "running");
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    clock.step(100);
    rt.exit(only().id, 137);
    const diedAt = clock.now();
    // Pass repeatedly, 100 ms apart, until the container runs again.
    for (let t = 0; t < 100 && only().state !== "running"; t++) {
      await agent.pass();
      if (only().state === "running") break;
      const pod = store.getPod("web");
      assert.equal(pod?.reason, i === 0 ? pod?.reason : "CrashLoopBackOff");
      clock.step(100);
    }
    delays.push(clock.now() - diedAt);
  }
  assert.deepEqual(delays, [0, 1000, 2000, 4000, 4000]);
  await agent.pass(); // the pass after a restart reports the pod's new status
  const pod = store.getPod("web");
  assert.equal(pod?.restartCount, 5);
  assert.equal(pod?.phase, "Running");
  const st = store.containerStatuses("web")[0];
  assert.equal(st?.lastExitCode, 137);
  assert.equal(st?.restartCount, 5);
  // Every restart was a new container; only the current run and the previous one remain.
  const names = [...rt.containers.values()].map((c) => c.name).sort();
  assert.deepEqual(
    names.map((n) => n.replace(/^mk_web_main_[0-9a-z]{1,8}_/, "")),
    ["4", "5"],
    names.join(","),
  );
  assert.equal(rt.calls.filter((c) => c === "create").length, 6);
  assert.equal(rt.calls.filter((c) => c === "start").length, 6);
  store.close();
});

test("NodeAgent leaves a Never pod Failed and an OnFailure pod that exited 0 Succeeded", async () => {
  for (const [policy, code, phase] of [
    ["Never", 1, "Failed"],
    ["OnFailure", 0, "Succeeded"],
  ] as const) {
    const { clock, store, rt, agent, only } = setup(`policy-${policy}`, { restartPolicy: policy });
    await agent.pass();
    clock.step(50);
    rt.exit(only().id, code);
    await agent.pass();
    clock.step(60_000);
    await agent.pass();
    assert.equal(only().state, "exited", `${policy}: not restarted`);
    assert.equal(store.getPod("web")?.phase, phase);
    assert.equal(store.getPod("web")?.restartCount, 0);
    store.close();
  }
});

test("NodeAgent shows ErrImagePull then ImagePullBackOff when the image cannot be pulled, without throwing", async () => {
  const { store, rt, agent } = setup("pull", {
    containers: [{ ...makePodSpec().containers[0]!, image: "nowhere.example/app:1" }],
  });
  rt.fail.set("pull", "pull access denied for nowhere.example/app");
  const r = await agent.pass();
  assert.equal(r.failed, 1);
  await agent.pass();
  const pod = store.getPod("web");
  assert.equal(pod?.phase, "Pending");
  assert.equal(pod?.reason, "ImagePullBackOff");
  assert.match(pod?.message ?? "", /pull access denied/);
  const reasons = store.listEvents({ objectName: "web" }).map((e) => e.reason);
  assert.ok(reasons.includes("ErrImagePull"), reasons.join(","));
  assert.equal(rt.containers.size, 0);
  store.close();
});

test("NodeAgent never starts a second run while the first still runs, when its list of the node was stale", async () => {
  const { clock, store, rt, agent } = setup("stale-list");
  await agent.pass();
  const [first] = [...rt.containers.values()];
  assert.equal(first?.state, "running");
  assert.equal(store.containerStatuses("web")[0]?.state, "running");
  // The race: the pass's list was taken before a create finished (another agent's action, a list
  // that raced a commit), so run 0 is missing from it while its status already says running. The
  // plan takes it for a vanished container and restarts it as run 1.
  const list = rt.list.bind(rt);
  let stale = 1;
  rt.list = async (labels) => (stale-- > 0 ? [] : list(labels));
  clock.step(100);
  await agent.pass();
  clock.step(100);
  await agent.pass();
  const running = [...rt.containers.values()].filter((c) => c.state === "running");
  assert.deepEqual(
    running.map((c) => c.name),
    [first.name],
    [...rt.containers.values()].map((c) => `${c.name} ${c.state}`).join("\n"),
  );
  assert.equal(rt.calls.filter((c) => c === "create").length, 1);
  assert.equal(store.containerStatuses("web")[0]?.state, "running");
  assert.equal(store.containerStatuses("web")[0]?.restartCount, 0);
  store.close();
});

test("NodeAgent starts a created run only once no other run of the container is active", async () => {
  const { clock, store, rt, agent } = setup("stale-start");
  await agent.pass();
  const [first] = [...rt.containers.values()];
  assert.ok(first);
  // Run 1 exists but is only created (a restart whose start did not get through), and the pass's
  // list does not show run 0, which still runs: starting run 1 would make two running runs.
  const pod = toDesiredPod(store.getPod("web")!);
  const id = await rt.create(toCreateSpec(pod, pod.spec.containers[0]!, "local", store.clusterId(), 1));
  const list = rt.list.bind(rt);
  let stale = 1;
  rt.list = async (labels) =>
    stale-- > 0 ? (await list(labels)).filter((c) => c.id !== first.id) : list(labels);
  clock.step(100);
  await agent.pass();
  const running = [...rt.containers.values()].filter((c) => c.state === "running");
  assert.equal(running.length, 1, [...rt.containers.values()].map((c) => `${c.name} ${c.state}`).join("\n"));
  assert.notEqual(rt.containers.get(id)?.state, "running");
  store.close();
});

test("Two nodes on one Docker daemon: a node's agent leaves the other node's containers alone; a removed node's are orphans", async () => {
  const { clock, store, rt, agent, only } = setup("shared-daemon");
  store.commit([upsertNodeMutation("local", clock.now()), upsertNodeMutation("n2", clock.now())]);
  await agent.pass();
  const web = only();
  assert.equal(web.state, "running");
  const other = new NodeAgent({
    store,
    runtime: rt,
    node: "n2",
    cluster: store.clusterId(),
    clock,
    backoff: { initialMs: 1000, maxMs: 4000, resetMs: 60_000 },
    log: silentLogger,
  });
  await agent.pass(); // observes the container it created
  await other.pass();
  clock.step(3000);
  await other.pass();
  assert.equal(rt.containers.get(web.id)?.state, "running", "n2's agent kept local's container");
  assert.deepEqual(
    store.observedContainers().map((c) => c.node),
    ["local"],
    "the container is observed once, on its own node",
  );
  // Once local is removed, its containers belong to no registered node: n2 cleans them up.
  store.commit([{ op: "deleteNode", name: "local" }]);
  await other.pass();
  clock.step(3000);
  await other.pass();
  assert.equal(rt.containers.has(web.id), false, "a removed node's container is an orphan");
});
