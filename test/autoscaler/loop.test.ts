// AutoscalerController on a real state file, a fake clock and a scripted metrics source: the
// rescale goes through the journaled PodSet write with its events, the status and the
// stabilization history survive a controller restart, failures become conditions, and apply of a
// Deployment without replicas keeps the autoscaled count.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { AutoscalerController, statusOfRow } from "../../src/autoscaler/loop.ts";
import type { MetricsResult } from "../../src/autoscaler/reconcile.ts";
import type { MetricsSource } from "../../src/autoscaler/sources.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { parseManifestText } from "../../src/manifest/parse.ts";
import type { PodSetObject } from "../../src/manifest/types.ts";
import { applyObjects } from "../../src/ops/apply.ts";
import { getAutoscaler } from "../../src/ops/queries.ts";
import { Store } from "../../src/store/store.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-autoscaler-loop-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const deployment = (
  replicas: string,
  cpu = "resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}",
) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: burn}
spec:
${replicas}  selector: {matchLabels: {app: burn}}
  template:
    metadata: {labels: {app: burn}}
    spec:
      containers:
      - name: main
        image: mk.local/busybox:1
        ${cpu}
`;
const HPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: burn}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 60}
`;

function apply(store: Store, yaml: string) {
  const { objects, issues } = parseManifestText(yaml, "m.yaml");
  assert.deepEqual(issues, []);
  return applyObjects(store, objects);
}

/** Marks every pod of the PodSet Running and ready, started a minute before `now`. */
function runAll(store: Store, now: number): string[] {
  const pods = store
    .listPods({ ownerKind: "PodSet", ownerName: "burn" })
    .filter((p) => p.deletionAt === null);
  store.commit(
    pods.map((p) => ({
      op: "setPodStatus" as const,
      name: p.name,
      phase: "Running" as const,
      reason: null,
      message: null,
      ready: true,
      restartCount: 0,
      ip: null,
      startedAt: now - 60_000,
    })),
  );
  return pods.map((p) => p.name);
}

class ScriptedSource implements MetricsSource {
  readonly name = "scripted";
  next: (pods: string[]) => MetricsResult = () => ({ ok: true, metrics: new Map() });
  constructor(private readonly store: Store) {}
  async fetch(): Promise<MetricsResult> {
    return this.next(this.store.listPods().map((p) => p.name));
  }
}

const replicasOf = (store: Store) =>
  (JSON.parse(store.getObject("PodSet", "burn")?.spec ?? "{}") as PodSetObject).spec.replicas;
const each = (milli: number) => (pods: string[]) => ({
  ok: true as const,
  metrics: new Map(pods.map((p) => [p, milli])),
});

test("AutoscalerController scales a busy PodSet up through the journal, holds, and scales down after the window", async () => {
  const clock = new FakeClock();
  const path = join(dir, "scale.db");
  let store = Store.open(path, { clock });
  apply(store, `${deployment("")}---\n${HPA}`);
  runAll(store, clock.now());
  const source = new ScriptedSource(store);
  source.next = each(200);
  const controller = (s: Store) =>
    new AutoscalerController({ store: s, log: silentLogger, clock, source, syncMs: 15_000 });

  const seq = store.journalSeq();
  await controller(store).syncAll();
  assert.equal(replicasOf(store), 3);
  const journaled = store.sqlite.prepare("select op from journal where seq > ? order by seq").all(seq) as {
    op: string;
  }[];
  assert.ok(
    journaled.some((j) => j.op === "putObject"),
    JSON.stringify(journaled),
  );
  const events = store.listEvents({ objectKind: "Autoscaler", objectName: "burn" });
  assert.deepEqual(
    events.map((e) => `${e.reason}: ${e.message}`),
    ["SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target"],
  );
  assert.equal(getAutoscaler(store, "burn").targets, "200%/50%");

  // Re-applying the Deployment without replicas keeps the autoscaled 3 (nothing to write).
  assert.equal(apply(store, deployment(""))[0]?.action, "unchanged");
  assert.equal(replicasOf(store), 3);

  // Idle: the 60 s window holds the scale-down, also across a controller (and store) restart.
  clock.step(15_000);
  runAll(store, clock.now());
  source.next = each(1);
  await controller(store).syncAll();
  assert.equal(replicasOf(store), 3);
  store.close();
  store = Store.open(path, { clock });
  source.next = each(1);
  (source as unknown as { store: Store }).store = store;
  clock.step(30_000);
  await controller(store).syncAll();
  assert.equal(replicasOf(store), 3);
  const held = getAutoscaler(store, "burn").conditions.find((c) => c.type === "AbleToScale");
  assert.equal(held?.reason, "ScaleDownStabilized");
  clock.step(31_000);
  await controller(store).syncAll();
  assert.equal(replicasOf(store), 1);
  assert.equal(getAutoscaler(store, "burn").currentReplicas, 3);
  assert.equal(getAutoscaler(store, "burn").desiredReplicas, 1);

  // A manifest that states replicas resets them, as in Kubernetes.
  assert.equal(apply(store, deployment("  replicas: 2\n"))[0]?.action, "configured");
  assert.equal(replicasOf(store), 2);
  store.close();
});

