import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BadRowReporter, checkNode, checkObject, checkPod } from "../../src/controller/row-check.ts";
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import type { PodSetObject } from "../../src/manifest/types.ts";
import { NodeAgent } from "../../src/node/agent.ts";
import { sortAttempts } from "../../src/reconcile/attempts.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";
import type { NodeRow, ObjectRow, PodRow } from "../../src/store/rows.ts";
import { Store } from "../../src/store/store.ts";
import { makePodSpec, upsertNodeMutation } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-rowcheck-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const podRow = (o: Partial<PodRow>): PodRow =>
  ({ name: "p", labels: "{}", annotations: "{}", spec: JSON.stringify(makePodSpec()), ...o }) as PodRow;
const nodeRow = (o: Partial<NodeRow>): NodeRow =>
  ({ name: "n", labels: "{}", taints: "[]", ...o }) as NodeRow;

test("checkPod() names the column and the path of what does not parse", () => {
  assert.equal(checkPod(podRow({})).ok, true);
  const notJson = checkPod(podRow({ spec: "{not json" }));
  assert.equal(notJson.ok, false);
  assert.match(!notJson.ok ? notJson.reason : "", /^column spec: not valid JSON \(/);
  const noContainers = checkPod(podRow({ spec: JSON.stringify({ ...makePodSpec(), containers: 5 }) }));
  assert.match(!noContainers.ok ? noContainers.reason : "", /^column spec at containers: /);
  const badLabels = checkPod(podRow({ labels: '{"a":1}' }));
  assert.match(!badLabels.ok ? badLabels.reason : "", /^column labels at a: /);
});

test("checkNode() refuses taints that are not a list of taints", () => {
  assert.equal(checkNode(nodeRow({ taints: '[{"key":"k","effect":"NoSchedule"}]' })).ok, true);
  for (const taints of ["5", '"x"', "null", '[{"key":"k","effect":"Sometimes"}]', "[1]"]) {
    const r = checkNode(nodeRow({ taints }));
    assert.equal(r.ok, false, taints);
    assert.match(!r.ok ? r.reason : "", /^column taints/);
  }
});

test("checkObject() refuses a spec that names another object", () => {
  const ps: PodSetObject = podSet("web", 1);
  const row = { kind: "PodSet", name: "web", spec: JSON.stringify(ps) } as ObjectRow;
  assert.equal(checkObject(row).ok, true);
  const r = checkObject({ ...row, name: "other" });
  assert.match(!r.ok ? r.reason : "", /names PodSet\/web/);
});

test("BadRowReporter reports a row once per interval, again after it", () => {
  const r = new BadRowReporter(60_000);
  const bad = [{ kind: "Node", name: "n", reason: "column taints: x" }];
  assert.equal(r.report(bad, 0).length, 1);
  assert.equal(r.report(bad, 30_000).length, 0);
  assert.equal(r.report([...bad, { kind: "Pod", name: "p", reason: "y" }], 30_000).length, 1);
  assert.equal(r.report(bad, 60_000).length, 1);
});

function podSet(name: string, replicas: number): PodSetObject {
  return {
    kind: "PodSet",
    metadata: { name, labels: {}, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations: {} }, spec: makePodSpec() },
      strategy: { type: "Recreate" },
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      rollbackOnFailure: false,
    },
  };
}

function putPodSet(store: Store, ps: PodSetObject, at: number): void {
  store.commit([
    {
      op: "putObject",
      kind: "PodSet",
      name: ps.metadata.name,
      apiVersion: "mk/v1",
      spec: JSON.stringify(ps),
      specHash: JSON.stringify(ps.spec.replicas),
      sourceFile: null,
      at,
    },
  ]);
}

function addNode(store: Store, name: string, at: number, taints = "[]"): void {
  store.commit([
    {
      op: "upsertNode",
      name,
      docker: `ssh://root@${name}`,
      identityFile: null,
      socketPath: null,
      labels: "{}",
      taints,
      unschedulable: false,
      at,
    },
    {
      op: "setNodeStatus",
      name,
      state: "Ready",
      message: null,
      at,
      heartbeat: true,
      capacity: { cpuMilli: 4000, memoryBytes: 2 ** 33, dockerVersion: "test" },
    },
  ]);
}

