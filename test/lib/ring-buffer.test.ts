import assert from "node:assert/strict";
import { test } from "node:test";
import { RingBuffer } from "../../src/lib/ring-buffer.ts";

test("RingBuffer keeps the newest capacity items, oldest first", () => {
  const r = new RingBuffer<number>(3);
  assert.deepEqual(r.toArray(), []);
  assert.equal(r.last(), undefined);
  for (const n of [1, 2]) r.push(n);
  assert.deepEqual(r.toArray(), [1, 2]);
  for (const n of [3, 4, 5]) r.push(n);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
  assert.equal(r.length, 3);
  assert.equal(r.at(0), 3);
  assert.equal(r.last(), 5);
  assert.equal(r.at(3), undefined);
  assert.equal(r.at(-1), undefined);
});

test("RingBuffer() refuses a capacity that is not a positive integer", () => {
  for (const c of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new RingBuffer(c), RangeError);
  }
});
