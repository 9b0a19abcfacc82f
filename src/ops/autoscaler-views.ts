// The record `mk get hpa -o json`, `mk describe autoscaler` and /api/v1/autoscalers return: the
// Autoscaler's spec summary and the controller's last status, with kubectl's TARGETS strings.

import { checkAutoscaler, checkAutoscalerStatus, type StoredMetric } from "../controller/row-check.ts";
import { formatCpuMillis, formatMemoryBytes } from "../manifest/quantity.ts";
import type { ResourceMetric } from "../manifest/types.ts";
import { faultReason, orElse, type RowFault } from "../store/row-decode.ts";
import type { AutoscalerStatusRow, ObjectRow } from "../store/rows.ts";

const iso = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString());

export interface AutoscalerMetricView {
  resource: string;
  targetType: "Utilization" | "AverageValue";
  /** "50%" or "500m" / "128Mi". */
  target: string;
  /** "63%" or "250m"; "<unknown>" before the first good sync. */
  current: string;
  /** Average usage per pod ("250m", "64Mi"), when known. */
  averageValue: string | null;
}

export interface AutoscalerConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string | null;
}

/** One entry of Kubernetes' status.currentMetrics (for jsonpath written against kubectl). */
export interface KubeMetricStatus {
  type: "Resource";
  resource: { name: string; current: { averageUtilization?: number; averageValue: string } };
}

export interface AutoscalerView {
  name: string;
  apiVersion: string;
  minReplicas: number;
  maxReplicas: number;
  /** kubectl's REFERENCE: "Deployment/web" for a target applied as apps/v1, else "PodSet/web". */
  reference: string;
  /** kubectl's TARGETS column: "63%/50%", comma-separated for several metrics. */
  targets: string;
  metrics: AutoscalerMetricView[];
  /** The target's replicas as last seen by the controller (the PodSet's, before the first sync). */
  currentReplicas: number | null;
  desiredReplicas: number | null;
  lastScaleTime: string | null;
  lastSyncTime: string | null;
  conditions: AutoscalerConditionView[];
  /** Kubernetes' status.currentMetrics: what the last good sync measured, per metric. */
  currentMetrics: KubeMetricStatus[];
  /** The generation of the Autoscaler the last sync acted on. */
  observedGeneration: number | null;
  createdAt: string | null;
  /** Set when the stored rows do not decode: what is wrong (column and field); the rest is defaults. */
  invalidRow?: string;
}

const amount = (resource: string, v: number) =>
  resource === "cpu" ? formatCpuMillis(Math.round(v)) : formatMemoryBytes(Math.round(v));

function metricView(m: ResourceMetric, current: readonly StoredMetric[] | undefined): AutoscalerMetricView {
  const c = current?.find((x) => x.resource === m.resource);
  if (m.target.type === "Utilization") {
    return {
      resource: m.resource,
      targetType: "Utilization",
      target: `${m.target.averageUtilization}%`,
      current: c?.utilization !== undefined ? `${c.utilization}%` : "<unknown>",
      averageValue: c ? amount(m.resource, c.averageValue) : null,
    };
  }
  return {
    resource: m.resource,
    targetType: "AverageValue",
    target: amount(m.resource, m.target.averageValue),
    current: c ? amount(m.resource, c.averageValue) : "<unknown>",
    averageValue: c ? amount(m.resource, c.averageValue) : null,
  };
}

/** kubectl's most metrics in TARGETS; the rest are counted ("+ 1 more..."). */
const TARGETS_SHOWN = 2;

/**
 * kubectl's TARGETS: "63%/50%" for one metric; with several, each named as kubectl 1.27+ prints
 * them ("cpu: 63%/50%, memory: 40Mi/100Mi"), at most two and "+ N more...".
 */
export function targetsColumn(metrics: readonly AutoscalerMetricView[]): string {
  if (metrics.length === 0) return "<none>";
  const first = metrics[0];
  if (metrics.length === 1 && first) return `${first.current}/${first.target}`;
  const shown = metrics.slice(0, TARGETS_SHOWN).map((m) => `${m.resource}: ${m.current}/${m.target}`);
  const more = metrics.length - TARGETS_SHOWN;
  return more > 0 ? `${shown.join(", ")} + ${more} more...` : shown.join(", ");
}

export function autoscalerView(
  o: ObjectRow,
  status: AutoscalerStatusRow | undefined,
  target: { replicas: number; kind: string } | undefined,
): AutoscalerView {
  // A row damaged behind mk's back is listed with what can be read and its fault named.
  const faults: string[] = [];
  const note = (f: RowFault) => faults.push(faultReason(f));
  const obj = orElse(checkAutoscaler(o), undefined, note);
  const st = status ? orElse(checkAutoscalerStatus(status), undefined, note) : undefined;
  const spec = obj?.spec;
  const metrics = (spec?.metrics ?? []).map((m) => metricView(m, st?.currentMetrics));
  const conditions = (st?.conditions ?? []).map((c) => ({
    ...c,
    lastTransitionTime: iso(c.lastTransitionTime),
  }));
  return {
    name: o.name,
    apiVersion: o.apiVersion,
    // A target not applied yet: the kind the HPA names (a Deployment for autoscaling/*).
    reference: spec
      ? `${target?.kind ?? (o.apiVersion.startsWith("autoscaling/") ? "Deployment" : spec.target.kind)}/${spec.target.name}`
      : "<invalid>",
    minReplicas: spec?.minReplicas ?? 0,
    maxReplicas: spec?.maxReplicas ?? 0,
    targets: spec ? targetsColumn(metrics) : "<invalid>",
    metrics,
    currentReplicas: status?.currentReplicas ?? target?.replicas ?? null,
    desiredReplicas: status?.desiredReplicas ?? null,
    lastScaleTime: iso(status?.lastScaleTime),
    lastSyncTime: iso(status?.syncedAt),
    conditions,
    currentMetrics: (spec?.metrics ?? []).flatMap((m): KubeMetricStatus[] => {
      const c = st?.currentMetrics.find((x) => x.resource === m.resource);
      if (!c) return [];
      const current = {
        ...(c.utilization !== undefined ? { averageUtilization: c.utilization } : {}),
        averageValue: amount(m.resource, c.averageValue),
      };
      return [{ type: "Resource", resource: { name: m.resource, current } }];
    }),
    observedGeneration: status?.observedGeneration ?? null,
    createdAt: iso(o.createdAt),
    ...(faults.length ? { invalidRow: faults.join("; ") } : {}),
  };
}
