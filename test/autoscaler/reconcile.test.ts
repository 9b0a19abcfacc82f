// reconcileAutoscaler(): one sync, pure: the rescale and its event, conditions, metric failures,
// a target without requests, min/max bounds, and a history that carries over a restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ReconcileInput, reconcileAutoscaler } from "../../src/autoscaler/reconcile.ts";
import type { ScalePod } from "../../src/autoscaler/replicas.ts";
import type { AutoscalerSpec } from "../../src/manifest/types.ts";

const NOW = 5_000_000;
const SPEC: AutoscalerSpec = {
  target: { kind: "PodSet", name: "burn" },
  minReplicas: 1,
  maxReplicas: 3,
  metrics: [{ type: "Resource", resource: "cpu", target: { type: "Utilization", averageUtilization: 50 } }],
  behavior: {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [
        { type: "Pods", value: 4, periodSeconds: 15 },
        { type: "Percent", value: 100, periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: 300,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
    },
  },
};

const pod = (name: string, cpuMilli: number | null = 100): ScalePod => ({
  name,
  phase: "Running",
  deleting: false,
  ready: true,
  startedAt: NOW - 120_000,
  containers: [{ name: "main", requests: cpuMilli === null ? {} : { cpuMilli } }],
});

function input(over: Partial<ReconcileInput>, usage: Record<string, number> = { a: 200 }): ReconcileInput {
  return {
    spec: SPEC,
    targetReplicas: 1,
    pods: [pod("a")],
    metrics: () => ({ ok: true, metrics: new Map(Object.entries(usage)) }),
    previous: undefined,
    options: { now: NOW, tolerance: 0.1, cpuInitializationMs: 30_000 },
    ...over,
  };
}

const conditionsOf = (d: ReturnType<typeof reconcileAutoscaler>) =>
  Object.fromEntries(d.status.conditions.map((c) => [c.type, `${c.status} ${c.reason}`]));

test("reconcileAutoscaler() scales a burner at 200 % of a 50 % target from 1 to 3 with SuccessfulRescale", () => {
  const d = reconcileAutoscaler(input({}));
  assert.deepEqual(d.rescale, {
    from: 1,
    to: 3,
    reason: "cpu resource utilization (percentage of request) above target",
  });
  assert.deepEqual(
    d.events.filter((e) => e.reason === "SuccessfulRescale"),
    [
      {
        type: "Normal",
        reason: "SuccessfulRescale",
        message: "New size: 3; reason: cpu resource utilization (percentage of request) above target",
      },
    ],
  );
  assert.deepEqual(conditionsOf(d), {
    AbleToScale: "True SucceededRescale",
    ScalingActive: "True ValidMetricFound",
    ScalingLimited: "True TooManyReplicas",
  });
  assert.equal(d.status.desiredReplicas, 3);
  assert.equal(d.status.lastScaleTime, NOW);
  assert.deepEqual(d.status.currentMetrics, [{ resource: "cpu", utilization: 200, averageValue: 200 }]);
  assert.deepEqual(d.status.history.scaleUpEvents, [{ change: 2, at: NOW }]);
});

test("reconcileAutoscaler() reports FailedGetResourceMetric and keeps replicas when a pod has no cpu request", () => {
  const d = reconcileAutoscaler(input({ pods: [pod("a", null)] }));
  assert.equal(d.rescale, null);
  assert.equal(d.status.desiredReplicas, 1);
  assert.deepEqual(conditionsOf(d), {
    AbleToScale: "True SucceededGetScale",
    ScalingActive: "False FailedGetResourceMetric",
  });
  assert.deepEqual(
    d.events.map((e) => `${e.type} ${e.reason}: ${e.message}`),
    [
      "Warning FailedGetResourceMetric: failed to get cpu utilization: missing request for cpu in container main of Pod a",
      "Warning FailedComputeMetricsReplicas: invalid metrics (1 invalid out of 1), first error is: failed to get cpu utilization: missing request for cpu in container main of Pod a",
    ],
  );
});

test("reconcileAutoscaler() keeps replicas and says why when the metrics source fails", () => {
  const d = reconcileAutoscaler(
    input({
      targetReplicas: 3,
      pods: [pod("a"), pod("b"), pod("c")],
      metrics: () => ({ ok: false, error: "Prometheus http://127.0.0.1:9/ unreachable: ECONNREFUSED" }),
    }),
  );
  assert.equal(d.rescale, null);
  assert.equal(d.status.desiredReplicas, 3);
  const active = d.status.conditions.find((c) => c.type === "ScalingActive");
  assert.equal(
    active?.message,
    "the HPA was unable to compute the replica count: failed to get cpu utilization: Prometheus http://127.0.0.1:9/ unreachable: ECONNREFUSED",
  );
});

test("reconcileAutoscaler() holds a scale-down for the window, across a restart, then scales to 1", () => {
  const three = [pod("a"), pod("b"), pod("c")];
  const idle = { a: 1, b: 1, c: 1 };
  const first = reconcileAutoscaler(input({ targetReplicas: 3, pods: three }, { a: 200, b: 200, c: 200 }));
  assert.equal(first.rescale, null); // at max already: 3 wanted, 3 there
  // "Restart": the next sync only has the status as stored (JSON round trip).
  const stored = JSON.parse(JSON.stringify(first.status));
  const held = reconcileAutoscaler(
    input(
      {
        targetReplicas: 3,
        pods: three,
        previous: stored,
        options: { now: NOW + 60_000, tolerance: 0.1, cpuInitializationMs: 30_000 },
      },
      idle,
    ),
  );
  assert.equal(held.rescale, null);
  assert.equal(conditionsOf(held).AbleToScale, "True ScaleDownStabilized");
  const later = reconcileAutoscaler(
    input(
      {
        targetReplicas: 3,
        pods: three,
        previous: held.status,
        options: { now: NOW + 300_001, tolerance: 0.1, cpuInitializationMs: 30_000 },
      },
      idle,
    ),
  );
  assert.deepEqual(later.rescale, { from: 3, to: 1, reason: "All metrics below target" });
  assert.deepEqual(held.status.conditions.find((c) => c.type === "ScalingActive")?.lastTransitionTime, NOW);
});

test("reconcileAutoscaler(): a new HPA on an idle target of 3 waits out the scale-down window first (maybeInitScaleDownStabilizationWindow)", () => {
  const three = [pod("a"), pod("b"), pod("c")];
  const idle = { a: 1, b: 1, c: 1 };
  const at = (now: number) => ({ now, tolerance: 0.1, cpuInitializationMs: 30_000 });
  const first = reconcileAutoscaler(input({ targetReplicas: 3, pods: three }, idle));
  assert.equal(first.rescale, null);
  assert.equal(conditionsOf(first).AbleToScale, "True ScaleDownStabilized");
  const held = reconcileAutoscaler(
    input({ targetReplicas: 3, pods: three, previous: first.status, options: at(NOW + 299_000) }, idle),
  );
  assert.equal(held.rescale, null);
  const after = reconcileAutoscaler(
    input({ targetReplicas: 3, pods: three, previous: held.status, options: at(NOW + 300_001) }, idle),
  );
  assert.deepEqual(after.rescale, { from: 3, to: 1, reason: "All metrics below target" });
  // With stabilizationWindowSeconds 0 the first sync scales down at once.
  const noWindow: typeof SPEC = {
    ...SPEC,
    behavior: { ...SPEC.behavior, scaleDown: { ...SPEC.behavior.scaleDown, stabilizationWindowSeconds: 0 } },
  };
  const now = reconcileAutoscaler(input({ spec: noWindow, targetReplicas: 3, pods: three }, idle));
  assert.deepEqual(now.rescale, { from: 3, to: 1, reason: "All metrics below target" });
});

test("reconcileAutoscaler() applies the HPA's own scale-up tolerance (106 % of target with tolerance 0.05 scales)", () => {
  const three = [pod("a"), pod("b"), pod("c")];
  const near = { a: 53, b: 53, c: 53 }; // 53 % of a 50 % target: ratio 1.06
  assert.equal(reconcileAutoscaler(input({ targetReplicas: 3, pods: three }, near)).rescale, null);
  const tight: typeof SPEC = {
    ...SPEC,
    maxReplicas: 5,
    behavior: { ...SPEC.behavior, scaleUp: { ...SPEC.behavior.scaleUp, tolerance: 0.05 } },
  };
  const d = reconcileAutoscaler(input({ spec: tight, targetReplicas: 3, pods: three }, near));
  assert.deepEqual(d.rescale, {
    from: 3,
    to: 4,
    reason: "cpu resource utilization (percentage of request) above target",
  });
});

test("reconcileAutoscaler() brings replicas into min..max without metrics", () => {
  const below = reconcileAutoscaler(
    input({ spec: { ...SPEC, minReplicas: 2 }, metrics: () => ({ ok: false, error: "x" }) }),
  );
  assert.deepEqual(below.rescale, {
    from: 1,
    to: 2,
    reason: "Current number of replicas below Spec.MinReplicas",
  });
  const above = reconcileAutoscaler(input({ targetReplicas: 7 }));
  assert.deepEqual(above.rescale, {
    from: 7,
    to: 3,
    reason: "Current number of replicas above Spec.MaxReplicas",
  });
});

test("reconcileAutoscaler() leaves a target scaled to 0 alone and reports a missing target", () => {
  const zero = reconcileAutoscaler(input({ targetReplicas: 0 }));
  assert.equal(zero.rescale, null);
  assert.equal(conditionsOf(zero).ScalingActive, "False ScalingDisabled");
  const gone = reconcileAutoscaler(input({ targetReplicas: undefined }));
  assert.equal(gone.rescale, null);
  assert.equal(conditionsOf(gone).AbleToScale, "False FailedGetScale");
});

test("reconcileAutoscaler() takes the highest proposal of several metrics and skips scale-down on a failed one", () => {
  const spec: AutoscalerSpec = {
    ...SPEC,
    maxReplicas: 10,
    metrics: [
      SPEC.metrics[0] ?? (undefined as never),
      { type: "Resource", resource: "memory", target: { type: "AverageValue", averageValue: 100 } },
    ],
  };
  const both = reconcileAutoscaler(
    input({
      spec,
      targetReplicas: 2,
      pods: [pod("a"), pod("b")],
      metrics: (r) => ({
        ok: true,
        metrics: new Map(
          r === "cpu"
            ? [
                ["a", 50],
                ["b", 50],
              ]
            : [
                ["a", 400],
                ["b", 400],
              ],
        ),
      }),
    }),
  );
  assert.equal(both.rescale?.to, 6); // cpu says 2, memory says 8, policies allow 2 + 4
  assert.equal(both.rescale?.reason, "memory resource above target");
  const partial = reconcileAutoscaler(
    input({
      spec,
      targetReplicas: 4,
      pods: [pod("a"), pod("b"), pod("c"), pod("d")],
      metrics: (r) =>
        r === "cpu"
          ? {
              ok: true,
              metrics: new Map([
                ["a", 5],
                ["b", 5],
                ["c", 5],
                ["d", 5],
              ]),
            }
          : { ok: false, error: "no memory samples" },
    }),
  );
  assert.equal(partial.rescale, null);
});
