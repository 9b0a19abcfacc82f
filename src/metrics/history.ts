// The server's own recent metrics history, kept in memory for the status page's live charts
// (GET /api/v1/history). Each series is one line of registration: a name, a title, a unit and a
// sample() function; every intervalMs the history calls all of them and keeps the answers in a
// bounded ring buffer (capacity samples), so memory does not grow with uptime. A sample is one
// number, or one number per label (a pod, a node, a state), or null for "no value now".
// Series of kind "rate" record a cumulative value (CPU seconds) and are served as a per-second rate.
import { type Clock, sleep, systemClock } from "../lib/clock.ts";
import { RingBuffer } from "../lib/ring-buffer.ts";

export type SampleValue = number | null | Readonly<Record<string, number>>;

export interface SeriesSpec {
  /** Stable id, [a-z0-9_]+: the page keys its chart by it. */
  name: string;
  title: string;
  /** Shown on the axis: "pods", "nodes", "s", "cores", ... */
  unit: string;
  /** "gauge" (default): served as sampled. "rate": sampled cumulative, served per second. */
  kind?: "gauge" | "rate";
  /** For rate series: a value unchanged this long reads as rate 0 (default 15 s). */
  rateWindowMs?: number;
  /** At most this many labels are served (the largest latest values win); default 8. */
  maxLabels?: number;
  sample: () => SampleValue | Promise<SampleValue>;
}

export interface HistoryLine {
  /** "" for an unlabelled series. */
  label: string;
  values: (number | null)[];
}

export interface HistorySeries {
  name: string;
  title: string;
  unit: string;
  kind: "gauge" | "rate";
  lines: HistoryLine[];
}

export interface HistorySnapshot {
  intervalMs: number;
  capacity: number;
  /** Sample times, ms since the epoch, oldest first; every line's values align with it. */
  t: number[];
  series: HistorySeries[];
}

interface Sample {
  t: number;
  /** One entry per series, in registration order. */
  values: SampleValue[];
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

export class MetricsHistory {
  private readonly specs: SeriesSpec[] = [];
  private readonly ring: RingBuffer<Sample>;
  readonly intervalMs: number;
  private readonly clock: Clock;

  constructor(opts: { intervalMs: number; capacity: number; clock?: Clock }) {
    if (!(Number.isFinite(opts.intervalMs) && opts.intervalMs >= 100))
      throw new RangeError(`History interval must be at least 100 ms, got ${opts.intervalMs}`);
    this.intervalMs = opts.intervalMs;
    this.ring = new RingBuffer(opts.capacity);
    this.clock = opts.clock ?? systemClock;
  }

  /** Registers a series; samples taken before it was added read as null. */
  add(spec: SeriesSpec): this {
    if (!NAME.test(spec.name)) throw new RangeError(`History series name "${spec.name}" must match ${NAME}`);
    if (this.specs.some((s) => s.name === spec.name))
      throw new RangeError(`History series "${spec.name}" is already registered`);
    this.specs.push(spec);
    return this;
  }

  /** Takes one sample of every series. A series whose sample() throws records null: one bad series never stops the rest. */
  async sampleOnce(): Promise<void> {
    const t = this.clock.now();
    const values = await Promise.all(
      this.specs.map(async (s) => {
        try {
          return normalise(await s.sample());
        } catch {
          return null;
        }
      }),
    );
    this.ring.push({ t, values });
  }

  /** Samples every intervalMs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.clock.now();
      await this.sampleOnce();
      await sleep(Math.max(0, this.intervalMs - (this.clock.now() - started)), signal);
    }
  }

  snapshot(): HistorySnapshot {
    const samples = this.ring.toArray();
    const t = samples.map((s) => s.t);
    const series = this.specs.map((spec, i): HistorySeries => {
      const kind = spec.kind ?? "gauge";
      const raw = samples.map((s) => (i < s.values.length ? (s.values[i] ?? null) : null));
      let lines = toLines(raw);
      if (kind === "rate")
        lines = lines.map((l) => ({ ...l, values: rates(t, l.values, spec.rateWindowMs ?? 15_000) }));
      return {
        name: spec.name,
        title: spec.title,
        unit: spec.unit,
        kind,
        lines: topLines(lines, spec.maxLabels ?? 8),
      };
    });
    return { intervalMs: this.intervalMs, capacity: this.ring.capacity, t, series };
  }
}

/** Non-finite numbers become null; 6 significant digits keep the JSON small. */
function normalise(v: SampleValue): SampleValue {
  const round = (n: number) => Number(n.toPrecision(6));
  if (v === null || typeof v === "number") return v !== null && Number.isFinite(v) ? round(v) : null;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) if (Number.isFinite(n)) out[k] = round(n);
  return out;
}

/** Per-sample values to one line per label; labels absent from a sample read null there. */
export function toLines(raw: readonly SampleValue[]): HistoryLine[] {
  const labelled = raw.some((v) => v !== null && typeof v === "object");
  if (!labelled) return [{ label: "", values: raw.map((v) => (typeof v === "number" ? v : null)) }];
  const labels = new Set<string>();
  for (const v of raw) if (v !== null && typeof v === "object") for (const k of Object.keys(v)) labels.add(k);
  return [...labels].sort().map((label) => ({
    label,
    values: raw.map((v) => (v !== null && typeof v === "object" ? (v[label] ?? null) : null)),
  }));
}

/**
 * A cumulative line to per-second rates. The source may change less often than it is sampled
 * (Docker stats arrive every 10 s, samples every second), so a rate is taken between the samples
 * where the value last changed: (start of the current run - start of the previous run) / time
 * between them. No change for windowMs reads 0; a decrease (a counter reset: the container
 * restarted), a gap or no earlier run reads null.
 */
export function rates(
  t: readonly number[],
  values: readonly (number | null)[],
  windowMs: number,
): (number | null)[] {
  return values.map((v, i) => {
    const ti = t[i];
    if (v === null || ti === undefined) return null;
    const runStart = (k: number) => {
      let j = k;
      while (j > 0 && values[j - 1] === values[k]) j--;
      return j;
    };
    const a = runStart(i);
    const ta = t[a] ?? ti;
    if (ti - ta > windowMs) return 0;
    if (a === 0 || values[a - 1] === null) return null;
    const b = runStart(a - 1);
    const va = values[a] as number;
    const vb = values[b] as number;
    const tb = t[b] ?? ta;
    // A run that began with the history (or after a gap) has no known start: its time is not a change.
    if (b === 0 || values[b - 1] === null || va < vb || ta <= tb) return null;
    return Number(((va - vb) / ((ta - tb) / 1000)).toPrecision(6));
  });
}

/** Keeps the `max` lines with the largest latest value (ties by label), in label order. */
function topLines(lines: HistoryLine[], max: number): HistoryLine[] {
  if (lines.length <= max) return lines;
  const latest = (l: HistoryLine) => {
    for (let i = l.values.length - 1; i >= 0; i--) if (l.values[i] !== null) return l.values[i] as number;
    return Number.NEGATIVE_INFINITY;
  };
  const keep = new Set(
    [...lines].sort((a, b) => latest(b) - latest(a) || (a.label < b.label ? -1 : 1)).slice(0, max),
  );
  return lines.filter((l) => keep.has(l));
}