test("Engine.controllerPass() schedules, evicts and scales around a bad node, pod and object row", () => {
  const clock = new FakeClock(1_000_000);
  const store = Store.open(join(dir, "engine.db"), { clock });
  const engine = new Engine({ store, log: silentLogger, clock, localNode: false, settleMs: 0 });
  addNode(store, "good", clock.now());
  addNode(store, "lost", clock.now());
  addNode(store, "broken", clock.now());
  putPodSet(store, podSet("web", 2), clock.now());
  putPodSet(store, podSet("other", 1), clock.now());
  engine.controllerPass();
  const pods = () => store.listPods({ ownerName: "web" }).filter((p) => p.deletionAt === null);
  assert.equal(pods().length, 2);

  // The damage: taints = '5' (the issue's POST {"taints": 5}), a pod spec that is not JSON, an
  // object whose spec is not JSON.
  store.sqlite.prepare("update nodes set taints = '5' where name = 'broken'").run();
  const victim = pods()[0]!;
  store.sqlite.prepare("update pods set spec = '{nope' where name = ?").run(victim.name);
  store.sqlite.prepare("update objects set spec = 'garbage' where name = 'other'").run();
  const otherPods = store.listPods({ ownerName: "other" }).length;

  // Scaling still works, the new pod is bound to a good node, and a lost node is still evicted.
  putPodSet(store, podSet("web", 4), clock.now());
  engine.controllerPass();
  const bound = pods().filter((p) => p.node !== null);
  assert.equal(pods().length, 4, "scaled to 4 despite the bad rows");
  assert.ok(bound.length >= 3, `bound: ${bound.map((p) => `${p.name}@${p.node}`).join(" ")}`);
  assert.ok(
    bound.every((p) => p.node !== "broken"),
    "nothing bound to the node whose row is bad",
  );
  assert.equal(store.listPods({ ownerName: "other" }).length, otherPods, "a bad object is not a deleted one");

  const onLost = pods().filter((p) => p.node === "lost" && p.name !== victim.name);
  clock.step(10_000); // "lost" (and the others) stop heartbeating
  store.commit([
    { op: "setNodeStatus", name: "good", state: "Ready", message: null, at: clock.now(), heartbeat: true },
  ]);
  engine.controllerPass();
  clock.step(3000);
  store.commit([
    { op: "setNodeStatus", name: "good", state: "Ready", message: null, at: clock.now(), heartbeat: true },
  ]);
  engine.controllerPass();
  assert.equal(store.getNode("lost")?.state, "Unknown");
  for (const p of onLost)
    assert.notEqual(store.getPod(p.name)?.deletionAt ?? null, null, `${p.name} evicted`);

  const warnings = store.listEvents().filter((e) => e.reason === "InvalidRow");
  const names = warnings.map((e) => `${e.objectKind}/${e.objectName}`).sort();
  assert.deepEqual(names, ["Node/broken", `Pod/${victim.name}`, "PodSet/other"].sort());
  assert.ok(
    warnings.every((e) => e.count === 1),
    "reported once, not once per pass",
  );
  assert.match(
    warnings.find((e) => e.objectKind === "Node")?.message ?? "",
    /Skipped node "broken" in the state: column taints/,
  );
  store.close();
});

test("NodeAgent.pass() runs the other pods and leaves a bad pod's container alone", async () => {
  const clock = new FakeClock(1_000_000);
  const store = Store.open(join(dir, "agent.db"), { clock });
  const rt = new FakeRuntime(clock);
  rt.images.add("mk.local/busybox:1");
  const agent = new NodeAgent({
    store,
    runtime: rt,
    node: "local",
    cluster: store.clusterId(),
    clock,
    backoff: { initialMs: 1000, maxMs: 4000, resetMs: 60_000 },
    log: silentLogger,
  });
  const engine = new Engine({ store, log: silentLogger, clock, localNode: false, settleMs: 0 });
  store.commit([
    upsertNodeMutation("local", clock.now()),
    {
      op: "setNodeStatus",
      name: "local",
      state: "Ready",
      message: null,
      at: clock.now(),
      heartbeat: true,
      capacity: { cpuMilli: 4000, memoryBytes: 2 ** 33, dockerVersion: "test" },
    },
  ]);
  putPodSet(store, podSet("web", 2), clock.now());
  engine.controllerPass();
  await agent.pass();
  assert.equal(rt.containers.size, 2);
  const [bad, good] = store.listPods();
  store.sqlite.prepare("update pods set spec = '[]' where name = ?").run(bad!.name);
  for (const c of rt.containers.values()) rt.exit(c.id, 1);
  await agent.pass();
  // A restart is a new container: the pod's current one is its newest run.
  const byPod = (name: string) =>
    sortAttempts([...rt.containers.values()].filter((c) => c.labels["mk.pod"] === name)).current;
  assert.equal(byPod(good!.name)?.state, "running", "the good pod was restarted");
  assert.equal(byPod(bad!.name)?.state, "exited", "the bad pod's container is left alone, not removed");
  await agent.pass();
  const ev = store.listEvents().filter((e) => e.reason === "InvalidRow");
  assert.equal(ev.length, 1);
  assert.equal(ev[0]?.count, 1);
  assert.equal(ev[0]?.objectName, bad!.name);
  store.close();
});
