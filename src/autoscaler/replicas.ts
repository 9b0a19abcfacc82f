// The replica calculator: how many pods one resource metric asks for. A port of Kubernetes'
// pkg/controller/podautoscaler/replica_calculator.go (GetResourceReplicas, calcPlainMetricReplicas,
// groupPods) to pure functions: the clock is `now`, the metrics are a map from pod name to usage.
//
//   desired = ceil(current × usageRatio), unchanged within the tolerance (0.1)
//
// Pods being deleted and failed pods are ignored. Pending pods, and for cpu the pods that are not
// ready or are still in their initialization period (their cpu is noisy while starting), count as
// 0 % when the ratio says scale up and are left out otherwise. Pods without a metric count as
// 100 % of their request (or the target, if higher) on scale-down and 0 % on scale-up. If those
// adjustments reverse the direction, or bring the ratio within the tolerance, nothing changes.

import type { ResourceAmounts } from "../manifest/types.ts";

export type Resource = "cpu" | "memory";

/** A pod of the scale target, as the calculator needs it. */
export interface ScalePod {
  name: string;
  phase: string;
  deleting: boolean;
  ready: boolean;
  /** When its containers started (ms), null while none has. */
  startedAt: number | null;
  containers: readonly { name: string; requests: ResourceAmounts }[];
}

/** Per-pod usage: millicores for cpu, bytes for memory. */
export type PodMetrics = ReadonlyMap<string, number>;

export interface CalculatorOptions {
  now: number;
  /** Kubernetes' --horizontal-pod-autoscaler-tolerance: 0.1. */
  tolerance: number;
  /** behavior.scaleUp/scaleDown.tolerance of the autoscaler, when set: replaces `tolerance` that way. */
  scaleUpTolerance?: number;
  scaleDownTolerance?: number;
  /** A cpu sample of a pod younger than this counts as not ready (ms). */
  cpuInitializationMs: number;
}

export const DEFAULT_TOLERANCE = 0.1;
export const DEFAULT_CPU_INITIALIZATION_MS = 30_000;

export type Proposal =
  | {
      ok: true;
      replicas: number;
      /** Percent of the requests, for Utilization targets (ready pods only, truncated like Kubernetes). */
      utilization?: number;
      /** Average usage per pod with a metric (millicores or bytes). */
      averageValue: number;
    }
  | { ok: false; error: string };

interface Groups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** groupPods(): which pods count, which are unready, which have no metric. */
export function groupPods(
  pods: readonly ScalePod[],
  metrics: PodMetrics,
  resource: Resource,
  opts: CalculatorOptions,
): Groups {
  const g: Groups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    if (pod.deleting || pod.phase === "Failed" || pod.phase === "Succeeded") {
      g.ignored.add(pod.name);
      continue;
    }
    if (pod.phase === "Pending") {
      g.unready.add(pod.name);
      continue;
    }
    if (!metrics.has(pod.name)) {
      g.missing.add(pod.name);
      continue;
    }
    if (resource === "cpu") {
      const young = pod.startedAt === null || opts.now - pod.startedAt < opts.cpuInitializationMs;
      if (!pod.ready || young) {
        g.unready.add(pod.name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Sum of a pod's container requests, or an error naming the first container without one. */
function podRequests(pods: readonly ScalePod[], resource: Resource): Map<string, number> | string {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.containers) {
      const r = resource === "cpu" ? c.requests.cpuMilli : c.requests.memoryBytes;
      if (r === undefined) return `missing request for ${resource} in container ${c.name} of Pod ${pod.name}`;
      sum += r;
    }
    out.set(pod.name, sum);
  }
  return out;
}

/** GetResourceUtilizationRatio: the integer utilization percent, and its ratio to the target. */
function utilizationRatio(
  metrics: PodMetrics,
  requests: ReadonlyMap<string, number>,
  target: number,
): { ratio: number; utilization: number; average: number } | string {
  let used = 0;
  let requested = 0;
  let n = 0;
  for (const [pod, value] of metrics) {
    const r = requests.get(pod);
    if (r === undefined) continue;
    used += value;
    requested += r;
    n++;
  }
  if (requested === 0) return "no metrics returned matched known pods";
  const utilization = Math.trunc((used * 100) / requested);
  return { ratio: utilization / target, utilization, average: n > 0 ? used / n : 0 };
}

function without(metrics: PodMetrics, names: ReadonlySet<string>): Map<string, number> {
  return new Map([...metrics].filter(([pod]) => !names.has(pod)));
}

/** isWithin(): no change for 1 - down <= ratio <= 1 + up (a ratio of exactly 1.1 is within 0.1). */
export function withinTolerance(ratio: number, opts: CalculatorOptions): boolean {
  const up = opts.scaleUpTolerance ?? opts.tolerance;
  const down = opts.scaleDownTolerance ?? opts.tolerance;
  return 1 - down <= ratio && ratio <= 1 + up;
}

const reversed = (before: number, after: number) => (before < 1 && after > 1) || (before > 1 && after < 1);

/**
 * The metrics both calculators start from: those of the target's pods, grouped (ready, unready,
 * ignored, missing), without the ignored and unready pods — or why there are none.
 */
function usableMetrics(
  pods: readonly ScalePod[],
  allMetrics: PodMetrics,
  resource: Resource,
  opts: CalculatorOptions,
): { g: ReturnType<typeof groupPods>; metrics: Map<string, number> } | { error: string } {
  const known = new Set(pods.map((p) => p.name));
  const podMetrics = new Map([...allMetrics].filter(([pod]) => known.has(pod)));
  if (podMetrics.size === 0)
    return { error: `unable to get metrics for resource ${resource}: no metrics returned` };
  const g = groupPods(pods, podMetrics, resource, opts);
  const metrics = without(podMetrics, new Set([...g.ignored, ...g.unready]));
  if (metrics.size === 0)
    return { error: "did not receive metrics for targeted pods (pods might be unready)" };
  return { g, metrics };
}

/**
 * The step both calculators share once they have a usage ratio: with every pod measured and ready,
 * ceil(ratio x ready pods) unless within tolerance. Otherwise Kubernetes takes a second look: a pod
 * without a metric counts as `scaleDownValue(pod)` on a scale-down and 0 on a scale-up, an unready
 * pod as 0 on a scale-up, and either way they only ever argue against the change (no change when
 * the second ratio is within tolerance or points the other way). An error string when the second
 * ratio cannot be had.
 */
function replicasAfterAdjusting(
  currentReplicas: number,
  ratio: number,
  g: ReturnType<typeof groupPods>,
  metrics: ReadonlyMap<string, number>,
  scaleDownValue: (pod: string) => number,
  ratioOf: (adjusted: ReadonlyMap<string, number>) => number | string,
  opts: CalculatorOptions,
): number | string {
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0)
    return withinTolerance(ratio, opts) ? currentReplicas : Math.ceil(ratio * g.readyCount);
  const adjusted = new Map(metrics);
  for (const pod of g.missing) {
    if (ratio < 1) adjusted.set(pod, scaleDownValue(pod));
    else if (ratio > 1) adjusted.set(pod, 0);
  }
  if (scaleUpWithUnready) for (const pod of g.unready) adjusted.set(pod, 0);
  const next = ratioOf(adjusted);
  if (typeof next === "string") return next;
  if (withinTolerance(next, opts) || reversed(ratio, next)) return currentReplicas;
  const replicas = Math.ceil(next * adjusted.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas))
    return currentReplicas;
  return replicas;
}

