// The autoscaler gauges' values, read from the state at scrape time: each Autoscaler's desired
// replicas and how far its metrics are from their targets.
import type { AutoscalerObject } from "../manifest/types.ts";
import type { Store } from "../store/store.ts";

export interface AutoscalerGauge {
  name: string;
  desired?: number;
  /** current / target of the metric furthest above (or least below) its target. */
  ratio?: number;
}

interface StoredMetric {
  resource: string;
  utilization?: number;
  averageValue: number;
}

export function autoscalerGauges(store: Store): AutoscalerGauge[] {
  const statuses = new Map(store.listAutoscalerStatus().map((s) => [s.name, s]));
  return store.listObjects("Autoscaler").map((o) => {
    const spec = (JSON.parse(o.spec) as AutoscalerObject).spec;
    const status = statuses.get(o.name);
    if (!status) return { name: o.name };
    const current = JSON.parse(status.currentMetrics) as StoredMetric[];
    const ratios = spec.metrics.flatMap((m) => {
      const c = current.find((x) => x.resource === m.resource);
      if (!c) return [];
      if (m.target.type === "Utilization")
        return c.utilization === undefined ? [] : [c.utilization / m.target.averageUtilization];
      return [c.averageValue / m.target.averageValue];
    });
    return {
      name: o.name,
      desired: status.desiredReplicas,
      ...(ratios.length ? { ratio: Math.max(...ratios) } : {}),
    };
  });
}
