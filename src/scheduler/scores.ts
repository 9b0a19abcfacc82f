// Score plugins: each rates a feasible node from 0 to 100 for one pod; schedule.ts combines them in
// a weighted average (DEFAULT_SCORES). Relative scores are normalized against the other feasible
// nodes through a ScoreContext computed once per pod (the NormalizeScore step of Kubernetes).

import type { Taint, Toleration } from "../manifest/types.ts";
import { findToleration } from "./filters.ts";
import type { NodeInfo, PreparedPod, ScoreContext, ScorePlugin } from "./types.ts";

/** Replicas of `owner` already bound to the node (typeof: an owner named "constructor" has 0). */
export function ownerCount(node: NodeInfo, owner: string): number {
  const count = node.podSetCounts[owner];
  return typeof count === "number" ? count : 0;
}

/** PreferNoSchedule taints on the node that none of the tolerations tolerates. */
export function countUntoleratedPreferNoSchedule(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): number {
  let count = 0;
  for (const taint of taints) {
    if (taint.effect === "PreferNoSchedule" && findToleration(tolerations, taint) === undefined) count++;
  }
  return count;
}

export function makeScoreContext(pod: PreparedPod, feasible: readonly NodeInfo[]): ScoreContext {
  let maxOwnerCount = 0;
  let maxUntoleratedPreferNoSchedule = 0;
  for (const node of feasible) {
    if (pod.owner !== undefined) maxOwnerCount = Math.max(maxOwnerCount, ownerCount(node, pod.owner));
    if (node.taints.length > 0) {
      const untolerated = countUntoleratedPreferNoSchedule(node.taints, pod.spec.tolerations);
      maxUntoleratedPreferNoSchedule = Math.max(maxUntoleratedPreferNoSchedule, untolerated);
    }
  }
  return { maxOwnerCount, maxUntoleratedPreferNoSchedule };
}

function freeFraction(allocatable: number, requested: number, podRequest: number): number {
  if (allocatable <= 0) return 0;
  return Math.max(0, allocatable - requested - podRequest) / allocatable;
}

/** The default strategy: the more cpu and memory left free after placing the pod, the better. */
export const leastAllocated: ScorePlugin = {
  name: "LeastAllocated",
  score(pod, node) {
    const cpu = freeFraction(node.allocatable.cpuMilli, node.requested.cpuMilli, pod.requests.cpuMilli);
    const memory = freeFraction(
      node.allocatable.memoryBytes,
      node.requested.memoryBytes,
      pod.requests.memoryBytes,
    );
    return ((cpu + memory) / 2) * 100;
  },
};

/**
 * Fewer replicas of the same PodSet on the node score higher, so replicas spread over nodes: 100 on
 * a node with none, 0 on the feasible node(s) with the most. Standalone pods score 100 everywhere.
 */
export const spread: ScorePlugin = {
  name: "Spread",
  score(pod, node, ctx) {
    if (pod.owner === undefined || ctx.maxOwnerCount === 0) return 100;
    return ((ctx.maxOwnerCount - ownerCount(node, pod.owner)) / ctx.maxOwnerCount) * 100;
  },
};

/**
 * PreferNoSchedule taints the pod does not tolerate lower the score, never filter: 100 without
 * any, 0 on the feasible node(s) with the most.
 */
export const preferNoSchedule: ScorePlugin = {
  name: "PreferNoSchedule",
  score(pod, node, ctx) {
    if (ctx.maxUntoleratedPreferNoSchedule === 0 || node.taints.length === 0) return 100;
    const untolerated = countUntoleratedPreferNoSchedule(node.taints, pod.spec.tolerations);
    return ((ctx.maxUntoleratedPreferNoSchedule - untolerated) / ctx.maxUntoleratedPreferNoSchedule) * 100;
  },
};

export interface WeightedScore {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

/**
 * Weights as in Kubernetes' defaults (TaintToleration 3, PodTopologySpread 2, NodeResourcesFit 1):
 * an untolerated PreferNoSchedule taint outweighs spreading, which outweighs free capacity.
 */
export const DEFAULT_SCORES: readonly WeightedScore[] = [
  { plugin: leastAllocated, weight: 1 },
  { plugin: spread, weight: 2 },
  { plugin: preferNoSchedule, weight: 3 },
];
