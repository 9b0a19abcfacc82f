// HPA behavior on a fake clock: default and custom policies, selectPolicy, the stabilization
// window, events aging out of their period; the numbers of Kubernetes' docs and horizontal_test.go.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type BehaviorHistory,
  emptyHistory,
  normalizeWithBehaviors,
  recordScale,
  scaleDownLimit,
  scaleUpLimit,
} from "../../src/autoscaler/behavior.ts";
import type { ScalingRules } from "../../src/manifest/types.ts";

const UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ],
};
const DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: "Max",
  policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
};
const DEFAULTS = { scaleUp: UP, scaleDown: DOWN };

class FakeClock {
  constructor(public t = 1_000_000) {}
  step(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

test("scaleUpLimit() by default allows max(4 pods, 100 %) per 15 s", () => {
  const cases: [number, number][] = [
    [1, 5],
    [2, 6],
    [4, 8],
    [10, 20],
  ];
  for (const [current, limit] of cases)
    assert.equal(scaleUpLimit(current, [], [], UP, 0), limit, `from ${current}`);
});

test("scaleUpLimit() with selectPolicy Min picks the smaller change; Disabled allows none", () => {
  assert.equal(scaleUpLimit(10, [], [], { ...UP, selectPolicy: "Min" }, 0), 14);
  assert.equal(scaleUpLimit(1, [], [], { ...UP, selectPolicy: "Min" }, 0), 2);
  assert.equal(scaleUpLimit(10, [], [], { ...UP, selectPolicy: "Disabled" }, 0), 10);
});

test("scaleDownLimit() follows the documented Pods 4 / Percent 10 per 60 s example", () => {
  const rules: ScalingRules = {
    stabilizationWindowSeconds: 300,
    selectPolicy: "Max",
    policies: [
      { type: "Pods", value: 4, periodSeconds: 60 },
      { type: "Percent", value: 10, periodSeconds: 60 },
    ],
  };
  // Max picks the policy allowing the biggest change: Percent above 40 pods, Pods below.
  assert.equal(scaleDownLimit(80, [], [], rules, 0), 72);
  assert.equal(scaleDownLimit(20, [], [], rules, 0), 16);
  assert.equal(scaleDownLimit(80, [], [], { ...rules, selectPolicy: "Min" }, 0), 76);
  assert.equal(scaleDownLimit(10, [], [], DOWN, 0), 0);
});

test("scale events count against a policy only within its period", () => {
  const clock = new FakeClock();
  const rules: ScalingRules = { ...DOWN, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] };
  const events = [{ change: 1, at: clock.t }];
  clock.step(30_000);
  // One pod removed 30 s ago: the period started at 6, so 5 is the floor and 5 is current.
  assert.equal(scaleDownLimit(5, [], events, rules, clock.t), 5);
  clock.step(30_001);
  assert.equal(scaleDownLimit(5, [], events, rules, clock.t), 4);
});

test("normalizeWithBehaviors() scales 1 -> 5 at most, then -> 10 after 15 s (ScaleUpLimit)", () => {
  const clock = new FakeClock();
  let history: BehaviorHistory = emptyHistory();
  const first = normalizeWithBehaviors({
    current: 1,
    desired: 10,
    minReplicas: 1,
    maxReplicas: 10,
    behavior: DEFAULTS,
    history,
    now: clock.t,
  });
  assert.equal(first.replicas, 5);
  assert.deepEqual(
    { status: first.scalingLimited.status, reason: first.scalingLimited.reason },
    { status: "True", reason: "ScaleUpLimit" },
  );
  history = recordScale(first.history, DEFAULTS, 1, 5, clock.t);
  clock.step(5_000);
  const blocked = normalizeWithBehaviors({
    current: 5,
    desired: 10,
    minReplicas: 1,
    maxReplicas: 10,
    behavior: DEFAULTS,
    history,
    now: clock.t,
  });
  // The period started at 1 pod: 1 + 4 = 5 and 1 × 2 = 2, so no further step yet.
  assert.equal(blocked.replicas, 5);
  clock.step(10_001);
  const later = normalizeWithBehaviors({
    current: 5,
    desired: 10,
    minReplicas: 1,
    maxReplicas: 10,
    behavior: DEFAULTS,
    history: blocked.history,
    now: clock.t,
  });
  assert.equal(later.replicas, 10);
  assert.equal(later.scalingLimited.status, "False");
  assert.equal(later.scalingLimited.reason, "DesiredWithinRange");
});

test("normalizeWithBehaviors() caps at maxReplicas with TooManyReplicas and minReplicas with TooFewReplicas", () => {
  const up = normalizeWithBehaviors({
    current: 8,
    desired: 40,
    minReplicas: 1,
    maxReplicas: 10,
    behavior: DEFAULTS,
    history: emptyHistory(),
    now: 0,
  });
  assert.equal(up.replicas, 10);
  assert.equal(up.scalingLimited.reason, "TooManyReplicas");
  const down = normalizeWithBehaviors({
    current: 4,
    desired: 1,
    minReplicas: 2,
    maxReplicas: 10,
    behavior: { ...DEFAULTS, scaleDown: { ...DOWN, stabilizationWindowSeconds: 0 } },
    history: emptyHistory(),
    now: 0,
  });
  assert.equal(down.replicas, 2);
  assert.equal(down.scalingLimited.reason, "TooFewReplicas");
});

test("normalizeWithBehaviors() keeps the highest recommendation of the 300 s scale-down window", () => {
  const clock = new FakeClock();
  let history = emptyHistory();
  const at = (desired: number, current: number) => {
    const r = normalizeWithBehaviors({
      current,
      desired,
      minReplicas: 1,
      maxReplicas: 10,
      behavior: DEFAULTS,
      history,
      now: clock.t,
    });
    history = r.history;
    return r;
  };
  assert.equal(at(6, 6).replicas, 6);
  clock.step(15_000);
  const held = at(2, 6);
  assert.equal(held.replicas, 6);
  assert.equal(held.ableToScale.reason, "ScaleDownStabilized");
  clock.step(100_000);
  assert.equal(at(3, 6).replicas, 6);
  // 300 s after the 6: the highest recommendation left in the window is the 3.
  clock.step(185_001);
  assert.equal(at(2, 6).replicas, 3);
  clock.step(115_000);
  assert.equal(at(2, 3).replicas, 2);
});

test("normalizeWithBehaviors() with a scale-up window takes the lowest recent recommendation", () => {
  const clock = new FakeClock();
  const behavior = { scaleUp: { ...UP, stabilizationWindowSeconds: 60 }, scaleDown: DOWN };
  let history = emptyHistory();
  const at = (desired: number, current: number) => {
    const r = normalizeWithBehaviors({
      current,
      desired,
      minReplicas: 1,
      maxReplicas: 10,
      behavior,
      history,
      now: clock.t,
    });
    history = r.history;
    return r.replicas;
  };
  assert.equal(at(2, 2), 2);
  clock.step(15_000);
  assert.equal(at(8, 2), 2);
  clock.step(15_000);
  assert.equal(at(6, 2), 2);
  clock.step(45_001);
  // the 2 left the window; lowest of 8 and 6 is 6
  assert.equal(at(9, 2), 6);
});

test("normalizeWithBehaviors() with selectPolicy Disabled never scales that way", () => {
  const r = normalizeWithBehaviors({
    current: 3,
    desired: 1,
    minReplicas: 1,
    maxReplicas: 10,
    behavior: {
      scaleUp: UP,
      scaleDown: { ...DOWN, stabilizationWindowSeconds: 0, selectPolicy: "Disabled" },
    },
    history: emptyHistory(),
    now: 0,
  });
  assert.equal(r.replicas, 3);
  assert.equal(r.scalingLimited.reason, "ScaleDownLimit");
});

test("recordScale() keeps events for the longest policy period only", () => {
  const clock = new FakeClock();
  let h = recordScale(emptyHistory(), DEFAULTS, 1, 3, clock.t);
  assert.deepEqual(h.scaleUpEvents, [{ change: 2, at: clock.t }]);
  clock.step(16_000);
  h = recordScale(h, DEFAULTS, 3, 1, clock.t);
  assert.deepEqual(h.scaleUpEvents, []);
  assert.deepEqual(h.scaleDownEvents, [{ change: 2, at: clock.t }]);
});
