import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  effectiveBackoff,
  nextBackoffStep,
  validateBackoff,
} from "../../src/reconcile/backoff.ts";

test("backoffDelay() is immediate, then 10s doubling to the 300s cap with kubelet defaults", () => {
  const seq = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => backoffDelay(s, DEFAULT_BACKOFF) / 1000);
  assert.deepEqual(seq, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
});

test("backoffDelay() stays finite for absurd step counts", () => {
  assert.equal(backoffDelay(10_000, DEFAULT_BACKOFF), 300_000);
});

test("nextBackoffStep() walks the sequence on a fake clock and resets after the reset window", () => {
  const clock = new FakeClock();
  const cfg = { initialMs: 1000, maxMs: 8000, resetMs: 60_000 };
  let step = 0;
  let lastRestart: number | null = null;
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    clock.step(500); // the container runs 0.5 s, then crashes
    step = nextBackoffStep(step, lastRestart, clock.now(), cfg);
    const d = backoffDelay(step, cfg);
    delays.push(d);
    clock.step(d);
    lastRestart = clock.now();
  }
  assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 8000]);
  clock.step(60_000); // ran a full reset window without a restart
  step = nextBackoffStep(step, lastRestart, clock.now(), cfg);
  assert.equal(step, 0);
  assert.equal(backoffDelay(step, cfg), 0);
});

test("nextBackoffStep() starts at 0 for a container that never restarted", () => {
  assert.equal(nextBackoffStep(5, null, 1000, DEFAULT_BACKOFF), 0);
});

test("validateBackoff() refuses max below initial and non-positive values", () => {
  assert.throws(() => validateBackoff({ initialMs: 10, maxMs: 5, resetMs: 1 }), RangeError);
  assert.throws(() => validateBackoff({ initialMs: 0, maxMs: 5, resetMs: 1 }), RangeError);
  assert.deepEqual(validateBackoff(DEFAULT_BACKOFF), DEFAULT_BACKOFF);
});

test("effectiveBackoff() lets a pod override the server's numbers", () => {
  assert.deepEqual(effectiveBackoff(DEFAULT_BACKOFF, { initialMs: 500, maxMs: 2000 }), {
    initialMs: 500,
    maxMs: 2000,
    resetMs: 600_000,
  });
  assert.deepEqual(effectiveBackoff(DEFAULT_BACKOFF, undefined), DEFAULT_BACKOFF);
  // An initial above the server's cap raises the cap with it.
  assert.equal(
    effectiveBackoff({ initialMs: 1000, maxMs: 2000, resetMs: 1 }, { initialMs: 5000 }).maxMs,
    5000,
  );
});
