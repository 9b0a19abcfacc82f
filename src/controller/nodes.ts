// Node lifecycle: a Ready node that stops sending heartbeats turns Unknown after the grace period;
// once it has been Unknown for the eviction delay, its pods are placed elsewhere. PodSet pods are
// marked for deletion (the PodSet replaces them at once; the old rows stay until the node returns
// and its agent removes their containers: fencing). Standalone pods are unbound and scheduled
// again. A pod annotated mk/at-most-one: "true" waits for its node instead.
import type { Labels } from "../manifest/types.ts";
import type { Mutation } from "../store/mutations.ts";
import type { NodeRow, PodRow } from "../store/rows.ts";

export const AT_MOST_ONE = "mk/at-most-one";

export interface NodeLifecycleInput {
  nodes: readonly NodeRow[];
  pods: readonly PodRow[];
  now: number;
  graceMs: number;
  evictionDelayMs: number;
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
  for (const n of input.nodes) {
    const last = n.lastHeartbeatAt ?? n.stateSince;
    if (n.state === "Ready" && now - last > input.graceMs) {
      muts.push({
        op: "setNodeStatus",
        name: n.name,
        state: "Unknown",
        message: `no heartbeat for ${Math.round((now - last) / 100) / 10}s${n.message ? `: ${n.message}` : ""}`,
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
    if (n.state !== "Unknown" || now - n.stateSince < input.evictionDelayMs) continue;
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
        muts.push({ op: "unbindPod", name: p.name, reason: `node ${n.name} is unreachable; rescheduling` });
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
