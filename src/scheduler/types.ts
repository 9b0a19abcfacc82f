// The scheduler's vocabulary: the read-only snapshot it reads (NodeInfo, PodToSchedule), the plugin
// shapes (FilterPlugin, ScorePlugin) and what it returns (ScheduleResult, Binding). The scheduler
// never writes: the caller commits the bindings to the store.

import type { Labels, PodSpec, Taint } from "../manifest/types.ts";

export interface ResourceQuantities {
  cpuMilli: number;
  memoryBytes: number;
}

export interface NodeInfo {
  readonly name: string;
  readonly ready: boolean;
  /** False when cordoned. */
  readonly schedulable: boolean;
  /** Ready long enough after returning (flap protection). */
  readonly settled: boolean;
  readonly labels: Labels;
  readonly taints: readonly Taint[];
  readonly allocatable: Readonly<ResourceQuantities>;
  /** Sum of the requests of the pods bound to the node. */
  readonly requested: Readonly<ResourceQuantities>;
  readonly podCount: number;
  /** Pods bound here per PodSet owner name. */
  readonly podSetCounts: Readonly<Record<string, number>>;
}

export interface PodToSchedule {
  name: string;
  /** Name of the owning PodSet; undefined for a standalone Pod. */
  owner?: string;
  spec: PodSpec;
}

/**
 * A pod with what every plugin needs computed once, before the per-node loops (the PreFilter step
 * of Kubernetes): plugins run nodes x pods times and must not redo per-pod work or allocate.
 */
export interface PreparedPod extends PodToSchedule {
  /** Sum of spec.containers[].resources.requests; a missing amount counts as 0. */
  readonly requests: Readonly<ResourceQuantities>;
  /** spec.nodeSelector as entries. */
  readonly nodeSelector: readonly (readonly [string, string])[];
}

/** Rejects a node with a human reason, or accepts it with undefined. */
export interface FilterPlugin {
  readonly name: string;
  filter(pod: PreparedPod, node: NodeInfo): string | undefined;
}

/** Facts about all feasible nodes for one pod, so per-node scores can be normalized to 0..100. */
export interface ScoreContext {
  /** Highest count of the pod's PodSet replicas on any feasible node. */
  readonly maxOwnerCount: number;
  /** Highest number of PreferNoSchedule taints the pod does not tolerate on any feasible node. */
  readonly maxUntoleratedPreferNoSchedule: number;
}

/** Rates a node that passed every filter: 0 (worst) to 100 (best). */
export interface ScorePlugin {
  readonly name: string;
  score(pod: PreparedPod, node: NodeInfo, ctx: ScoreContext): number;
}

export type Strategy = "least-loaded" | "round-robin";

export interface ScheduleOptions {
  strategy: Strategy;
  /** Round-robin position in the name-ordered node list; ignored by least-loaded. Default 0. */
  rrCursor?: number;
}

/**
 * `scores` holds the weighted score of every feasible node (empty for round-robin, which does not
 * score); `perNode` the first failed filter's reason for every node. `rrCursor` is the cursor for
 * the next call (unchanged by least-loaded and by failures).
 */
export type ScheduleResult =
  | { ok: true; node: string; scores: Record<string, number>; rrCursor: number }
  | { ok: false; reason: string; perNode: Record<string, string>; rrCursor: number };

export interface Binding {
  pod: string;
  node: string;
}

export interface SchedulingFailure {
  pod: string;
  reason: string;
  perNode: Record<string, string>;
}
