// Quantiles over a recent window from a cumulative histogram, as Prometheus'
// histogram_quantile(q, increase(x_bucket[window])) computes them: the bucket counts seen `window`
// ago are subtracted from today's, then the quantile is interpolated linearly inside its bucket.
import type { Histogram } from "prom-client";
import { RingBuffer } from "../lib/ring-buffer.ts";

/** Upper bounds (ascending, the last may be +Inf) with cumulative counts of the same length. */
export interface Buckets {
  bounds: readonly number[];
  counts: readonly number[];
}

/**
 * The q-quantile (0 < q < 1) of the observations in `b`, or null when there are none. Inside a
 * bucket, observations are assumed evenly spread; a rank in the +Inf bucket answers the highest
 * finite bound (as Prometheus does).
 */
export function bucketQuantile(q: number, b: Buckets): number | null {
  if (!(q > 0 && q < 1)) throw new RangeError(`Quantile must be in (0, 1), got ${q}`);
  const total = b.counts[b.counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (let i = 0; i < b.bounds.length; i++) {
    const bound = b.bounds[i] ?? Number.POSITIVE_INFINITY;
    const count = b.counts[i] ?? total;
    if (count >= rank) {
      if (!Number.isFinite(bound)) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? bound : lowerBound + (bound - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    if (Number.isFinite(bound)) lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

/** a - b, bucket by bucket (a and b from the same histogram, b older). */
export function subtractBuckets(a: Buckets, b: Buckets | undefined): Buckets {
  if (!b || b.counts.length !== a.counts.length) return a;
  return { bounds: a.bounds, counts: a.counts.map((c, i) => Math.max(0, c - (b.counts[i] ?? 0))) };
}

/** Cumulative buckets of an unlabelled prom-client histogram. */
export async function readBuckets(h: Histogram<string>): Promise<Buckets> {
  const m = await h.get();
  const rows = m.values
    .filter((v) => String(v.metricName ?? "").endsWith("_bucket"))
    .map((v) => ({
      bound: v.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels.le),
      n: v.value,
    }))
    .sort((x, y) => x.bound - y.bound);
  return { bounds: rows.map((r) => r.bound), counts: rows.map((r) => r.n) };
}

/**
 * p50 and p99 of what a histogram observed in the last `windowMs`, sampled on each call: keeps the
 * snapshots that are still inside the window (bounded by maxSnapshots).
 */
export class WindowedQuantiles {
  private readonly seen: RingBuffer<{ t: number; b: Buckets }>;

  constructor(
    private readonly read: () => Promise<Buckets>,
    private readonly windowMs: number,
    maxSnapshots = 600,
  ) {
    this.seen = new RingBuffer(maxSnapshots);
  }

  async sample(now: number): Promise<Record<string, number> | null> {
    const b = await this.read();
    // The baseline is the newest snapshot at least windowMs old (or the oldest one kept).
    let base: Buckets | undefined;
    for (let i = this.seen.length - 1; i >= 0; i--) {
      const s = this.seen.at(i);
      if (s && now - s.t >= this.windowMs) {
        base = s.b;
        break;
      }
    }
    if (!base && this.seen.length > 0) base = this.seen.at(0)?.b;
    this.seen.push({ t: now, b });
    const recent = subtractBuckets(b, base ?? { bounds: b.bounds, counts: b.counts.map(() => 0) });
    const p50 = bucketQuantile(0.5, recent);
    const p99 = bucketQuantile(0.99, recent);
    return p50 === null || p99 === null ? null : { p50, p99 };
  }
}
