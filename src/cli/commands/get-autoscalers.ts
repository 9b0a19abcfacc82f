// mk get hpa / mk get autoscalers and mk describe autoscaler: kubectl's columns and layout.

import type { AutoscalerView } from "../../ops/autoscaler-views.ts";
import type { KubeObject } from "../../ops/kube-objects.ts";
import type { Described } from "../../ops/queries.ts";
import { age, table } from "../output.ts";
import type { Columns } from "../render.ts";

/** kubectl's columns: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE (+ LAST SCALE, APPLIED AS wide). */
export function autoscalerColumns(objects: readonly KubeObject[], wide: boolean): Columns {
  const headers = ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"];
  if (wide) headers.push("LAST SCALE", "APPLIED AS");
  return {
    headers,
    rows: objects.map((o) => {
      const a = o.status as AutoscalerView;
      const row: (string | number | null)[] = [
        a.name,
        a.reference,
        a.targets,
        a.minReplicas,
        a.maxReplicas,
        a.currentReplicas,
        age(a.createdAt),
      ];
      if (wide)
        row.push(a.lastScaleTime ? `${age(a.lastScaleTime)} ago` : null, `${o.kind} (${o.apiVersion})`);
      return row;
    }),
  };
}

/** kubectl describe hpa's layout: metrics (current / target), pods, conditions, events. */
export function describeAutoscalerText(d: Described, events: string): string {
  const a = d.status as AutoscalerView;
  const lines: string[] = [];
  const kv = (k: string, v: unknown) =>
    lines.push(`${`${k}:`.padEnd(22)}${v === null || v === undefined || v === "" ? "<none>" : String(v)}`);
  kv("Name", a.name);
  kv("Kind", "Autoscaler");
  if (a.invalidRow) kv("Invalid row", a.invalidRow);
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