test("AutoscalerController keeps replicas and records the condition when metrics fail, then recovers", async () => {
  const clock = new FakeClock();
  const store = Store.open(join(dir, "fail.db"), { clock });
  apply(store, `${deployment("  replicas: 2\n")}---\n${HPA}`);
  runAll(store, clock.now());
  const source = new ScriptedSource(store);
  const controller = new AutoscalerController({ store, log: silentLogger, clock, source });
  source.next = () => ({ ok: false, error: "Prometheus http://127.0.0.1:1 unreachable: ECONNREFUSED" });
  await controller.syncAll();
  assert.equal(replicasOf(store), 2);
  const active = getAutoscaler(store, "burn").conditions.find((c) => c.type === "ScalingActive");
  assert.deepEqual([active?.status, active?.reason], ["False", "FailedGetResourceMetric"]);
  assert.match(active?.message ?? "", /Prometheus http:\/\/127\.0\.0\.1:1 unreachable: ECONNREFUSED/);
  clock.step(15_000);
  source.next = each(200);
  await controller.syncAll();
  assert.equal(replicasOf(store), 3);
  assert.equal(
    getAutoscaler(store, "burn").conditions.find((c) => c.type === "ScalingActive")?.status,
    "True",
  );
  store.close();
});

test("AutoscalerController reports FailedGetResourceMetric for a target without a cpu request", async () => {
  const clock = new FakeClock();
  const store = Store.open(join(dir, "norequest.db"), { clock });
  apply(store, `${deployment("", "resources: {}")}---\n${HPA}`);
  runAll(store, clock.now());
  const source = new ScriptedSource(store);
  source.next = each(200);
  await new AutoscalerController({ store, log: silentLogger, clock, source }).syncAll();
  assert.equal(replicasOf(store), 1);
  const warning = store
    .listEvents({ objectKind: "Autoscaler", objectName: "burn" })
    .find((e) => e.reason === "FailedGetResourceMetric");
  assert.match(
    warning?.message ?? "",
    /^failed to get cpu utilization: missing request for cpu in container main of Pod burn-/,
  );
  store.close();
});

test("AutoscalerController drops the status of a deleted autoscaler", async () => {
  const clock = new FakeClock();
  const store = Store.open(join(dir, "deleted.db"), { clock });
  apply(store, `${deployment("")}---\n${HPA}`);
  const source = new ScriptedSource(store);
  const controller = new AutoscalerController({ store, log: silentLogger, clock, source });
  await controller.syncAll();
  assert.equal(store.listAutoscalerStatus().length, 1);
  store.commit([{ op: "deleteObject", kind: "Autoscaler", name: "burn" }]);
  await controller.syncAll();
  assert.equal(store.listAutoscalerStatus().length, 0);
  store.close();
});

test("AutoscalerController: two autoscalers on one PodSet both stop with AmbiguousSelector; one left scales again", async () => {
  const clock = new FakeClock();
  const store = Store.open(join(dir, "ambiguous.db"), { clock });
  apply(store, `${deployment("")}---\n${HPA}---\n${HPA.replace("name: burn}", "name: burn2}")}`);
  runAll(store, clock.now());
  const source = new ScriptedSource(store);
  source.next = each(200);
  const controller = new AutoscalerController({ store, log: silentLogger, clock, source });
  await controller.syncAll();
  assert.equal(replicasOf(store), 1);
  for (const name of ["burn", "burn2"]) {
    const active = statusOfRow(store.getAutoscalerStatus(name))?.conditions.find(
      (c) => c.type === "ScalingActive",
    );
    assert.deepEqual(
      [active?.status, active?.reason, active?.message],
      [
        "False",
        "AmbiguousSelector",
        'pods of podset "burn" are controlled by multiple autoscalers: [burn burn2]',
      ],
    );
  }
  store.commit([{ op: "deleteObject", kind: "Autoscaler", name: "burn2" }]);
  await controller.syncAll();
  assert.equal(replicasOf(store), 3);
  store.close();
});
