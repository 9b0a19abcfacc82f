// Every Prometheus metric mk exports, defined in one place. Gauges that mirror the state are
// computed at scrape time from the store; counters and histograms are fed by the engine.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ProbeKind } from "../probes/worker.ts";
import type { ActionResult } from "../reconcile/execute.ts";
import type { Store } from "../store/store.ts";
import { autoscalerGauges } from "./autoscaler-gauges.ts";

export interface PodUsage {
  pod: string;
  node: string;
  cpuSeconds: number;
  memoryBytes: number;
  /** CPU rate over Docker's last ~1 s sampling interval, in millicores (mk top). */
  cpuMilli?: number;
}

/** mk_pod_restarts_total's reasons: the container exited and was started again, or was gone and made anew. */
export const RESTART_REASONS = ["exited", "container-gone"] as const;
export const PROBE_KINDS = ["liveness", "readiness", "startup"] as const satisfies readonly ProbeKind[];
export const ACTION_RESULTS = ["success", "failure"] as const;
// A Record keyed by the union: a new action type that is not listed here fails to compile.
const ACTION_TYPE_SET: Record<ActionResult["action"]["type"], true> = {
  create: true,
  start: true,
  stop: true,
  replace: true,
  remove: true,
  "remove-orphan": true,
  finalize: true,
};
export const ACTION_TYPES = Object.keys(ACTION_TYPE_SET) as ActionResult["action"]["type"][];

/**
 * Labelled counters start at 0 for every known label value (Prometheus' advice), so a quiet
 * cluster exports them and `rate()` and dashboards work before the first increment.
 */
function zeroInit<L extends string>(c: Counter<L>, combos: readonly Partial<Record<L, string>>[]): void {
  for (const labels of combos) c.inc(labels, 0);
}

export class Metrics {
  readonly registry = new Registry();
  readonly podsCreated: Counter<string>;
  readonly podRestarts: Counter<"reason">;
  readonly probeFailures: Counter<"probe">;
  readonly reconcileActions: Counter<"action" | "result">;
  readonly schedulingLatency: Histogram<string>;
  readonly podStartupLatency: Histogram<string>;
  readonly reconcileDuration: Histogram<string>;
  readonly autoscalerRescales: Counter<"autoscaler" | "direction">;
  private usage: PodUsage[] = [];
  private sshChannels: () => { node: string; channels: number }[] = () => [];

