// The replica calculator against Kubernetes' documented examples and replica_calculator_test.go's
// cases: scale up and down, tolerance, unready, young, deleted and failed pods, missing metrics.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  averageValueReplicas,
  type CalculatorOptions,
  type ScalePod,
  utilizationReplicas,
} from "../../src/autoscaler/replicas.ts";

const NOW = 1_000_000_000;
const OPTS: CalculatorOptions = { now: NOW, tolerance: 0.1, cpuInitializationMs: 30_000 };

/** A running, ready pod started long ago, requesting `cpuMilli`; overrides win. */
function pod(i: number, cpuMilli = 1000, over: Partial<ScalePod> = {}): ScalePod {
  return {
    name: `p${i}`,
    phase: "Running",
    deleting: false,
    ready: true,
    startedAt: NOW - 600_000,
    containers: [{ name: "main", requests: { cpuMilli, memoryBytes: 100 } }],
    ...over,
  };
}
const usage = (levels: (number | undefined)[]) =>
  new Map(levels.flatMap((v, i) => (v === undefined ? [] : [[`p${i}`, v] as [string, number]])));

interface Case {
  name: string;
  pods: ScalePod[];
  levels: (number | undefined)[];
  target: number;
  want: number;
  utilization: number;
}

const CASES: Case[] = [
  {
    name: "scales up: 3 pods at 50 % of a 30 % target ask for 5",
    pods: [pod(0), pod(1), pod(2)],
    levels: [300, 500, 700],
    target: 30,
    want: 5,
    utilization: 50,
  },
  {
    name: "doubles when usage is twice the target (the documented 200m/100m example)",
    pods: [pod(0, 100), pod(1, 100)],
    levels: [200, 200],
    target: 100,
    want: 4,
    utilization: 200,
  },
  {
    name: "halves when usage is half the target (50m/100m)",
    pods: [pod(0, 100), pod(1, 100), pod(2, 100), pod(3, 100)],
    levels: [50, 50, 50, 50],
    target: 100,
    want: 2,
    utilization: 50,
  },
  {
    name: "scales up less with an unready pod counted at 0 %",
    pods: [pod(0, 1000, { ready: false }), pod(1), pod(2)],
    levels: [300, 500, 700],
    target: 30,
    want: 4,
    utilization: 60,
  },
  {
    name: "does not scale when unready pods at 0 % reverse the direction",
    pods: [pod(0), pod(1, 1000, { ready: false }), pod(2, 1000, { ready: false })],
    levels: [400, 500, 700],
    target: 30,
    want: 3,
    utilization: 40,
  },
  {
    name: "counts a pod in its first 30 s as unready on scale-up",
    pods: [pod(0, 1000, { startedAt: NOW - 10_000 }), pod(1), pod(2)],
    levels: [300, 500, 700],
    target: 30,
    want: 4,
    utilization: 60,
  },
  {
    name: "counts a Pending pod as unready",
    pods: [pod(0, 1000, { phase: "Pending", startedAt: null }), pod(1), pod(2)],
    levels: [undefined, 500, 700],
    target: 30,
    want: 4,
    utilization: 60,
  },
  {
    name: "scales down: 5 pods at 28 % of a 50 % target ask for 3",
    pods: [pod(0), pod(1), pod(2), pod(3), pod(4)],
    levels: [100, 300, 500, 250, 250],
    target: 50,
    want: 3,
    utilization: 28,
  },
  {
    name: "scale-down leaves unready pods out",
    pods: [pod(0), pod(1), pod(2), pod(3, 1000, { ready: false }), pod(4, 1000, { ready: false })],
    levels: [100, 300, 500, 250, 250],
    target: 50,
    want: 2,
    utilization: 30,
  },
  {
    name: "ignores pods being deleted",
    pods: [pod(0), pod(1), pod(2), pod(3, 1000, { deleting: true }), pod(4, 1000, { deleting: true })],
    levels: [100, 300, 500, 250, 250],
    target: 50,
    want: 2,
    utilization: 30,
  },
  {
    name: "ignores failed pods",
    pods: [pod(0), pod(1), pod(2), pod(3, 1000, { phase: "Failed" }), pod(4, 1000, { phase: "Failed" })],
    levels: [100, 300, 500, 250, 250],
    target: 50,
    want: 2,
    utilization: 30,
  },
  {
    name: "keeps the count within the tolerance (102 % of 100 %)",
    pods: [pod(0, 900), pod(1, 1000), pod(2, 1100)],
    levels: [1010, 1030, 1020],
    target: 100,
    want: 3,
    utilization: 102,
  },
  {
    name: "scales just outside the tolerance (111 % of 100 %)",
    pods: [pod(0, 1000), pod(1, 1000), pod(2, 1000)],
    levels: [1110, 1110, 1110],
    target: 100,
    want: 4,
    utilization: 111,
  },
  {
    name: "keeps the count just inside the tolerance (109 % of 100 %)",
    pods: [pod(0, 1000), pod(1, 1000), pod(2, 1000)],
    levels: [1090, 1090, 1090],
    target: 100,
    want: 3,
    utilization: 109,
  },
  {
    name: "keeps the count at exactly 110 % of 100 % (the tolerance's edge is inside it)",
    pods: [pod(0, 1000), pod(1, 1000), pod(2, 1000)],
    levels: [1100, 1100, 1100],
    target: 100,
    want: 3,
    utilization: 110,
  },
  {
    name: "keeps the count at exactly 90 % of 100 % (the lower edge too)",
    pods: [pod(0, 1000), pod(1, 1000), pod(2, 1000)],
    levels: [900, 900, 900],
    target: 100,
    want: 3,
    utilization: 90,
  },
  {
    name: "scales down just below the lower edge (89 % of 100 %)",
    pods: [pod(0, 1000), pod(1, 1000), pod(2, 1000)],
    levels: [890, 890, 890],
    target: 100,
    want: 3, // ceil(0.89 * 3) = 3: the count only drops once the ratio asks for a whole pod less
    utilization: 89,
  },
  {
    name: "missing metric at the target: no change",
    pods: [pod(0), pod(1)],
    levels: [1000],
    target: 100,
    want: 2,
    utilization: 100,
  },
  {
    name: "missing metric counts 0 % on scale-up: 190 % becomes 95 %, within tolerance",
    pods: [pod(0), pod(1)],
    levels: [1900],
    target: 100,
    want: 2,
    utilization: 190,
  },
  {
    name: "missing metric counts 100 % on scale-down: 60 % becomes 80 %, still 2",
    pods: [pod(0), pod(1)],
    levels: [600],
    target: 100,
    want: 2,
    utilization: 60,
  },
  {
    name: "missing metric counts 100 % of its request on scale-down with a low target",
    pods: [pod(0), pod(1), pod(2), pod(3)],
    levels: [100, 100, 100],
    target: 50,
    // ready: 300/3000 = 10 %; with the missing pod at 100 %: 1300/4000 = 32 % -> ceil(0.64 * 4) = 3
    want: 3,
    utilization: 10,
  },
];

