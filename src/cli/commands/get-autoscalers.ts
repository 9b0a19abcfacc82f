// mk get hpa / mk get autoscalers and mk describe autoscaler: kubectl's columns and layout.

import type { AutoscalerView } from "../../ops/autoscaler-views.ts";
import type { KubeObject } from "../../ops/kube-objects.ts";
import type { Described } from "../../ops/queries.ts";
import type { EventView } from "../../ops/views.ts";
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
        a.currentReplicas ?? 0,
        age(a.createdAt),
      ];
      if (wide)
        row.push(a.lastScaleTime ? `${age(a.lastScaleTime)} ago` : null, `${o.kind} (${o.apiVersion})`);
      return row;
    }),
  };
}

/** A labels or annotations map as kubectl describe prints it: one `k=v` per line, or <none>. */
function mapLines(m: Record<string, string> | undefined, pad: number): string {
  const entries = Object.entries(m ?? {});
  if (entries.length === 0) return "<none>";
  return entries.map(([k, v], i) => `${i === 0 ? "" : " ".repeat(pad)}${k}=${v}`).join("\n");
}

/** kubectl's "Age" cell of an event: "2m", or "2m (x4 over 5m)" for a repeated one. */
function eventAge(e: EventView): string {
  const last = age(e.lastSeen);
  return e.count > 1 ? `${last} (x${e.count} over ${age(e.firstSeen)})` : last;
}

/**
 * kubectl describe hpa's layout: name, labels, reference, metrics (current / target), min/max,
 * "<Kind> pods: N current / M desired", conditions, and events as Type Reason Age From Message.
 */
export function describeAutoscalerText(d: Described, _events?: string): string {
  const a = d.status as AutoscalerView;
  const meta = d.object?.metadata;
  const lines: string[] = [];
  const PAD = 22;
  const kv = (k: string, v: unknown) =>
    lines.push(`${`${k}:`.padEnd(PAD)}${v === null || v === undefined || v === "" ? "<none>" : String(v)}`);
  kv("Name", a.name);
  kv("Namespace", "default");
  kv("Labels", mapLines(meta?.labels, PAD));
  kv("Annotations", mapLines(meta?.annotations, PAD));
  kv("CreationTimestamp", a.createdAt);
  kv("Kind", "Autoscaler");
  if (a.invalidRow) kv("Invalid row", a.invalidRow);
  kv("API version", a.apiVersion);
  kv("Reference", a.reference);
  lines.push(`${"Metrics:".padEnd(PAD)}( current / target )`);
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
  const kind = a.reference.split("/")[0] || "PodSet";
  lines.push(
    `${`${kind} pods:`.padEnd(PAD)}${a.currentReplicas ?? "<unknown>"} current / ${a.desiredReplicas ?? "<unknown>"} desired`,
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
        [
          ["----", "------", "------", "-------"],
          ...a.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
        ],
      )
        .split("\n")
        .map((l) => `  ${l}`),
    );
  if (d.events.length === 0) lines.push("Events:               <none>");
  else {
    lines.push("Events:");
    lines.push(
      ...table(
        ["Type", "Reason", "Age", "From", "Message"],
        [
          ["----", "------", "----", "----", "-------"],
          ...d.events.map((e) => [e.type, e.reason, eventAge(e), "horizontal-pod-autoscaler", e.message]),
        ],
      )
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  return lines.join("\n");
}