/** GetResourceReplicas: a target of `targetUtilization` percent of the pods' requests. */
export function utilizationReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: Resource,
  pods: readonly ScalePod[],
  allMetrics: PodMetrics,
  opts: CalculatorOptions,
): Proposal {
  const usable = usableMetrics(pods, allMetrics, resource, opts);
  if ("error" in usable) return { ok: false, error: usable.error };
  const { g, metrics } = usable;
  const requests = podRequests(pods, resource);
  if (typeof requests === "string") return { ok: false, error: requests };
  const first = utilizationRatio(metrics, requests, targetUtilization);
  if (typeof first === "string") return { ok: false, error: first };
  const { ratio, utilization, average } = first;
  const answer = (replicas: number): Proposal => ({ ok: true, replicas, utilization, averageValue: average });

  // Scale-down: a pod without a metric is assumed to use all of its request (or the target, when
  // that is above 100 %).
  const fallback = Math.max(100, targetUtilization);
  const replicas = replicasAfterAdjusting(
    currentReplicas,
    ratio,
    g,
    metrics,
    (pod) => Math.trunc(((requests.get(pod) ?? 0) * fallback) / 100),
    (adjusted) => {
      const second = utilizationRatio(adjusted, requests, targetUtilization);
      return typeof second === "string" ? second : second.ratio;
    },
    opts,
  );
  return typeof replicas === "string" ? { ok: false, error: replicas } : answer(replicas);
}

/** calcPlainMetricReplicas (GetRawResourceReplicas): a target average usage per pod. */
export function averageValueReplicas(
  currentReplicas: number,
  targetValue: number,
  resource: Resource,
  pods: readonly ScalePod[],
  allMetrics: PodMetrics,
  opts: CalculatorOptions,
): Proposal {
  const usable = usableMetrics(pods, allMetrics, resource, opts);
  if ("error" in usable) return { ok: false, error: usable.error };
  const { g, metrics } = usable;
  const usageRatio = (m: ReadonlyMap<string, number>) => {
    const average = [...m.values()].reduce((a, b) => a + b, 0) / m.size;
    return { ratio: average / targetValue, average };
  };
  const { ratio, average } = usageRatio(metrics);
  const answer = (replicas: number): Proposal => ({ ok: true, replicas, averageValue: average });

  // Scale-down: a pod without a metric is assumed to use the target.
  const replicas = replicasAfterAdjusting(
    currentReplicas,
    ratio,
    g,
    metrics,
    () => targetValue,
    (adjusted) => usageRatio(adjusted).ratio,
    opts,
  );
  return typeof replicas === "string" ? { ok: false, error: replicas } : answer(replicas);
}
