// How the leading controller judges node health, the way Kubernetes' node lifecycle controller does:
// not by the wall-clock time written in a node's heartbeat (written by whichever process, maybe a
// previous leader, maybe late because the event loop was busy), but by when THIS controller saw
// the heartbeat change, on its own monotonic clock (Kubernetes' probeTimestamp).
//  - A controller that starts leading has seen nothing yet: every node gets a full grace period
//    from the moment it is first observed, so a new leader never evicts on a predecessor's stale
//    data; an Unknown node's eviction delay also runs from this controller's first sight of it.
//  - A stall of the controller's own process (the loop did not tick for stallMs: a blocked event
//    loop, a paused VM) gives every node a fresh grace period too: heartbeats could not have been
//    seen during it, so their absence says nothing about the nodes.
//  - Disruption (Kubernetes' zone states, one zone here): when every node looks unhealthy
//    (FullDisruption) or most of them do (PartialDisruption: at least unhealthyThreshold of them
//    and more than two), the fault is more likely the controller's own network: nodes still turn
//    Unknown, but no pod is evicted until enough nodes are healthy again (Kubernetes' secondary
//    eviction rate for a cluster this small is 0).
import type { NodeRow } from "../store/rows.ts";

export type Disruption = "Normal" | "PartialDisruption" | "FullDisruption";

/** Kubernetes' --unhealthy-zone-threshold default. */
export const UNHEALTHY_ZONE_THRESHOLD = 0.55;

export interface NodeHealthOptions {
  /** Monotonic milliseconds (performance.now in the server; a fake clock in tests). */
  now: () => number;
  /** The loop that calls tick() was silent this long: a stall, every node gets a fresh grace. */
  stallMs: number;
  unhealthyThreshold?: number;
}

interface Seen {
  /** The heartbeat value last seen in the node's row. */
  beat: number | null;
  state: string;
  /** When this controller saw the heartbeat change (or first saw the node, or after a stall). */
  probeAt: number;
  /** When this controller saw the node's state change (or first saw it, or after a stall). */
  transitionAt: number;
}

/** Ages of the lifecycle inputs, as this controller observed them. */
export interface NodeAges {
  /** How long the node's heartbeat has not changed, as observed. */
  silentMs(n: NodeRow): number;
  /** How long the node has been in its current state, as observed. */
  inStateMs(n: NodeRow): number;
}

export class NodeHealth implements NodeAges {
  private readonly seen = new Map<string, Seen>();
  private lastTick: number | undefined;
  /** How many stalls were detected (each granted a fresh grace period). */
  stalls = 0;

  constructor(private readonly o: NodeHealthOptions) {}

  /** Records what the nodes' rows say now: a changed heartbeat or state is observed at this moment. */
  observe(nodes: readonly NodeRow[]): void {
    const now = this.o.now();
    const names = new Set<string>();
    for (const n of nodes) {
      names.add(n.name);
      const s = this.seen.get(n.name);
      if (!s) {
        this.seen.set(n.name, { beat: n.lastHeartbeatAt, state: n.state, probeAt: now, transitionAt: now });
        continue;
      }
      if (n.lastHeartbeatAt !== s.beat) {
        s.beat = n.lastHeartbeatAt;
        s.probeAt = now;
      }
      if (n.state !== s.state) {
        s.state = n.state;
        s.transitionAt = now;
      }
    }
    for (const name of this.seen.keys()) if (!names.has(name)) this.seen.delete(name);
  }

  /**
   * Called by a loop every few hundred ms: returns the length of the stall when the previous tick
   * is more than stallMs ago (every node then gets a fresh grace period), else 0.
   */
  tick(): number {
    const now = this.o.now();
    const gap = this.lastTick === undefined ? 0 : now - this.lastTick;
    this.lastTick = now;
    if (gap <= this.o.stallMs) return 0;
    this.stalls++;
    this.refresh();
    return gap;
  }

  /** Every node's grace period (and eviction delay) starts again now. */
  refresh(): void {
    const now = this.o.now();
    for (const s of this.seen.values()) {
      s.probeAt = now;
      s.transitionAt = now;
    }
  }

  silentMs(n: NodeRow): number {
    const s = this.seen.get(n.name);
    return s ? this.o.now() - s.probeAt : 0;
  }

  inStateMs(n: NodeRow): number {
    const s = this.seen.get(n.name);
    return s && s.state === n.state ? this.o.now() - s.transitionAt : 0;
  }

  /** The cluster's disruption state (Kubernetes' ComputeZoneState for one zone). */
  disruption(nodes: readonly NodeRow[]): Disruption {
    return disruptionOf(nodes, this.o.unhealthyThreshold ?? UNHEALTHY_ZONE_THRESHOLD);
  }
}

export function disruptionOf(nodes: readonly NodeRow[], threshold = UNHEALTHY_ZONE_THRESHOLD): Disruption {
  if (nodes.length === 0) return "Normal";
  const unhealthy = nodes.filter((n) => n.state !== "Ready").length;
  if (unhealthy === nodes.length) return "FullDisruption";
  if (unhealthy > 2 && unhealthy / nodes.length >= threshold) return "PartialDisruption";
  return "Normal";
}

/** The ages as the rows' wall-clock times tell them: a one-shot reconcile with no observer running. */
export function wallClockAges(now: number): NodeAges {
  return {
    silentMs: (n) => now - (n.lastHeartbeatAt ?? n.stateSince),
    inStateMs: (n) => now - n.stateSince,
  };
}

/**
 * The disruption state now, and the Warning/Normal event to record when it changed since the last
 * call (Kubernetes logs "Entering master disruption mode" / "exiting"): evictions stop and resume.
 */
export class DisruptionWatch {
  private last: Disruption = "Normal";

  check(
    nodes: readonly NodeRow[],
    now: number,
    threshold = UNHEALTHY_ZONE_THRESHOLD,
  ): {
    state: Disruption;
    events: import("../store/mutations.ts").Mutation[];
  } {
    const state = disruptionOf(nodes, threshold);
    if (state === this.last) return { state, events: [] };
    const before = this.last;
    this.last = state;
    const unhealthy = nodes.filter((n) => n.state !== "Ready").length;
    const message =
      state === "Normal"
        ? `Enough nodes are Ready again (${unhealthy} of ${nodes.length} not Ready): evictions resume`
        : `${unhealthy} of ${nodes.length} nodes are not Ready (${state}): no pod is evicted until enough are Ready again, since the fault is more likely the controller's own network`;
    return {
      state,
      events: [
        {
          op: "recordEvent",
          type: state === "Normal" ? "Normal" : "Warning",
          reason: state === "Normal" ? "EvictionsResumed" : "EvictionsStopped",
          objectKind: "Cluster",
          objectName: "nodes",
          node: null,
          message: before === "Normal" || state === "Normal" ? message : `${message} (was ${before})`,
          at: now,
        },
      ],
    };
  }
}
