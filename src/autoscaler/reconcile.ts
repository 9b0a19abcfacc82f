// reconcileAutoscaler(): one sync of one autoscaler, pure. Given its spec, its target's replicas
// and pods, the per-pod metrics and the status of the last sync, it returns the new status, the
// rescale to make (if any) and the events to record. A port of the decision part of Kubernetes'
// horizontal.go (reconcileAutoscaler, computeReplicasForMetrics); loop.ts does the I/O.

import type { AutoscalerSpec, ResourceMetric } from "../manifest/types.ts";
import {
  type BehaviorHistory,
  type ConditionVerdict,
  emptyHistory,
  normalizeWithBehaviors,
  recordScale,
} from "./behavior.ts";
import {
  averageValueReplicas,
  type CalculatorOptions,
  type PodMetrics,
  type Resource,
  type ScalePod,
  utilizationReplicas,
} from "./replicas.ts";

export type ConditionType = "AbleToScale" | "ScalingActive" | "ScalingLimited";

export interface Condition extends ConditionVerdict {
  type: ConditionType;
  lastTransitionTime: number;
}

export interface MetricStatus {
  resource: Resource;
  /** Percent of the requests (Utilization targets). */
  utilization?: number;
  /** Average per pod: millicores or bytes. */
  averageValue: number;
}

export interface AutoscalerStatus {
  currentReplicas: number;
  desiredReplicas: number;
  currentMetrics: MetricStatus[];
  lastScaleTime: number | null;
  conditions: Condition[];
  history: BehaviorHistory;
}

export interface AutoscalerEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Per-pod usage of one resource, or why there is none (Prometheus down, no samples yet). */
export type MetricsResult = { ok: true; metrics: PodMetrics } | { ok: false; error: string };

export interface ReconcileInput {
  spec: AutoscalerSpec;
  /** The target PodSet's replicas, or undefined when it does not exist. */
  targetReplicas: number | undefined;
  pods: readonly ScalePod[];
  metrics: (resource: Resource) => MetricsResult;
  previous: AutoscalerStatus | undefined;
  options: CalculatorOptions;
  /** Every autoscaler (this one included) whose target is this one's, when there are several. */
  rivals?: readonly string[];
}

export interface Rescale {
  from: number;
  to: number;
  reason: string;
}

export interface Decision {
  status: AutoscalerStatus;
  rescale: Rescale | null;
  events: AutoscalerEvent[];
}

/** "cpu resource utilization (percentage of request)", as Kubernetes names a metric in messages. */
export function metricName(m: ResourceMetric): string {
  return m.target.type === "Utilization"
    ? `${m.resource} resource utilization (percentage of request)`
    : `${m.resource} resource`;
}

/** Conditions keep their transition time while their status stays the same. */
function withCondition(
  list: readonly Condition[],
  previous: readonly Condition[],
  type: ConditionType,
  verdict: ConditionVerdict,
  now: number,
): Condition[] {
  const before = previous.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === verdict.status ? before.lastTransitionTime : now;
  return [...list.filter((c) => c.type !== type), { type, ...verdict, lastTransitionTime }];
}

const ORDER: ConditionType[] = ["AbleToScale", "ScalingActive", "ScalingLimited"];

interface MetricsVerdict {
  replicas: number;
  metric: string;
  statuses: MetricStatus[];
  error?: string;
  /** The condition to set when every metric (or a scale-down's) failed. */
  failure?: ConditionVerdict;
  events: AutoscalerEvent[];
}

/** computeReplicasForMetrics: the highest proposal of the valid metrics. */
/** The calculator's options with the autoscaler's own behavior tolerances, when it sets them. */
function calculatorOptions(input: ReconcileInput): CalculatorOptions {
  const { scaleUp, scaleDown } = input.spec.behavior;
  return {
    ...input.options,
    ...(scaleUp.tolerance !== undefined ? { scaleUpTolerance: scaleUp.tolerance } : {}),
    ...(scaleDown.tolerance !== undefined ? { scaleDownTolerance: scaleDown.tolerance } : {}),
  };
}

