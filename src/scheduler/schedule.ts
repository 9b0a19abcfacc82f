// schedule(): filter, score, pick, over a read-only snapshot of the nodes. Pure: the caller commits
// the binding. scheduleMany() places a batch one pod after another on a private working copy of
// the snapshot, so later pods see earlier placements (replicas of a PodSet spread).
// evictionsForNoExecute(): which pods a NoExecute taint evicts, now or later.
//
//   pod ──preparePod──> filters (first rejection per node) ──> feasible nodes
//     least-loaded: weighted average of scores, highest wins; ties: fewer pods, then node name
//     round-robin:  first feasible node at or after the cursor, in node-name order; no scoring
//   no feasible node: "0/3 nodes are available: 2 Insufficient cpu, 1 node is cordoned"
//
// Round-robin deliberately ignores Spread: consecutive placements already land on consecutive
// nodes, and a Spread tie-break would make the cursor skip nodes and the order hard to predict.

import type { PodSpec, Taint, Toleration } from "../manifest/types.ts";
import { DEFAULT_FILTERS, findToleration, formatTaint } from "./filters.ts";
import { DEFAULT_SCORES, makeScoreContext, ownerCount } from "./scores.ts";
import type {
  Binding,
  NodeInfo,
  PodToSchedule,
  PreparedPod,
  ResourceQuantities,
  ScheduleOptions,
  ScheduleResult,
  SchedulingFailure,
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
  return { ...pod, requests: podRequests(pod.spec), nodeSelector: Object.entries(pod.spec.nodeSelector) };
}

export function schedule(
  pod: PodToSchedule,
  nodes: readonly NodeInfo[],
  opts: ScheduleOptions,
): ScheduleResult {
  const ordered = sortedByName(nodes);
  const prepared = preparePod(pod);
  const scores: Record<string, number> = {};
  const pick = pickNode(prepared, ordered, opts.strategy, opts.rrCursor ?? 0, scores);
  if (pick.index < 0) return { ok: false, ...explainUnschedulable(prepared, ordered), rrCursor: pick.rrCursor };
  return { ok: true, node: ordered[pick.index]!.name, scores, rrCursor: pick.rrCursor };
}

export interface ScheduleManyResult {
  bindings: Binding[];
  failures: SchedulingFailure[];
  rrCursor: number;
}

/** Places pods in the given order; each placement updates the working copy the next pod sees. */
export function scheduleMany(
  pods: readonly PodToSchedule[],
  nodes: readonly NodeInfo[],
  opts: ScheduleOptions,
): ScheduleManyResult {
  const working = sortedByName(nodes).map(copyNode);
  const bindings: Binding[] = [];
  const failures: SchedulingFailure[] = [];
  let rrCursor = opts.rrCursor ?? 0;
  for (const pod of pods) {
    const prepared = preparePod(pod);
    const pick = pickNode(prepared, working, opts.strategy, rrCursor, undefined);
    rrCursor = pick.rrCursor;
    const node = working[pick.index];
    if (node === undefined) {
      failures.push({ pod: pod.name, ...explainUnschedulable(prepared, working) });
      continue;
    }
    node.requested.cpuMilli += prepared.requests.cpuMilli;
    node.requested.memoryBytes += prepared.requests.memoryBytes;
    node.podCount++;
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
  podSetCounts: Record<string, number>;
}

function copyNode(node: NodeInfo): WorkingNode {
  return {
    ...node,
    requested: { ...node.requested },
    podSetCounts: Object.assign(Object.create(null) as Record<string, number>, node.podSetCounts),
  };
}

/** Name order is the round-robin cycle and the final tie-break; the store usually lists it so. */
function sortedByName<T extends NodeInfo>(nodes: readonly T[]): readonly T[] {
  for (let i = 1; i < nodes.length; i++) {
    if (nodes[i - 1]!.name > nodes[i]!.name) {
      return [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }
  return nodes;
}

function passesFilters(pod: PreparedPod, node: NodeInfo): boolean {
  for (const plugin of DEFAULT_FILTERS) {
    if (plugin.filter(pod, node) !== undefined) return false;
  }
  return true;
}

const WEIGHT_SUM = DEFAULT_SCORES.reduce((sum, { weight }) => sum + weight, 0);

/** index -1: no node fits. `scores`, when given, receives every feasible node's score. */
function pickNode(
  pod: PreparedPod,
  ordered: readonly NodeInfo[],
  strategy: ScheduleOptions["strategy"],
  rrCursor: number,
  scores: Record<string, number> | undefined,
): { index: number; rrCursor: number } {
  const n = ordered.length;
  if (strategy === "round-robin") {
    const start = n === 0 ? 0 : ((Math.trunc(rrCursor) % n) + n) % n;
    for (let step = 0; step < n; step++) {
      const index = (start + step) % n;
      if (passesFilters(pod, ordered[index]!)) return { index, rrCursor: (index + 1) % n };
    }
    return { index: -1, rrCursor };
  }

  const feasible: number[] = [];
  for (let i = 0; i < n; i++) {
    if (passesFilters(pod, ordered[i]!)) feasible.push(i);
  }
  if (feasible.length === 0) return { index: -1, rrCursor };
  const ctx = makeScoreContext(
    pod,
    feasible.map((i) => ordered[i]!),
  );

  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const i of feasible) {
    const node = ordered[i]!;
    let total = 0;
    for (const { plugin, weight } of DEFAULT_SCORES) total += weight * plugin.score(pod, node, ctx);
    total /= WEIGHT_SUM;
    if (scores !== undefined) scores[node.name] = total;
    // Nodes come in name order, so an exact tie keeps the earlier name.
    if (total > bestScore || (total === bestScore && node.podCount < ordered[best]!.podCount)) {
      best = i;
      bestScore = total;
    }
  }
  return { index: best, rrCursor };
}

/**
 * Re-runs the filters to name every node's first rejection: only on failure, so the common path
 * never builds the per-node table.
 */
function explainUnschedulable(
  pod: PreparedPod,
  nodes: readonly NodeInfo[],
): { reason: string; perNode: Record<string, string> } {
  const perNode: Record<string, string> = {};
  const counts = new Map<string, number>();
  for (const node of nodes) {
    for (const plugin of DEFAULT_FILTERS) {
      const reason = plugin.filter(pod, node);
      if (reason === undefined) continue;
      perNode[node.name] = reason;
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      break;
    }
  }
  return { reason: formatUnavailable(nodes.length, counts), perNode };
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
  later: { pod: string; at: number }[];
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
      if (at <= now) {
        const reason = `toleration of taint ${formatTaint(expiring)} expired after ${minSeconds}s`;
        result.now.push({ pod: pod.name, reason });
      } else {
        result.later.push({ pod: pod.name, at });
      }
    }
  }
  return result;
}
