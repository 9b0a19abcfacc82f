import assert from "node:assert/strict";
import { test } from "node:test";
import { Histogram, Registry } from "prom-client";
import {
  type Buckets,
  bucketQuantile,
  readBuckets,
  subtractBuckets,
  WindowedQuantiles,
} from "../../src/metrics/quantiles.ts";

const INF = Number.POSITIVE_INFINITY;

test("bucketQuantile() interpolates inside the bucket holding the rank, as histogram_quantile does", () => {
  // 10 observations: 4 in (0, 1], 4 in (1, 2], 2 in (2, 4].
  const b: Buckets = { bounds: [1, 2, 4, INF], counts: [4, 8, 10, 10] };
  assert.equal(bucketQuantile(0.5, b), 1.25); // rank 5: 1 of 4 into (1, 2]
  assert.equal(bucketQuantile(0.2, b), 0.5); // rank 2: half of (0, 1]
  assert.equal(bucketQuantile(0.9, b), 3); // rank 9: half of (2, 4]
});

test("bucketQuantile() answers null with no observations and the top finite bound for +Inf", () => {
  assert.equal(bucketQuantile(0.5, { bounds: [1, INF], counts: [0, 0] }), null);
  assert.equal(bucketQuantile(0.99, { bounds: [1, 2, INF], counts: [0, 1, 10] }), 2);
  assert.throws(() => bucketQuantile(1, { bounds: [1], counts: [1] }), RangeError);
});

test("subtractBuckets() leaves only what was observed since the older snapshot", () => {
  const now: Buckets = { bounds: [1, INF], counts: [5, 9] };
  assert.deepEqual(subtractBuckets(now, { bounds: [1, INF], counts: [5, 6] }).counts, [0, 3]);
  assert.deepEqual(subtractBuckets(now, undefined).counts, [5, 9]);
});

test("readBuckets() reads a prom-client histogram's cumulative buckets in bound order", async () => {
  const h = new Histogram({ name: "t_seconds", help: "t", buckets: [0.1, 1], registers: [new Registry()] });
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  assert.deepEqual(await readBuckets(h), { bounds: [0.1, 1, INF], counts: [1, 2, 3] });
});

test("WindowedQuantiles.sample() forgets observations older than the window", async () => {
  const h = new Histogram({
    name: "w_seconds",
    help: "w",
    buckets: [0.1, 1, 10],
    registers: [new Registry()],
  });
  const w = new WindowedQuantiles(() => readBuckets(h), 60_000);
  assert.equal(await w.sample(0), null, "nothing observed yet");
  for (let i = 0; i < 10; i++) h.observe(0.05);
  const early = await w.sample(1_000);
  assert.ok(early && (early.p50 ?? 1) <= 0.1 && (early.p99 ?? 1) <= 0.1, JSON.stringify(early));
  // 61 s later the fast observations are out of the window; only new slow ones count.
  for (let i = 0; i < 4; i++) h.observe(5);
  const late = await w.sample(62_000);
  assert.ok(late && (late.p50 ?? 0) > 1 && (late.p99 ?? 0) > 1, JSON.stringify(late));
  assert.equal(await w.sample(130_000), null, "no observations in the last 60 s");
});
