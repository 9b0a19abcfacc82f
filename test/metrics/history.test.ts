import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import { MetricsHistory, rates, toLines } from "../../src/metrics/history.ts";

function history(capacity = 5) {
  const clock = new FakeClock(1_000_000);
  return { clock, h: new MetricsHistory({ intervalMs: 1000, capacity, clock }) };
}

test("MetricsHistory.snapshot() aligns every series with the sample times and stays bounded", async () => {
  const { clock, h } = history(3);
  let n = 0;
  h.add({ name: "count", title: "Count", unit: "pods", sample: () => n });
  for (let i = 0; i < 5; i++) {
    n = i * 10;
    await h.sampleOnce();
    clock.step(1000);
  }
  const s = h.snapshot();
  assert.deepEqual(s.t, [1_002_000, 1_003_000, 1_004_000]);
  assert.equal(s.capacity, 3);
  assert.deepEqual(s.series, [
    {
      name: "count",
      title: "Count",
      unit: "pods",
      kind: "gauge",
      lines: [{ label: "", values: [20, 30, 40] }],
    },
  ]);
});

test("MetricsHistory gives labelled series one line per label, null where a label was absent", async () => {
  const { clock, h } = history();
  const samples: Record<string, number>[] = [{ a: 1 }, { a: 2, b: 5 }, { b: 6 }];
  let i = 0;
  h.add({ name: "per_node", title: "Per node", unit: "pods", sample: () => samples[i] ?? null });
  for (i = 0; i < 3; i++) {
    await h.sampleOnce();
    clock.step(1000);
  }
  assert.deepEqual(h.snapshot().series[0]?.lines, [
    { label: "a", values: [1, 2, null] },
    { label: "b", values: [null, 5, 6] },
  ]);
});

test("MetricsHistory records null for a series whose sample throws, and keeps sampling the others", async () => {
  const { h } = history();
  h.add({
    name: "broken",
    title: "Broken",
    unit: "x",
    sample: () => {
      throw new Error("store closed");
    },
  });
  h.add({ name: "fine", title: "Fine", unit: "x", sample: async () => Number.NaN });
  h.add({ name: "ok", title: "Ok", unit: "x", sample: () => 1.23456789 });
  await h.sampleOnce();
  const lines = h.snapshot().series.map((s) => s.lines[0]?.values);
  assert.deepEqual(lines, [[null], [null], [1.23457]]);
});

test("MetricsHistory.add() refuses bad and duplicate names; a series added later reads null before", async () => {
  const { h } = history();
  assert.throws(() => h.add({ name: "Bad-Name", title: "", unit: "", sample: () => 0 }), /must match/);
  h.add({ name: "first", title: "", unit: "", sample: () => 1 });
  assert.throws(() => h.add({ name: "first", title: "", unit: "", sample: () => 0 }), /already registered/);
  await h.sampleOnce();
  h.add({ name: "second", title: "", unit: "", sample: () => 2 });
  await h.sampleOnce();
  assert.deepEqual(
    h.snapshot().series.map((s) => s.lines[0]?.values),
    [
      [1, 1],
      [null, 2],
    ],
  );
  assert.throws(() => new MetricsHistory({ intervalMs: 10, capacity: 5 }), RangeError);
});

test("MetricsHistory serves at most maxLabels lines, those with the largest latest values", async () => {
  const { h } = history();
  h.add({ name: "cpu", title: "", unit: "cores", maxLabels: 2, sample: () => ({ a: 1, b: 3, c: 2, d: 0 }) });
  await h.sampleOnce();
  assert.deepEqual(
    h.snapshot().series[0]?.lines.map((l) => l.label),
    ["b", "c"],
  );
});

test("rates() measures between the samples where a slowly updated cumulative value changed", () => {
  // Sampled every second; the source (Docker stats) updates every 3 s at 0.5 CPU-s per second.
  const t = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => s * 1000);
  const v = [10, 10, 10, 11.5, 11.5, 11.5, 13, 13, 13, 14.5];
  const r = rates(t, v, 15_000);
  // No change seen yet, or the first run has no known start: null. Then 1.5 / 3 s.
  assert.deepEqual(r, [null, null, null, null, null, null, 0.5, 0.5, 0.5, 0.5]);
});

test("rates() reads 0 after windowMs without change and null after a reset or a gap", () => {
  const t = [0, 1000, 2000, 3000, 20_000, 21_000, 22_000, 23_000];
  const v = [1, 2, 3, 4, 4, 2, null, 5];
  assert.deepEqual(rates(t, v, 10_000), [null, null, 1, 1, 0, null, null, null]);
});

test("toLines() keeps an unlabelled series as one line", () => {
  assert.deepEqual(toLines([1, null, 3]), [{ label: "", values: [1, null, 3] }]);
});
