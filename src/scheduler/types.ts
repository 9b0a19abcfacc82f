// The scheduler's vocabulary: the read-only snapshot it reads (NodeInfo, PodToSchedule), the plugin
// shapes (FilterPlugin, ScorePlugin) and what it returns (ScheduleResult, Binding). The scheduler
// never writes: the caller commits the bindings to the store.

import type { Labels, PodSpec, Taint } from "../manifest/types.ts";

export interface ResourceQuantities {
  cpuMilli: number;
  memoryBytes: number;
}

/** A host port a pod binds: hostIP "0.0.0.0" stands for every address. */
export interface HostPort {
  readonly hostIP: string;
  readonly protocol: "TCP" | "UDP";
  readonly port: number;
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
  /** Host ports the pods bound here use (absent: none). */
  readonly usedPorts?: readonly HostPort[];
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
  /** The host ports the pod's containers ask for. */
  readonly hostPorts: readonly HostPort[];
}

/** Rejects a node with a human reason, or accepts it with undefined. */
export interface FilterPlugin {
  readonly name: string;
  /**
   * True when the answer depends on what is bound to the node (requested, podCount, podSetCounts).
   * False promises the plugin reads only the node's other fields and the pod's spec.nodeName,
   * spec.nodeSelector and spec.tolerations: scheduleMany() then runs it once per node for all the
   * pods of a batch that share those constraints, instead of once per pod.
   */
  readonly readsUsage: boolean;
  /**
   * True when this plugin's rejections clear without anyone acting (a node that is not ready yet,
   * or still settling after a restart): a pod refused only by such plugins on some node is
   * unschedulable for now, not stuck (FitError's transient flag, read by `mk apply --wait`).
   */
  readonly transient?: boolean;
  filter(pod: PreparedPod, node: NodeInfo): string | undefined;
}

/**
 * Rates one node that passed every filter. Without `normalize`, `score` returns 0 (worst) to 100
 * (best). With it, `score` returns a raw value and `normalize` maps the raw values of all feasible
 * nodes, in place, to 0..100 (Kubernetes' NormalizeScore): for ratings relative to the other nodes.
 */
export interface ScorePlugin {
  readonly name: string;
  score(pod: PreparedPod, node: NodeInfo): number;
  normalize?(scores: Float64Array): void;
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
  | { ok: false; reason: string; perNode: Record<string, string>; transient: boolean; rrCursor: number };

export interface Binding {
  pod: string;
  node: string;
}

/** Why a pod fits no node: Kubernetes' FitError, with a structured transient flag. */
export interface SchedulingFailure {
  pod: string;
  reason: string;
  perNode: Record<string, string>;
  /**
   * Some node refuses the pod only by transient filters (FilterPlugin.transient): it will fit
   * there once that node is ready and settled, without anyone acting.
   */
  transient: boolean;
}
