// schedule(): filter, score, pick, over a read-only snapshot of the nodes. Pure: the caller commits
// the binding. scheduleMany(): a batch placed one pod after another on a private working copy of the
// snapshot, so each pod sees the earlier placements (replicas of a PodSet spread).
// evictionsForNoExecute(): which pods a node's NoExecute taints evict, now or later.
//
//   pod -> preparePod: requests and selector computed once per pod
//       -> filters that ignore usage: node health, nodeName, nodeSelector, taints (in scheduleMany
//          once per distinct constraints) -> capacity filter -> feasible nodes
//     least-loaded: each score plugin rates every feasible node (then normalizes the ratings); the
//                   weighted average is highest wins; ties go to fewer pods, then the first name
//     round-robin:  the first feasible node at or after the cursor in node-name order; no scoring
//   no feasible node: "0/3 nodes are available: 2 Insufficient cpu, 1 node is cordoned"
//
// Round-robin ignores Spread on purpose: consecutive placements land on consecutive nodes, which
// spreads replicas already, and a Spread tie-break would make the cursor skip nodes unpredictably.

import type { PodSpec, Taint, Toleration } from "../manifest/types.ts";
import { DEFAULT_FILTERS, findToleration, formatTaint } from "./filters.ts";
import { podHostPorts } from "./host-ports.ts";
import { DEFAULT_SCORES, ownerCount } from "./scores.ts";
import type {
  Binding,
  FilterPlugin,
  HostPort,
  NodeInfo,
  PodToSchedule,
  PreparedPod,
  ResourceQuantities,
  ScheduleOptions,
  ScheduleResult,
  SchedulingFailure,
  Strategy,
} from "./types.ts";

/** Sum of the containers' requests; a missing amount counts as 0. */
export function podRequests(spec: PodSpec): ResourceQuantities {
  let cpuMilli = 0;
  let memoryBytes = 0;
  for (const container of spec.containers) {
    cpuMilli += container.resources.requests.cpuMilli ?? 0;
    memoryBytes += container.resources.requests.memoryBytes ?? 0;
  }
  return { cpuMilli, memoryBytes };
}

export function preparePod(pod: PodToSchedule): PreparedPod {
  return {
    ...pod,
    requests: podRequests(pod.spec),
    nodeSelector: Object.entries(pod.spec.nodeSelector),
    hostPorts: podHostPorts(pod.spec),
  };
}

export function schedule(
  pod: PodToSchedule,
  nodes: readonly NodeInfo[],
  opts: ScheduleOptions,
): ScheduleResult {
  const ordered = sortedByName(nodes);
  const prepared = preparePod(pod);
  const candidates = passStaticFilters(prepared, ordered);
  const scores: Record<string, number> = {};
  const scratch = makeScratch<NodeInfo>(ordered.length);
  const pick = pickNode(prepared, ordered, candidates, opts, scratch, scores);
  if (pick.node === undefined) {
    return { ok: false, ...explainUnschedulable(prepared, ordered), rrCursor: pick.rrCursor };
  }
  return { ok: true, node: pick.node.name, scores, rrCursor: pick.rrCursor };
}

export interface ScheduleManyResult {
  bindings: Binding[];
  failures: SchedulingFailure[];
  rrCursor: number;
}

/**
 * Places the pods in the given order; each binding updates the working copy the next pod sees.
 * Filters that ignore usage (FilterPlugin.readsUsage false) give the same answer for all pods with
 * the same constraints, so they run once per distinct constraints instead of once per pod: for the
 * replicas of a PodSet, only the capacity check and the scoring run per node.
 */
export function scheduleMany(
  pods: readonly PodToSchedule[],
  nodes: readonly NodeInfo[],
  opts: ScheduleOptions,
): ScheduleManyResult {
  const working = sortedByName(nodes).map(copyNode);
  const candidatesByConstraints = new Map<string, readonly number[]>();
  const scratch = makeScratch<WorkingNode>(working.length);
  const bindings: Binding[] = [];
  const failures: SchedulingFailure[] = [];
  let rrCursor = opts.rrCursor ?? 0;
  for (const pod of pods) {
    const prepared = preparePod(pod);
    const key = constraintsKey(prepared);
    let candidates = candidatesByConstraints.get(key);
    if (candidates === undefined) {
      candidates = passStaticFilters(prepared, working);
      candidatesByConstraints.set(key, candidates);
    }
    const pick = pickNode(prepared, working, candidates, { strategy: opts.strategy, rrCursor }, scratch);
    rrCursor = pick.rrCursor;
    const node = pick.node;
    if (node === undefined) {
      failures.push({ pod: pod.name, ...explainUnschedulable(prepared, working) });
      continue;
    }
    node.requested.cpuMilli += prepared.requests.cpuMilli;
    node.requested.memoryBytes += prepared.requests.memoryBytes;
    node.podCount++;
    if (prepared.hostPorts.length > 0) node.usedPorts = [...(node.usedPorts ?? []), ...prepared.hostPorts];
    if (prepared.owner !== undefined) {
      node.podSetCounts[prepared.owner] = ownerCount(node, prepared.owner) + 1;
    }
    bindings.push({ pod: pod.name, node: node.name });
  }
  return { bindings, failures, rrCursor };
}