  constructor(store: Store) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.podsCreated = new Counter({
      name: "mk_pods_created_total",
      help: "Pods created by mk (standalone and PodSet replicas)",
      registers,
    });
    this.podRestarts = new Counter({
      name: "mk_pod_restarts_total",
      help: "Container restarts performed by the node agents",
      labelNames: ["reason"],
      registers,
    });
    this.probeFailures = new Counter({
      name: "mk_probe_failures_total",
      help: "Failed probe attempts",
      labelNames: ["probe"],
      registers,
    });
    this.reconcileActions = new Counter({
      name: "mk_reconcile_actions_total",
      help: "Reconciler actions executed",
      labelNames: ["action", "result"],
      registers,
    });
    zeroInit(
      this.podRestarts,
      RESTART_REASONS.map((reason) => ({ reason })),
    );
    zeroInit(
      this.probeFailures,
      PROBE_KINDS.map((probe) => ({ probe })),
    );
    zeroInit(
      this.reconcileActions,
      ACTION_TYPES.flatMap((action) => ACTION_RESULTS.map((result) => ({ action, result }))),
    );
    this.schedulingLatency = new Histogram({
      name: "mk_scheduling_latency_seconds",
      help: "Time from a pod being created in the state to its binding to a node",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.podStartupLatency = new Histogram({
      name: "mk_pod_startup_latency_seconds",
      help: "Time from a pod being created (applied) to all its containers running",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: "mk_reconcile_duration_seconds",
      help: "Duration of one reconcile pass (controller or node agent)",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    new Gauge({
      name: "mk_pods",
      help: "Pods by phase and node",
      labelNames: ["phase", "node"],
      registers,
      collect() {
        this.reset();
        for (const r of store.podCounts()) this.set({ phase: r.phase, node: r.node }, r.n);
      },
    });
    new Gauge({
      name: "mk_pods_running",
      help: "Pods in phase Running",
      registers,
      collect() {
        this.set(store.runningPodCount());
      },
    });
    new Gauge({
      name: "mk_nodes",
      help: "Nodes by state",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        for (const s of ["Ready", "NotReady", "Unknown"]) this.set({ state: s }, 0);
        for (const r of store.nodeCounts()) this.set({ state: r.state }, r.n);
      },
    });
    const channels = () => this.sshChannels();
    new Gauge({
      name: "mk_ssh_channels",
      help: "Open SSH channels (Docker API requests, kept-alive sockets, probe connections) per SSH node",
      labelNames: ["node"],
      registers,
      collect() {
        this.reset();
        for (const c of channels()) this.set({ node: c.node }, c.channels);
      },
    });
    const autoscalers = () => autoscalerGauges(store);
    new Gauge({
      name: "mk_autoscaler_desired_replicas",
      help: "Replicas the autoscaler last decided on for its target",
      labelNames: ["autoscaler"],
      registers,
      collect() {
        this.reset();
        for (const a of autoscalers())
          if (a.desired !== undefined) this.set({ autoscaler: a.name }, a.desired);
      },
    });
    new Gauge({
      name: "mk_autoscaler_utilization_ratio",
      help: "Current metric value over its target (the highest of the autoscaler's metrics); 1 is on target",
      labelNames: ["autoscaler"],
      registers,
      collect() {
        this.reset();
        for (const a of autoscalers()) if (a.ratio !== undefined) this.set({ autoscaler: a.name }, a.ratio);
      },
    });
    this.autoscalerRescales = new Counter({
      name: "mk_autoscaler_rescales_total",
      help: "Replica changes made by the autoscaler, by direction",
      labelNames: ["autoscaler", "direction"],
      registers,
      collect() {
        // Known autoscalers are exported at 0 in both directions, so rate() and alerts see them.
        for (const a of autoscalers()) {
          this.inc({ autoscaler: a.name, direction: "up" }, 0);
          this.inc({ autoscaler: a.name, direction: "down" }, 0);
        }
      },
    });
    const usage = () => this.usage;
    // A counter: Docker's cumulative CPU time drops when a container restarts, so only increases
    // are added (rate() then sees no negative jump).
    const cpuSeen = new Map<string, number>();
    new Counter({
      name: "mk_pod_cpu_usage_seconds_total",
      help: "CPU time used by a pod's containers (from Docker stats)",
      labelNames: ["pod", "node"],
      registers,
      collect() {
        const live = new Set<string>();
        for (const u of usage()) {
          const key = `${u.node}/${u.pod}`;
          live.add(key);
          const prev = cpuSeen.get(key);
          const delta = prev === undefined ? u.cpuSeconds : u.cpuSeconds - prev;
          if (delta > 0) this.inc({ pod: u.pod, node: u.node }, delta);
          cpuSeen.set(key, u.cpuSeconds);
        }
        // Deleted pods leave the exposition, so label sets stay bounded.
        for (const key of [...cpuSeen.keys()]) {
          if (live.has(key)) continue;
          cpuSeen.delete(key);
          const [node = "", pod = ""] = key.split("/");
          this.remove({ pod, node });
        }
      },
    });
    new Gauge({
      name: "mk_pod_memory_bytes",
      help: "Memory used by a pod's containers, without page cache (from Docker stats)",
      labelNames: ["pod", "node"],
      registers,
      collect() {
        this.reset();
        for (const u of usage()) this.set({ pod: u.pod, node: u.node }, u.memoryBytes);
      },
    });
  }

  /** Where mk_ssh_channels reads the open SSH channels per node (the engine's connections). */
  setSshChannelSource(source: () => { node: string; channels: number }[]): void {
    this.sshChannels = source;
  }

  setUsage(usage: PodUsage[]): void {
    this.usage = usage;
  }

  /** The latest Docker stats per pod (the engine collects them every 10 s). */
  podUsage(): readonly PodUsage[] {
    return this.usage;
  }

  recordActions(results: readonly ActionResult[]): void {
    for (const r of results) {
      this.reconcileActions.inc({ action: r.action.type, result: r.ok ? "success" : "failure" });
      if (!r.ok) continue;
      if ((r.action.type === "start" || r.action.type === "create") && r.action.restart) {
        const reason: (typeof RESTART_REASONS)[number] =
          r.action.type === "create" ? "container-gone" : "exited";
        this.podRestarts.inc({ reason });
      }
    }
  }
}
