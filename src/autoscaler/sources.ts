// Where the autoscaler's per-pod usage comes from: Prometheus' HTTP API (`mk server --prometheus
// URL`), or, without it, mk's own Docker stats samples. Either answers, for one resource, a map
// from pod name to usage (cpu in millicores, memory in bytes), or says why it cannot: Prometheus
// unreachable, slow, erroring, or its samples stale. A failure is a value, never a throw, so the
// controller can record it as a condition and try again at the next sync.

import type { PodUsage } from "../metrics/registry.ts";
import type { MetricsResult } from "./reconcile.ts";
import type { Resource } from "./replicas.ts";

export interface MetricsSource {
  /** "prometheus http://..." or "docker stats": for messages. */
  readonly name: string;
  fetch(resource: Resource, now: number): Promise<MetricsResult>;
}

// ---- Prometheus --------------------------------------------------------------------------------

export interface PrometheusOptions {
  url: string;
  /** The rate() window: at least a few scrape intervals (and mk stats intervals) long. */
  windowMs: number;
  timeoutMs: number;
  fetch?: typeof globalThis.fetch;
}

interface Vector {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/**
 * The PromQL the autoscaler runs. `max by (pod)`, not `sum`: every mk server of an HA setup may be
 * scraped, and a pod's series must count once. The timestamp query finds stale series: a sample
 * older than the window means Prometheus (or mk's stats) stopped seeing that pod.
 *
 * For cpu, `coverage` is the newest sample at least half a window old: a rate() needs samples
 * over that much of its window. Right after Prometheus starts, or comes back from an outage, the
 * window holds one or two scrapes of mk's counter, which moves only once per stats round, so
 * rate() reads 0 for a busy pod; a scale-down on that would be wrong. A pod whose coverage sample
 * is outside the window counts as one without a metric until the window has filled.
 */
export function prometheusQueries(
  windowMs: number,
): Record<Resource, { usage: string; freshness: string; coverage?: string }> {
  const seconds = Math.max(1, Math.round(windowMs / 1000));
  const w = `${seconds}s`;
  const half = `${Math.max(1, Math.floor(seconds / 2))}s`;
  return {
    cpu: {
      usage: `max by (pod) (rate(mk_pod_cpu_usage_seconds_total[${w}]))`,
      freshness: "max by (pod) (timestamp(mk_pod_cpu_usage_seconds_total))",
      coverage: `max by (pod) (timestamp(mk_pod_cpu_usage_seconds_total offset ${half}))`,
    },
    memory: {
      usage: "max by (pod) (mk_pod_memory_bytes)",
      freshness: "max by (pod) (timestamp(mk_pod_memory_bytes))",
    },
  };
}

export class PrometheusSource implements MetricsSource {
  readonly name: string;
  private readonly base: URL;
  private readonly fetchFn: typeof globalThis.fetch;