interface WorkingNode extends NodeInfo {
  requested: ResourceQuantities;
  podCount: number;
  usedPorts?: readonly HostPort[];
  podSetCounts: Record<string, number>;
}

/** The counts get a null prototype: V8 keeps such an object a hash table, fastest for lookups. */
function copyNode(node: NodeInfo): WorkingNode {
  return {
    ...node,
    requested: { ...node.requested },
    podSetCounts: Object.assign(Object.create(null) as Record<string, number>, node.podSetCounts),
  };
}

/** Name order is the round-robin cycle and the last tie-break; the store usually lists nodes so. */
function sortedByName<T extends NodeInfo>(nodes: readonly T[]): readonly T[] {
  for (let i = 1; i < nodes.length; i++) {
    if (nodes[i - 1]!.name > nodes[i]!.name) {
      return [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }
  return nodes;
}

const STATIC_FILTERS = DEFAULT_FILTERS.filter((plugin) => !plugin.readsUsage);
const USAGE_FILTERS = DEFAULT_FILTERS.filter((plugin) => plugin.readsUsage);
const SCORE_PLUGINS = DEFAULT_SCORES.map(({ plugin }) => plugin);
const SCORE_WEIGHTS = DEFAULT_SCORES.map(({ weight }) => weight);
const WEIGHT_SUM = SCORE_WEIGHTS.reduce((sum, weight) => sum + weight, 0);

/** Everything the static filters read from the pod: equal keys, equal answers. */
function constraintsKey(pod: PreparedPod): string {
  return JSON.stringify([pod.spec.nodeName ?? "", pod.nodeSelector, pod.spec.tolerations]);
}

function passes(filters: readonly FilterPlugin[], pod: PreparedPod, node: NodeInfo): boolean {
  for (const plugin of filters) {
    if (plugin.filter(pod, node) !== undefined) return false;
  }
  return true;
}

/** Indexes, ascending, of the nodes that pass every filter that ignores usage. */
function passStaticFilters(pod: PreparedPod, ordered: readonly NodeInfo[]): number[] {
  const indexes: number[] = [];
  for (let i = 0; i < ordered.length; i++) {
    if (passes(STATIC_FILTERS, pod, ordered[i]!)) indexes.push(i);
  }
  return indexes;
}

/** Buffers reused from pod to pod, so scoring a node allocates nothing. */
interface Scratch<T> {
  feasible: T[];
  /** Plugin-major: the raw score of plugin k for feasible node i is at k * feasible.length + i. */
  scores: Float64Array;
}

function makeScratch<T>(nodeCount: number): Scratch<T> {
  return { feasible: [], scores: new Float64Array(SCORE_PLUGINS.length * nodeCount) };
}

/**
 * Runs the usage filters on the static candidates, then picks. `scores`, when given, receives the
 * final score of every feasible node (least-loaded only).
 */
function pickNode<T extends NodeInfo>(
  pod: PreparedPod,
  ordered: readonly T[],
  candidates: readonly number[],
  opts: { strategy: Strategy; rrCursor?: number },
  scratch: Scratch<T>,
  scores?: Record<string, number>,
): { node: T | undefined; rrCursor: number } {
  const rrCursor = opts.rrCursor ?? 0;
  if (opts.strategy === "round-robin") {
    const n = ordered.length;
    const start = n === 0 ? 0 : ((Math.trunc(rrCursor) % n) + n) % n;
    let first = 0;
    while (first < candidates.length && candidates[first]! < start) first++;
    for (let step = 0; step < candidates.length; step++) {
      const index = candidates[(first + step) % candidates.length]!;
      const node = ordered[index]!;
      if (passes(USAGE_FILTERS, pod, node)) return { node, rrCursor: (index + 1) % n };
    }
    return { node: undefined, rrCursor };
  }

  const feasible = scratch.feasible;
  feasible.length = 0;
  for (const index of candidates) {
    const node = ordered[index]!;
    if (passes(USAGE_FILTERS, pod, node)) feasible.push(node);
  }
  const count = feasible.length;
  const raw = scratch.scores;
  for (let k = 0; k < SCORE_PLUGINS.length; k++) {
    const plugin = SCORE_PLUGINS[k]!;
    const offset = k * count;
    for (let i = 0; i < count; i++) raw[offset + i] = plugin.score(pod, feasible[i]!);
    plugin.normalize?.(raw.subarray(offset, offset + count));
  }

  let best: T | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const node = feasible[i]!;
    let total = 0;
    for (let k = 0; k < SCORE_PLUGINS.length; k++) total += SCORE_WEIGHTS[k]! * raw[k * count + i]!;
    total /= WEIGHT_SUM;
    if (scores !== undefined) scores[node.name] = total;
    // Nodes come in name order, so a tie on score and pod count keeps the earlier name.
    if (total > bestScore || (total === bestScore && node.podCount < best!.podCount)) {
      best = node;
      bestScore = total;
    }
  }
  return { node: best, rrCursor };
}

/**
 * Re-runs the filters to name every node's first rejection: only on failure, so the common path
 * never builds the per-node table. `transient`: some node is refused by transient filters only.
 */
function explainUnschedulable(
  pod: PreparedPod,
  nodes: readonly NodeInfo[],
): { reason: string; perNode: Record<string, string>; transient: boolean } {
  const perNode: Record<string, string> = {};
  const counts = new Map<string, number>();
  let transient = false;
  for (const node of nodes) {
    let first: FilterPlugin | undefined;
    let lasting = false;
    for (const plugin of DEFAULT_FILTERS) {
      const reason = plugin.filter(pod, node);
      if (reason === undefined) continue;
      if (!first) {
        first = plugin;
        perNode[node.name] = reason;
        counts.set(reason, (counts.get(reason) ?? 0) + 1);
      }
      // The message names the first rejection only; the flag needs every filter's answer.
      if (!plugin.transient) {
        lasting = true;
        break;
      }
    }
    if (first && !lasting) transient = true;
  }
  return { reason: formatUnavailable(nodes.length, counts), perNode, transient };
}

/** Kubernetes FitError style: identical reasons grouped, most frequent first, then by text. */
function formatUnavailable(total: number, counts: ReadonlyMap<string, number>): string {
  const head = `0/${total} nodes are available`;
  if (total === 0) return `${head}: no nodes registered`;
  const groups = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return `${head}: ${groups.map(([reason, count]) => `${count} ${reason}`).join(", ")}`;
}

export interface PodTolerations {
  name: string;
  tolerations: readonly Toleration[];
}

export interface NoExecuteEvictions {
  /** Evict now, with the reason for the event. */
  now: { pod: string; reason: string }[];
  /** Evict at `at` (ms, same clock as `now`) unless the taint is removed first. */
  later: { pod: string; at: number; reason: string }[];
  /** Tolerates every NoExecute taint indefinitely (or the node has none). */
  never: string[];
}

/**
 * The Kubernetes taint manager's decision for the pods bound to a node. A pod that does not
 * tolerate some NoExecute taint goes now; otherwise the smallest tolerationSeconds among the
 * tolerations matching the node's NoExecute taints (the first matching one per taint, as
 * Kubernetes picks) sets the deadline `taintedSince + seconds`; without tolerationSeconds it stays.
 * Times are milliseconds; `taintedSince` is when the node got its NoExecute taint.
 */
export function evictionsForNoExecute(
  pods: readonly PodTolerations[],
  taints: readonly Taint[],
  now: number,
  taintedSince: number,
): NoExecuteEvictions {
  const result: NoExecuteEvictions = { now: [], later: [], never: [] };
  const noExecute = taints.filter((taint) => taint.effect === "NoExecute");
  for (const pod of pods) {
    let untolerated: Taint | undefined;
    let minSeconds = Number.POSITIVE_INFINITY;
    let expiring: Taint | undefined;
    for (const taint of noExecute) {
      const toleration = findToleration(pod.tolerations, taint);
      if (toleration === undefined) {
        untolerated = taint;
        break;
      }
      const seconds = toleration.tolerationSeconds;
      if (seconds !== undefined && seconds < minSeconds) {
        minSeconds = seconds;
        expiring = taint;
      }
    }
    if (untolerated !== undefined) {
      result.now.push({ pod: pod.name, reason: `untolerated taint ${formatTaint(untolerated)}` });
    } else if (expiring === undefined) {
      result.never.push(pod.name);
    } else {
      // Kubernetes treats tolerationSeconds <= 0 as "evict immediately".
      const at = taintedSince + Math.max(0, minSeconds) * 1000;
      const tolerated = `toleration of taint ${formatTaint(expiring)}`;
      if (at <= now) result.now.push({ pod: pod.name, reason: `${tolerated} expired after ${minSeconds}s` });
      else result.later.push({ pod: pod.name, at, reason: `${tolerated} expires after ${minSeconds}s` });
    }
  }
  return result;
}