for (const c of CASES) {
  test(`utilizationReplicas() ${c.name}`, () => {
    const r = utilizationReplicas(c.pods.length, c.target, "cpu", c.pods, usage(c.levels), OPTS);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.replicas, c.want);
    assert.equal(r.utilization, c.utilization);
  });
}

test("utilizationReplicas() honours behavior tolerances per direction (HPAConfigurableTolerance)", () => {
  const three = [pod(0), pod(1), pod(2)];
  // 106 %: inside the default 0.1, outside a scale-up tolerance of 0.05 -> ceil(1.06 * 3) = 4.
  const at106 = usage([1060, 1060, 1060]);
  const up = (o: Partial<CalculatorOptions>) =>
    utilizationReplicas(3, 100, "cpu", three, at106, { ...OPTS, ...o });
  assert.equal((up({}) as { replicas: number }).replicas, 3);
  assert.equal((up({ scaleUpTolerance: 0.05 }) as { replicas: number }).replicas, 4);
  assert.equal((up({ scaleDownTolerance: 0.01 }) as { replicas: number }).replicas, 3);
  // 60 %: outside the default, inside a scale-down tolerance of 0.5 -> no change.
  const at60 = usage([600, 600, 600]);
  const down = (o: Partial<CalculatorOptions>) =>
    utilizationReplicas(3, 100, "cpu", three, at60, { ...OPTS, ...o });
  assert.equal((down({}) as { replicas: number }).replicas, 2);
  assert.equal((down({ scaleDownTolerance: 0.5 }) as { replicas: number }).replicas, 3);
});

test("utilizationReplicas() fails naming the container when a pod has no cpu request", () => {
  const pods = [pod(0), { ...pod(1), containers: [{ name: "side", requests: {} }] }];
  assert.deepEqual(utilizationReplicas(2, 50, "cpu", pods, usage([500, 500]), OPTS), {
    ok: false,
    error: "missing request for cpu in container side of Pod p1",
  });
});

test("utilizationReplicas() fails when no pod has a metric, or only unready ones do", () => {
  assert.deepEqual(utilizationReplicas(2, 50, "cpu", [pod(0), pod(1)], new Map(), OPTS), {
    ok: false,
    error: "unable to get metrics for resource cpu: no metrics returned",
  });
  const unready = [pod(0, 1000, { ready: false }), pod(1, 1000, { ready: false })];
  assert.deepEqual(utilizationReplicas(2, 50, "cpu", unready, usage([500, 500]), OPTS), {
    ok: false,
    error: "did not receive metrics for targeted pods (pods might be unready)",
  });
});

test("utilizationReplicas() does not treat unready pods specially for memory", () => {
  const pods = [pod(0, 1000, { ready: false }), pod(1)];
  // memory requests are 100 bytes each: 300 % of a 100 % target -> 6
  const r = utilizationReplicas(2, 100, "memory", pods, usage([300, 300]), OPTS);
  assert.ok(r.ok);
  assert.equal(r.replicas, 6);
});

test("averageValueReplicas() scales on the average per pod (AverageValue 100m)", () => {
  const up = averageValueReplicas(2, 100, "cpu", [pod(0), pod(1)], usage([300, 100]), OPTS);
  assert.deepEqual(up, { ok: true, replicas: 4, averageValue: 200 });
  const same = averageValueReplicas(2, 100, "cpu", [pod(0), pod(1)], usage([105, 100]), OPTS);
  assert.ok(same.ok);
  assert.equal(same.replicas, 2);
  const missing = averageValueReplicas(2, 100, "cpu", [pod(0), pod(1)], usage([40]), OPTS);
  // 40 of 100, missing one at the target: 70 -> ceil(0.7 * 2) = 2
  assert.ok(missing.ok);
  assert.equal(missing.replicas, 2);
});