function replicasForMetrics(input: ReconcileInput, current: number): MetricsVerdict {
  const options = calculatorOptions(input);
  const statuses: MetricStatus[] = [];
  const events: AutoscalerEvent[] = [];
  let replicas = 0;
  let metric = "";
  let invalid = 0;
  let firstError: string | undefined;
  let failure: ConditionVerdict | undefined;
  for (const m of input.spec.metrics) {
    const what = m.target.type === "Utilization" ? `${m.resource} utilization` : `${m.resource} usage`;
    const got = input.metrics(m.resource);
    const proposal = !got.ok
      ? { ok: false as const, error: got.error }
      : m.target.type === "Utilization"
        ? utilizationReplicas(
            current,
            m.target.averageUtilization,
            m.resource,
            input.pods,
            got.metrics,
            options,
          )
        : averageValueReplicas(current, m.target.averageValue, m.resource, input.pods, got.metrics, options);
    if (!proposal.ok) {
      const error = `failed to get ${what}: ${proposal.error}`;
      events.push({ type: "Warning", reason: "FailedGetResourceMetric", message: error });
      if (invalid === 0) {
        firstError = error;
        failure = {
          status: "False",
          reason: "FailedGetResourceMetric",
          message: `the HPA was unable to compute the replica count: ${error}`,
        };
      }
      invalid++;
      continue;
    }
    statuses.push({
      resource: m.resource,
      ...(proposal.utilization !== undefined ? { utilization: proposal.utilization } : {}),
      averageValue: proposal.averageValue,
    });
    if (replicas === 0 || proposal.replicas > replicas) {
      replicas = proposal.replicas;
      metric = metricName(m);
    }
  }
  const total = input.spec.metrics.length;
  // A scale-down on partial data could remove pods a failing metric still needs: Kubernetes waits.
  if (invalid >= total || (invalid > 0 && replicas < current)) {
    return {
      replicas: -1,
      metric,
      statuses,
      error: `invalid metrics (${invalid} invalid out of ${total}), first error is: ${firstError}`,
      ...(failure ? { failure } : {}),
      events,
    };
  }
  return { replicas, metric, statuses, events };
}

/**
 * maybeInitScaleDownStabilizationWindow: an autoscaler's first decision counts the current size as
 * a recommendation made now, so a new HPA on a big target waits out the scale-down window before
 * it removes pods, as Kubernetes does. (mk keeps the history in a table, so a restarted
 * controller continues from it instead.)
 */
function withInitialRecommendation(
  history: BehaviorHistory,
  spec: AutoscalerSpec,
  current: number,
  now: number,
): BehaviorHistory {
  if (history.recommendations.length > 0 || spec.behavior.scaleDown.stabilizationWindowSeconds <= 0)
    return history;
  return { ...history, recommendations: [{ replicas: current, at: now }] };
}

