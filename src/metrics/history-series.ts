// The series mk's status page charts, registered on a MetricsHistory. Another subsystem adds its own
// with one history.add({...}) call (see docs/observability.md, "Live charts").
import type { Store } from "../store/store.ts";
import { autoscalerGauges } from "./autoscaler-gauges.ts";
import type { MetricsHistory } from "./history.ts";
import { readBuckets, WindowedQuantiles } from "./quantiles.ts";
import type { Metrics } from "./registry.ts";

/** Latency quantiles cover this much of the recent past. */
export const LATENCY_WINDOW_MS = 60_000;

export function addDefaultSeries(history: MetricsHistory, store: Store, metrics: Metrics): MetricsHistory {
  const now = () => Date.now();
  const scheduling = new WindowedQuantiles(() => readBuckets(metrics.schedulingLatency), LATENCY_WINDOW_MS);
  const startup = new WindowedQuantiles(() => readBuckets(metrics.podStartupLatency), LATENCY_WINDOW_MS);
  return (
    history
      .add({
        name: "pods_running",
        title: "Running pods per node",
        unit: "pods",
        sample: () => {
          const out: Record<string, number> = {};
          for (const r of store.podCounts())
            if (r.phase === "Running") out[r.node || "-"] = (out[r.node || "-"] ?? 0) + r.n;
          return out;
        },
      })
      .add({
        name: "nodes",
        title: "Nodes by state",
        unit: "nodes",
        sample: () => {
          const out: Record<string, number> = { Ready: 0, NotReady: 0, Unknown: 0 };
          for (const r of store.nodeCounts()) out[r.state] = r.n;
          return out;
        },
      })
      .add({
        name: "restarts",
        title: "Container restarts since server start",
        unit: "restarts",
        sample: async () => (await metrics.podRestarts.get()).values.reduce((sum, v) => sum + v.value, 0),
      })
      .add({
        name: "scheduling_latency",
        title: "Scheduling latency (last 60 s)",
        unit: "s",
        sample: () => scheduling.sample(now()),
      })
      .add({
        name: "startup_latency",
        title: "Pod startup latency (last 60 s)",
        unit: "s",
        sample: () => startup.sample(now()),
      })
      .add({
        name: "pod_cpu",
        title: "CPU per pod",
        unit: "cores",
        kind: "rate",
        rateWindowMs: 25_000,
        sample: () => Object.fromEntries(metrics.podUsage().map((u) => [u.pod, u.cpuSeconds])),
      })
      // The autoscaler's: one registration each (the page hides a chart while no autoscaler exists).
      .add({
        name: "autoscaler_replicas",
        title: "Autoscaler desired replicas",
        unit: "pods",
        sample: () =>
          Object.fromEntries(
            autoscalerGauges(store).flatMap((g) => (g.desired === undefined ? [] : [[g.name, g.desired]])),
          ),
      })
      .add({
        name: "autoscaler_ratio",
        title: "Autoscaler metric / target",
        unit: "ratio",
        sample: () =>
          Object.fromEntries(
            autoscalerGauges(store).flatMap((g) => (g.ratio === undefined ? [] : [[g.name, g.ratio]])),
          ),
      })
      .add({
        name: "autoscaler_rescales",
        title: "Autoscaler rescales since server start",
        unit: "rescales",
        // mk_autoscaler_rescales_total, up and down added per autoscaler.
        sample: async () => {
          const out: Record<string, number> = {};
          for (const v of (await metrics.autoscalerRescales.get()).values) {
            const name = String(v.labels.autoscaler ?? "");
            out[name] = (out[name] ?? 0) + v.value;
          }
          return out;
        },
      })
  );
}
