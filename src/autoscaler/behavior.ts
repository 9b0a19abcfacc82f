// HorizontalPodAutoscaler behavior: the stabilization window and the scaling policies. A port of
// Kubernetes' horizontal.go (normalizeDesiredReplicasWithBehaviors, stabilizeRecommendation-
// WithBehaviors, convertDesiredReplicasWithBehaviorRate, calculateScale{Up,Down}Limit...,
// storeScaleEvent) to pure functions over an explicit history, so the history can live in a table
// and survive a controller restart. Times are milliseconds; `now` is always a parameter.

import type { ScalingRules } from "../manifest/types.ts";

/** One unstabilized recommendation, as Kubernetes keeps per HPA. */
export interface Recommendation {
  replicas: number;
  at: number;
}

/** One rescale: how many pods it added (scale-up list) or removed (scale-down list). */
export interface ScaleEvent {
  change: number;
  at: number;
}

/** What the behavior needs to remember between syncs. */
export interface BehaviorHistory {
  recommendations: Recommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export const emptyHistory = (): BehaviorHistory => ({
  recommendations: [],
  scaleUpEvents: [],
  scaleDownEvents: [],
});

export interface ConditionVerdict {
  status: "True" | "False";
  reason: string;
  message: string;
}

export interface NormalizeInput {
  current: number;
  /** The metrics' proposal, before stabilization and policies. */
  desired: number;
  minReplicas: number;
  maxReplicas: number;
  behavior: { scaleUp: ScalingRules; scaleDown: ScalingRules };
  history: BehaviorHistory;
  now: number;
}

export interface NormalizeResult {
  replicas: number;
  /** The history with this sync's recommendation recorded (scale events are added by recordScale). */
  history: BehaviorHistory;
  ableToScale: ConditionVerdict;
  scalingLimited: ConditionVerdict;
}

const secondsMs = (s: number) => s * 1000;

/** Sum of the changes of the events newer than `periodSeconds` (getReplicasChangePerPeriod). */
export function changeInPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number): number {
  const cutoff = now - secondsMs(periodSeconds);
  return events.reduce((sum, e) => (e.at > cutoff ? sum + e.change : sum), 0);
}

/**
 * The limit the policies put on one direction of change: for "up" the most replicas allowed now
 * (calculateScaleUpLimitWithScalingRules), for "down" the fewest (calculateScaleDownLimitWithBehaviors).
 * selectPolicy Max takes the policy that allows the largest change, Min the smallest.
 */