export function reconcileAutoscaler(input: ReconcileInput): Decision {
  const now = input.options.now;
  const prev = input.previous;
  const prevConditions = prev?.conditions ?? [];
  let conditions: Condition[] = [];
  const set = (type: ConditionType, v: ConditionVerdict) => {
    conditions = withCondition(conditions, prevConditions, type, v, now);
  };
  const events: AutoscalerEvent[] = [];
  const history = prev?.history ?? emptyHistory();
  const sorted = () => ORDER.flatMap((t) => conditions.filter((c) => c.type === t));
  const { spec } = input;
  /** No rescale this sync: the status says where replicas stay and what was measured. */
  const hold = (replicas: number, currentMetrics: MetricStatus[]): Decision => ({
    status: {
      currentReplicas: replicas,
      desiredReplicas: replicas,
      currentMetrics,
      lastScaleTime: prev?.lastScaleTime ?? null,
      conditions: sorted(),
      history,
    },
    rescale: null,
    events,
  });

  if (input.targetReplicas === undefined) {
    const message = `the HPA controller was unable to get the target's current scale: podset "${spec.target.name}" not found`;
    set("AbleToScale", { status: "False", reason: "FailedGetScale", message });
    events.push({
      type: "Warning",
      reason: "FailedGetScale",
      message: `podset "${spec.target.name}" not found`,
    });
    return hold(0, []);
  }
  const current = input.targetReplicas;
  set("AbleToScale", {
    status: "True",
    reason: "SucceededGetScale",
    message: "the HPA controller was able to get the target's current scale",
  });
  if (input.rivals && input.rivals.length > 1) {
    // Kubernetes' AmbiguousSelector: two HPAs on one target would fight; neither acts.
    const message = `pods of podset "${spec.target.name}" are controlled by multiple autoscalers: [${[...input.rivals].sort().join(" ")}]`;
    set("ScalingActive", { status: "False", reason: "AmbiguousSelector", message });
    events.push({ type: "Warning", reason: "AmbiguousSelector", message });
    return hold(current, []);
  }

  let desired = 0;
  let reason = "";
  let rescale = true;
  let statuses: MetricStatus[] = prev?.currentMetrics ?? [];
  let nextHistory = history;
  if (current === 0) {
    // Kubernetes: a target scaled to zero by hand is left alone.
    desired = 0;
    rescale = false;
    set("ScalingActive", {
      status: "False",
      reason: "ScalingDisabled",
      message: "scaling is disabled since the replica count of the target is zero",
    });
  } else if (current > spec.maxReplicas) {
    reason = "Current number of replicas above Spec.MaxReplicas";
    desired = spec.maxReplicas;
  } else if (current < spec.minReplicas) {
    reason = "Current number of replicas below Spec.MinReplicas";
    desired = spec.minReplicas;
  } else {
    const m = replicasForMetrics(input, current);
    events.push(...m.events);
    if (m.replicas === -1) {
      if (m.failure) set("ScalingActive", m.failure);
      events.push({ type: "Warning", reason: "FailedComputeMetricsReplicas", message: m.error ?? "" });
      // Replicas stay where they are; the previous ScalingLimited verdict still describes them.
      const limited = prevConditions.find((c) => c.type === "ScalingLimited");
      if (limited) conditions.push(limited);
      return hold(current, m.statuses);
    }
    statuses = m.statuses;
    set("ScalingActive", {
      status: "True",
      reason: "ValidMetricFound",
      message: `the HPA was able to successfully calculate a replica count from ${m.metric}`,
    });
    desired = m.replicas;
    if (desired > current) reason = `${m.metric} above target`;
    if (desired < current) reason = "All metrics below target";
    const normalized = normalizeWithBehaviors({
      current,
      desired,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      behavior: spec.behavior,
      history: withInitialRecommendation(history, spec, current, now),
      now,
    });
    set("AbleToScale", normalized.ableToScale);
    set("ScalingLimited", normalized.scalingLimited);
    desired = normalized.replicas;
    nextHistory = normalized.history;
    rescale = desired !== current;
  }

  let lastScaleTime = prev?.lastScaleTime ?? null;
  let change: Rescale | null = null;
  if (rescale) {
    change = { from: current, to: desired, reason };
    set("AbleToScale", {
      status: "True",
      reason: "SucceededRescale",
      message: `the HPA controller was able to update the target scale to ${desired}`,
    });
    events.push({
      type: "Normal",
      reason: "SuccessfulRescale",
      message: `New size: ${desired}; reason: ${reason}`,
    });
    nextHistory = recordScale(nextHistory, spec.behavior, current, desired, now);
    lastScaleTime = now;
  } else {
    desired = current;
  }
  return {
    status: {
      currentReplicas: current,
      desiredReplicas: desired,
      currentMetrics: statuses,
      lastScaleTime,
      conditions: sorted(),
      history: nextHistory,
    },
    rescale: change,
    events,
  };
}
