// Score plugins: each rates the nodes that passed every filter; schedule.ts combines the ratings in
// a weighted average (DEFAULT_SCORES), 0 (worst) to 100 (best). As in Kubernetes (Score, then
// ScoreExtensions.NormalizeScore), a plugin whose rating only means something relative to the other
// nodes returns a raw number per node and maps all of them to 0..100 in `normalize`.

import type { Taint, Toleration } from "../manifest/types.ts";
import { findToleration } from "./filters.ts";
import type { NodeInfo, ScorePlugin } from "./types.ts";

/** Replicas of `owner` bound to the node (typeof: an owner named "constructor" has none). */
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

/** Fewer is better: 100 for the lowest possible raw value 0, 0 for the highest one present. */
export function normalizeFewerIsBetter(scores: Float64Array): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]!);
  for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? 100 : ((max - scores[i]!) / max) * 100;
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
 * Fewer replicas of the pod's PodSet on the node is better, so replicas spread: 100 on a node with
 * none, 0 on the feasible node(s) with the most. A standalone pod scores 100 everywhere.
 */
export const spread: ScorePlugin = {
  name: "Spread",
  score: (pod, node) => (pod.owner === undefined ? 0 : ownerCount(node, pod.owner)),
  normalize: normalizeFewerIsBetter,
};

/**
 * PreferNoSchedule taints the pod does not tolerate lower the score and never filter: 100 without
 * any, 0 on the feasible node(s) with the most.
 */
export const preferNoSchedule: ScorePlugin = {
  name: "PreferNoSchedule",
  score: (pod, node) =>
    node.taints.length === 0 ? 0 : countUntoleratedPreferNoSchedule(node.taints, pod.spec.tolerations),
  normalize: normalizeFewerIsBetter,
};

export interface WeightedScore {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

/**
 * Weights after Kubernetes' defaults (TaintToleration 3, PodTopologySpread 2, NodeResourcesFit 1):
 * an untolerated PreferNoSchedule taint outweighs spreading, which outweighs free capacity.
 */
export const DEFAULT_SCORES: readonly WeightedScore[] = [
  { plugin: leastAllocated, weight: 1 },
  { plugin: spread, weight: 2 },
  { plugin: preferNoSchedule, weight: 3 },
];