function policyLimit(
  direction: "up" | "down",
  current: number,
  up: readonly ScaleEvent[],
  down: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === "Disabled") return current;
  const largestChange = rules.selectPolicy !== "Min";
  const pick = (direction === "up") === largestChange ? Math.max : Math.min;
  let result = pick === Math.max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const p of rules.policies) {
    const start =
      current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    const sign = direction === "up" ? 1 : -1;
    // A percentage rounds away from the current count on the way up (or a small target could never
    // grow by one) and towards zero on the way down, as Kubernetes does.
    const proposed =
      p.type === "Pods"
        ? start + sign * p.value
        : (sign > 0 ? Math.ceil : Math.trunc)(start * (1 + (sign * p.value) / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now. */
export function scaleUpLimit(
  current: number,
  up: readonly ScaleEvent[],
  down: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  return policyLimit("up", current, up, down, rules, now);
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now. */
export function scaleDownLimit(
  current: number,
  up: readonly ScaleEvent[],
  down: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  return policyLimit("down", current, up, down, rules, now);
}

/**
 * stabilizeRecommendationWithBehaviors: within the scale-up window take the lowest recommendation,
 * within the scale-down window the highest, and keep `current` between the two.
 */
export function stabilize(input: NormalizeInput): {
  replicas: number;
  recommendations: Recommendation[];
  verdict: ConditionVerdict;
} {
  const { behavior, now, desired, current } = input;
  const upCutoff = now - secondsMs(behavior.scaleUp.stabilizationWindowSeconds);
  const downCutoff = now - secondsMs(behavior.scaleDown.stabilizationWindowSeconds);
  let upRecommendation = desired;
  let downRecommendation = desired;
  for (const r of input.history.recommendations) {
    if (r.at > upCutoff) upRecommendation = Math.min(upRecommendation, r.replicas);
    if (r.at > downCutoff) downRecommendation = Math.max(downRecommendation, r.replicas);
  }
  let replicas = current;
  if (replicas < upRecommendation) replicas = upRecommendation;
  if (replicas > downRecommendation) replicas = downRecommendation;
  // Kubernetes overwrites one sample older than both windows; dropping all of them is the same.
  const oldest = Math.min(upCutoff, downCutoff);
  const recommendations = [
    ...input.history.recommendations.filter((r) => r.at >= oldest),
    { replicas: desired, at: now },
  ];
  const verdict: ConditionVerdict =
    desired >= current
      ? {
          status: "True",
          reason: "ScaleUpStabilized",
          message:
            "recent recommendations were lower than current one, applying the lowest recent recommendation",
        }
      : {
          status: "True",
          reason: "ScaleDownStabilized",
          message:
            "recent recommendations were higher than current one, applying the highest recent recommendation",
        };
  return { replicas, recommendations, verdict };
}

/** convertDesiredReplicasWithBehaviorRate: the policies' rate limits, then min and max. */
export function limitRate(
  input: NormalizeInput,
  desired: number,
): { replicas: number; reason: string; message: string } {
  const { current, history, behavior, now } = input;
  if (desired > current) {
    let limit = scaleUpLimit(current, history.scaleUpEvents, history.scaleDownEvents, behavior.scaleUp, now);
    // Events of the period still count: no further scale-up until they age out.
    if (limit < current) limit = current;
    let allowed = input.maxReplicas;
    let reason = "TooManyReplicas";
    let message = "the desired replica count is more than the maximum replica count";
    if (allowed > limit) {
      allowed = limit;
      reason = "ScaleUpLimit";
      message = "the desired replica count is increasing faster than the maximum scale rate";
    }
    if (desired > allowed) return { replicas: allowed, reason, message };
  } else if (desired < current) {
    let limit = scaleDownLimit(
      current,
      history.scaleUpEvents,
      history.scaleDownEvents,
      behavior.scaleDown,
      now,
    );
    if (limit > current) limit = current;
    let allowed = input.minReplicas;
    let reason = "TooFewReplicas";
    let message = "the desired replica count is less than the minimum replica count";
    if (allowed < limit) {
      allowed = limit;
      reason = "ScaleDownLimit";
      message = "the desired replica count is decreasing faster than the maximum scale rate";
    }
    if (desired < allowed) return { replicas: allowed, reason, message };
  }
  return {
    replicas: desired,
    reason: "DesiredWithinRange",
    message: "the desired count is within the acceptable range",
  };
}

/** normalizeDesiredReplicasWithBehaviors: stabilize, then limit the rate; with the conditions. */
export function normalizeWithBehaviors(input: NormalizeInput): NormalizeResult {
  const stable = stabilize(input);
  const ableToScale: ConditionVerdict =
    stable.replicas !== input.desired
      ? stable.verdict
      : { status: "True", reason: "ReadyForNewScale", message: "recommended size matches current size" };
  const limited = limitRate(input, stable.replicas);
  return {
    replicas: limited.replicas,
    history: { ...input.history, recommendations: stable.recommendations },
    ableToScale,
    scalingLimited: {
      status: limited.replicas === stable.replicas ? "False" : "True",
      reason: limited.reason,
      message: limited.message,
    },
  };
}

const longestPeriodMs = (rules: ScalingRules) =>
  secondsMs(Math.max(0, ...rules.policies.map((p) => p.periodSeconds)));

/** storeScaleEvent: remembers a rescale for the policies; events older than every period go. */
export function recordScale(
  history: BehaviorHistory,
  behavior: { scaleUp: ScalingRules; scaleDown: ScalingRules },
  from: number,
  to: number,
  now: number,
): BehaviorHistory {
  const keep = (events: readonly ScaleEvent[], rules: ScalingRules) =>
    events.filter((e) => e.at > now - longestPeriodMs(rules));
  const up = keep(history.scaleUpEvents, behavior.scaleUp);
  const down = keep(history.scaleDownEvents, behavior.scaleDown);
  if (to > from) up.push({ change: to - from, at: now });
  else if (to < from) down.push({ change: from - to, at: now });
  return { ...history, scaleUpEvents: up, scaleDownEvents: down };
}