  constructor(private readonly opts: PrometheusOptions) {
    this.base = new URL(opts.url.endsWith("/") ? opts.url : `${opts.url}/`);
    this.name = `Prometheus ${this.base.origin}`;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  private async query(promql: string): Promise<NonNullable<Vector["data"]> | string> {
    const url = new URL("api/v1/query", this.base);
    url.searchParams.set("query", promql);
    let res: Response;
    try {
      res = await this.fetchFn(url, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === "TimeoutError" || e.name === "AbortError")
        return `${this.name} did not answer within ${this.opts.timeoutMs} ms`;
      return `${this.name} unreachable: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    }
    let body: Vector;
    try {
      body = (await res.json()) as Vector;
    } catch {
      return `${this.name} answered HTTP ${res.status} without a JSON body`;
    }
    if (body.status !== "success" || body.data?.resultType !== "vector")
      return `${this.name} query failed (HTTP ${res.status}): ${body.error ?? "not an instant vector"}`;
    return body.data;
  }

  async fetch(resource: Resource, _now: number): Promise<MetricsResult> {
    const q = prometheusQueries(this.opts.windowMs)[resource];
    const [usage, fresh, covered] = await Promise.all([
      this.query(q.usage),
      this.query(q.freshness),
      q.coverage === undefined ? undefined : this.query(q.coverage),
    ]);
    if (typeof usage === "string") return { ok: false, error: usage };
    if (typeof fresh === "string") return { ok: false, error: fresh };
    if (typeof covered === "string") return { ok: false, error: covered };
    // How old each pod's newest sample is at Prometheus' own evaluation time (value[0]), so a
    // clock difference between mk's host and Prometheus' never makes a live series look stale.
    const sampleAge = new Map(
      fresh.result.map((r) => [r.metric.pod ?? "", (Number(r.value[0]) - Number(r.value[1])) * 1000]),
    );
    // Prometheus' own evaluation time: half a window back from it, whatever mk's clock says.
    const coverage = covered
      ? new Map(covered.result.map((r) => [r.metric.pod ?? "", Number(r.value[1]) - Number(r.value[0])]))
      : undefined;
    const metrics = new Map<string, number>();
    let stale = 0;
    let filling = 0;
    for (const r of usage.result) {
      const pod = r.metric.pod;
      const value = Number(r.value[1]);
      if (!pod || !Number.isFinite(value)) continue;
      const age = sampleAge.get(pod);
      if (age === undefined || !(age <= this.opts.windowMs)) {
        stale++;
        continue;
      }
      const back = coverage?.get(pod);
      if (coverage && (back === undefined || -back * 1000 > this.opts.windowMs)) {
        filling++;
        continue;
      }
      metrics.set(pod, resource === "cpu" ? value * 1000 : value);
    }
    const window = `${Math.round(this.opts.windowMs / 1000)}s`;
    if (metrics.size === 0 && stale > 0)
      return {
        ok: false,
        error: `${this.name} has no sample newer than ${window} for ${stale} pod(s): is it scraping mk?`,
      };
    if (metrics.size === 0 && filling > 0)
      return {
        ok: false,
        error: `${this.name} has samples over less than half of the ${window} window for ${filling} pod(s) (it just started or is back from an outage, or it scrapes mk less often than every ${Math.round(this.opts.windowMs / 2000)}s: then raise --autoscaler-window): waiting for the window to fill`,
      };
    return { ok: true, metrics };
  }
}

// ---- mk's own samples ---------------------------------------------------------------------------

interface Sample {
  at: number;
  cpuSeconds: number;
  memoryBytes: number;
}

/**
 * Docker stats rounds of every node, per pod, for a rate over a window: what the single binary
 * autoscales on when no Prometheus is configured. Fed by the engine's stats loop.
 */
export class UsageHistory {
  private readonly byNode = new Map<string, Map<string, Sample[]>>();

  constructor(private readonly keepMs = 10 * 60_000) {}

  /** One stats round of a node: pods absent from it are no longer running there. */
  record(node: string, usage: readonly PodUsage[], at: number): void {
    const before = this.byNode.get(node) ?? new Map<string, Sample[]>();
    const next = new Map<string, Sample[]>();
    for (const u of usage) {
      const samples = (before.get(u.pod) ?? []).filter((s) => s.at > at - this.keepMs);
      samples.push({ at, cpuSeconds: u.cpuSeconds, memoryBytes: u.memoryBytes });
      next.set(u.pod, samples);
    }
    this.byNode.set(node, next);
  }

  forgetNode(node: string): void {
    this.byNode.delete(node);
  }

  /** The samples of every pod, newest last. */
  pods(): Map<string, readonly Sample[]> {
    const out = new Map<string, readonly Sample[]>();
    for (const pods of this.byNode.values()) for (const [pod, samples] of pods) out.set(pod, samples);
    return out;
  }
}

/**
 * CPU rate (millicores) over about the window, ending at the newest sample. When stats rounds are
 * slower than the window (a loaded host), the one sample before it is taken, up to three windows
 * back, rather than having no rate. A counter drop (a restarted container) starts afresh.
 */
export function cpuRate(samples: readonly Sample[], windowMs: number, now: number): number | undefined {
  let start = 0;
  for (let i = 1; i < samples.length; i++) {
    const cur = samples[i];
    const prev = samples[i - 1];
    if (cur && prev && cur.cpuSeconds < prev.cpuSeconds) start = i;
  }
  const usable = samples.slice(start).filter((s) => s.at <= now);
  const to = usable[usable.length - 1];
  if (!to) return undefined;
  let i = usable.findIndex((s) => s.at >= to.at - windowMs);
  if (usable[i] === to) i--;
  const from = usable[i];
  if (!from || to.at - from.at > 3 * windowMs || to.at <= from.at) return undefined;
  return ((to.cpuSeconds - from.cpuSeconds) / ((to.at - from.at) / 1000)) * 1000;
}

export class LocalSource implements MetricsSource {
  readonly name = "Docker stats";

  constructor(
    private readonly history: UsageHistory,
    private readonly windowMs: number,
  ) {}

  async fetch(resource: Resource, now: number): Promise<MetricsResult> {
    const metrics = new Map<string, number>();
    for (const [pod, samples] of this.history.pods()) {
      const last = samples[samples.length - 1];
      // Stale (the node stopped answering, or stats rounds are slower than the window): no metric.
      if (!last || now - last.at > 2 * this.windowMs) continue;
      const value = resource === "cpu" ? cpuRate(samples, this.windowMs, now) : last.memoryBytes;
      if (value !== undefined) metrics.set(pod, value);
    }
    // Right after a start no round has run yet (a cpu rate needs two): say so, not just "none".
    if (metrics.size === 0)
      return { ok: false, error: `no ${resource} samples of running pods from Docker stats yet` };
    return { ok: true, metrics };
  }
}
