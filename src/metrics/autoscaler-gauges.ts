// The autoscaler gauges' values, read from the state at scrape time: each Autoscaler's desired
// replicas and how far its metrics are from their targets.
import { checkAutoscaler, checkAutoscalerStatus } from "../controller/row-check.ts";
import type { Store } from "../store/store.ts";

export interface AutoscalerGauge {
  name: string;
  desired?: number;
  /** current / target of the metric furthest above (or least below) its target. */
  ratio?: number;
}

export function autoscalerGauges(store: Store): AutoscalerGauge[] {
  const statuses = new Map(store.listAutoscalerStatus().map((s) => [s.name, s]));
  return store.listObjects("Autoscaler").map((o) => {
    // A row that does not decode exports no value for its autoscaler; the scrape goes on.
    const obj = checkAutoscaler(o);
    const row = statuses.get(o.name);
    const status = row ? checkAutoscalerStatus(row) : undefined;
    if (!obj.ok || !row || !status?.ok) return { name: o.name };
    const spec = obj.value.spec;
    const current = status.value.currentMetrics;
    const ratios = spec.metrics.flatMap((m) => {
      const c = current.find((x) => x.resource === m.resource);
      if (!c) return [];
      if (m.target.type === "Utilization")
        return c.utilization === undefined ? [] : [c.utilization / m.target.averageUtilization];
      return [c.averageValue / m.target.averageValue];
    });
    return {
      name: o.name,
      desired: row.desiredReplicas,
      ...(ratios.length ? { ratio: Math.max(...ratios) } : {}),
    };
  });
}
