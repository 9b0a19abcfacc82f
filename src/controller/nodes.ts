// Node lifecycle: a Ready node that stops sending heartbeats turns Unknown after the grace period;
// once it has been Unknown for the eviction delay, its pods are placed elsewhere. PodSet pods are
// marked for deletion (the PodSet replaces them at once; the old rows stay until the node returns
// and its agent removes their containers: fencing). Standalone pods are unbound and scheduled
// again. A pod annotated mk/at-most-one: "true" waits for its node instead.
import { randomUUID } from "node:crypto";
import type { Labels, PodSpec, Taint } from "../manifest/types.ts";
import { evictionsForNoExecute } from "../scheduler/schedule.ts";
import type { Mutation } from "../store/mutations.ts";
import type { NodeRow, PodRow } from "../store/rows.ts";
import { type Disruption, disruptionOf, type NodeAges, wallClockAges } from "./node-health.ts";

export const AT_MOST_ONE = "mk/at-most-one";

export interface NodeLifecycleInput {
  nodes: readonly NodeRow[];
  pods: readonly PodRow[];
  now: number;
  graceMs: number;
  evictionDelayMs: number;
  /** When each node's taints last changed (its Node object's update time): NoExecute clocks start there. */
  taintedSince?: ReadonlyMap<string, number>;
  /**
   * How long each node has been silent and in its state, as the leading controller observed them
   * (node-health.ts); absent, the rows' wall-clock times (a one-shot reconcile).
   */
  ages?: NodeAges;
  /** The cluster's disruption state; anything but Normal stops evictions (default: from the rows). */
  disruption?: Disruption;
}

export function planNodeLifecycle(input: NodeLifecycleInput): Mutation[] {
  const { now } = input;
  const muts: Mutation[] = [];
  const event = (
    node: string,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    kind = "Node",
    name = node,
  ): Mutation => ({
    op: "recordEvent",
    type,
    reason,
    objectKind: kind,
    objectName: name,
    node,
    message,
    at: now,
  });
  const ages = input.ages ?? wallClockAges(now);
  const evict = (input.disruption ?? disruptionOf(input.nodes)) === "Normal";
  for (const n of input.nodes) {
    const silent = ages.silentMs(n);
    if (n.state === "Ready" && silent > input.graceMs) {
      muts.push({
        op: "setNodeStatus",
        name: n.name,
        state: "Unknown",
        message: `no heartbeat for ${Math.round(silent / 100) / 10}s${n.message ? `: ${n.message}` : ""}`,
        at: now,
        heartbeat: false,
      });
      muts.push(
        event(
          n.name,
          "Warning",
          "NodeNotReady",
          `Node ${n.name} stopped posting heartbeats; status is Unknown`,
        ),
      );
      continue;
    }
    muts.push(...noExecuteEvictions(n, input));
    if (n.state !== "Unknown" || ages.inStateMs(n) < input.evictionDelayMs) continue;
    for (const p of input.pods) {
      if (p.node !== n.name || p.deletionAt !== null || p.phase === "Succeeded" || p.phase === "Failed")
        continue;
      const annotations = JSON.parse(p.annotations) as Labels;
      if (annotations[AT_MOST_ONE] === "true") {
        if (p.reason !== "NodeLost") {
          muts.push({
            op: "setPodStatus",
            name: p.name,
            phase: "Unknown",
            reason: "NodeLost",
            message: `node ${n.name} is unreachable; ${AT_MOST_ONE} keeps this pod from running twice: waiting for the node or for mk node rm`,
            ready: false,
            restartCount: p.restartCount,
            ip: p.ip,
            startedAt: p.startedAt,
          });
          muts.push(
            event(
              n.name,
              "Warning",
              "NodeLost",
              `Node ${n.name} is unreachable; not replacing ${p.name} (${AT_MOST_ONE})`,
              "Pod",
              p.name,
            ),
          );
        }
        continue;
      }
      // Disruption: the pod's status says its node is lost, but it is not evicted.
      if (!evict) continue;
      if (p.ownerKind === "PodSet") {
        muts.push({
          op: "requestPodDeletion",
          name: p.name,
          at: now,
          reason: `node ${n.name} is unreachable`,
        });
        muts.push({
          op: "setPodStatus",
          name: p.name,
          phase: "Unknown",
          reason: "NodeLost",
          message: `node ${n.name} is unreachable`,
          ready: false,
          restartCount: p.restartCount,
          ip: p.ip,
          startedAt: p.startedAt,
        });
      } else {
        muts.push({
          op: "unbindPod",
          name: p.name,
          reason: `node ${n.name} is unreachable; rescheduling`,
          newUid: randomUUID(),
        });
      }
      muts.push(
        event(
          n.name,
          "Warning",
          "Evicted",
          `Pod ${p.name} evicted: node ${n.name} is Unknown`,
          "Pod",
          p.name,
        ),
      );
    }
  }
  return muts;
}

/** Pods on a node with NoExecute taints they do not tolerate (or no longer) are evicted. */
function noExecuteEvictions(n: NodeRow, input: NodeLifecycleInput): Mutation[] {
  const taints = JSON.parse(n.taints) as Taint[];
  if (!taints.some((t) => t.effect === "NoExecute")) return [];
  const bound = input.pods.filter(
    (p) => p.node === n.name && p.deletionAt === null && p.phase !== "Succeeded" && p.phase !== "Failed",
  );
  const since = input.taintedSince?.get(n.name) ?? n.createdAt;
  const decision = evictionsForNoExecute(
    bound.map((p) => ({ name: p.name, tolerations: (JSON.parse(p.spec) as PodSpec).tolerations })),
    taints,
    input.now,
    since,
  );
  const muts: Mutation[] = [];
  for (const e of decision.now) {
    const p = bound.find((x) => x.name === e.pod);
    if (!p) continue;
    if (p.ownerKind === "PodSet")
      muts.push({
        op: "requestPodDeletion",
        name: p.name,
        at: input.now,
        reason: `evicted from node ${n.name}: ${e.reason}`,
      });
    else
      muts.push({
        op: "unbindPod",
        name: p.name,
        reason: `evicted from node ${n.name}: ${e.reason}`,
        newUid: randomUUID(),
      });
    muts.push({
      op: "recordEvent",
      type: "Warning",
      reason: "TaintEviction",
      objectKind: "Pod",
      objectName: p.name,
      node: n.name,
      message: `Evicted from node ${n.name}: ${e.reason}`,
      at: input.now,
    });
  }
  return muts;
}

/**
 * When planNodeLifecycle next has something to decide (a Ready node's grace running out, an
 * Unknown node's eviction delay passing): the controller wakes then, not at the next resync.
 */
export function nextLifecycleDeadline(
  nodes: readonly NodeRow[],
  opts: { graceMs: number; evictionDelayMs: number },
  now: number,
  ages: NodeAges = wallClockAges(now),
): number | null {
  let next: number | null = null;
  const consider = (t: number) => {
    const at = Math.max(t, now);
    if (next === null || at < next) next = at;
  };
  for (const n of nodes) {
    if (n.state === "Ready") consider(now - ages.silentMs(n) + opts.graceMs + 1);
    else if (n.state === "Unknown" && ages.inStateMs(n) < opts.evictionDelayMs)
      consider(now - ages.inStateMs(n) + opts.evictionDelayMs);
  }
  return next;
}
