// mk get hpa / mk get autoscalers and mk describe autoscaler: kubectl's columns and layout.

import type { AutoscalerView } from "../../ops/autoscaler-views.ts";
import type { Described } from "../../ops/queries.ts";
import { age, table } from "../output.ts";

/** The words `mk get` and `mk describe` accept for autoscalers. */
export const AUTOSCALER_WORDS = [
  "hpa",
  "horizontalpodautoscaler",
  "horizontalpodautoscalers",
  "autoscaler",
  "autoscalers",
] as const;

export function printAutoscalers(list: readonly AutoscalerView[]): string {
  return table(
    ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
    list.map((a) => [
      a.name,
      a.reference,
      a.targets,
      a.minReplicas,
      a.maxReplicas,
      a.currentReplicas,
      age(a.createdAt),
    ]),
  );
}

/** kubectl describe hpa's layout: metrics (current / target), pods, conditions, events. */
export function describeAutoscalerText(d: Described, events: string): string {
  const a = d.status as AutoscalerView;
  const lines: string[] = [];
  const kv = (k: string, v: unknown) =>
    lines.push(`${`${k}:`.padEnd(22)}${v === null || v === undefined || v === "" ? "<none>" : String(v)}`);
  kv("Name", a.name);
  kv("Kind", "Autoscaler");
  kv("API version", a.apiVersion);
  kv("Reference", a.reference);
  lines.push("Metrics:              ( current / target )");
  for (const m of a.metrics) {
    const what =
      m.targetType === "Utilization"
        ? `resource ${m.resource} on pods  (as a percentage of request)`
        : `resource ${m.resource} on pods`;
    const avg = m.targetType === "Utilization" && m.averageValue ? ` (${m.averageValue})` : "";
    lines.push(`  ${what}:  ${m.current}${avg} / ${m.target}`);
  }
  kv("Min replicas", a.minReplicas);
  kv("Max replicas", a.maxReplicas);
  lines.push(
    `${"PodSet pods:".padEnd(22)}${a.currentReplicas ?? "<unknown>"} current / ${a.desiredReplicas ?? "<unknown>"} desired`,
  );
  kv("Last scale time", a.lastScaleTime);
  kv("Last sync", a.lastSyncTime);
  lines.push("Conditions:");
  if (a.conditions.length === 0)
    lines.push("  <none> (the autoscaler has not synced yet: is mk server running?)");
  else
    lines.push(
      ...table(
        ["Type", "Status", "Reason", "Message"],
        a.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      )
        .split("\n")
        .map((l) => `  ${l}`),
    );
  lines.push("Events:");
  lines.push(d.events.length === 0 ? "  <none>" : events);
  return lines.join("\n");
}
