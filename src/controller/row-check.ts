// The rows the controller, scheduler, agents and views read, decoded by the shared decoder
// (store/row-decode.ts): checkPod/checkNode/checkObject per row, and for the loops, the split into
// good and bad rows and the InvalidRow Warning events. One bad row never stops a pass.
import type {
  AutoscalerObject,
  Labels,
  MkObjectBody,
  PodSetObject,
  PodSpec,
  Taint,
} from "../manifest/types.ts";
import type { Mutation } from "../store/mutations.ts";
import {
  type Decoded,
  decodeColumn,
  failed,
  objectBodySchema,
  podSpecSchema,
  storedConditionsSchema,
  storedMetricsSchema,
  stringMap,
  taintsSchema,
} from "../store/row-decode.ts";
import type { AutoscalerStatusRow, NodeRow, ObjectRow, PodRow } from "../store/rows.ts";

/** One row the loops skipped, and why. */
export interface BadRow {
  kind: string;
  name: string;
  reason: string;
}

type Parsed<T> = Decoded<T>;

/** autoscaler_status.current_metrics, one entry per resource. */
export interface StoredMetric {
  resource: "cpu" | "memory";
  utilization?: number;
  averageValue: number;
}

export interface StoredCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: number;
}

export interface CheckedPod {
  row: PodRow;
  spec: PodSpec;
  labels: Labels;
  annotations: Labels;
}

export function checkPod(row: PodRow): Parsed<CheckedPod> {
  const ref = { kind: "Pod", name: row.name };
  const spec = decodeColumn(ref, "spec", row.spec, podSpecSchema);
  if (!spec.ok) return spec;
  const labels = decodeColumn(ref, "labels", row.labels, stringMap);
  if (!labels.ok) return labels;
  const annotations = decodeColumn(ref, "annotations", row.annotations, stringMap);
  if (!annotations.ok) return annotations;
  return {
    ok: true,
    value: { row, spec: spec.value as PodSpec, labels: labels.value, annotations: annotations.value },
  };
}

export interface CheckedNode {
  row: NodeRow;
  labels: Labels;
  taints: Taint[];
}

export function checkNode(row: NodeRow): Parsed<CheckedNode> {
  const ref = { kind: "Node", name: row.name };
  const labels = decodeColumn(ref, "labels", row.labels, stringMap);
  if (!labels.ok) return labels;
  const t = decodeColumn(ref, "taints", row.taints, taintsSchema);
  if (!t.ok) return t;
  return { ok: true, value: { row, labels: labels.value, taints: t.value as Taint[] } };
}

export function checkObject(row: ObjectRow): Parsed<MkObjectBody> {
  const ref = { kind: row.kind, name: row.name };
  const body = decodeColumn(ref, "spec", row.spec, objectBodySchema);
  if (!body.ok) return body;
  if (body.value.kind !== row.kind || body.value.metadata.name !== row.name)
    return failed(ref, "spec", "", `names ${body.value.kind}/${body.value.metadata.name}`);
  return { ok: true, value: body.value as unknown as MkObjectBody };
}

/** Splits rows into those that parse and those that do not. */
export function partitionRows<R extends { name: string }, T>(
  rows: readonly R[],
  kind: string | ((row: R) => string),
  check: (row: R) => Parsed<T>,
): { good: T[]; bad: BadRow[] } {
  const good: T[] = [];
  const bad: BadRow[] = [];
  for (const row of rows) {
    const r = check(row);
    if (r.ok) good.push(r.value);
    else bad.push({ kind: typeof kind === "string" ? kind : kind(row), name: row.name, reason: r.reason });
  }
  return { good, bad };
}

/** How often the same bad row is reported again (an event bump and a log line). */
export const BAD_ROW_REPORT_INTERVAL_MS = 60_000;

/**
 * Turns skipped rows into Warning events ("InvalidRow"), at most once a minute per row and
 * reason, so a bad row that stays bad shows as one event with a growing count rather than a
 * write on every pass.
 */
export class BadRowReporter {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs = BAD_ROW_REPORT_INTERVAL_MS) {}

  /** The events to record now for `bad` (the rest were reported recently). */
  report(bad: readonly BadRow[], now: number, node: string | null = null): Mutation[] {
    const out: Mutation[] = [];
    for (const b of bad) {
      const key = `${node ?? ""}\0${b.kind}\0${b.name}\0${b.reason}`;
      const at = this.last.get(key);
      if (at !== undefined && now - at < this.intervalMs) continue;
      this.last.set(key, now);
      out.push({
        op: "recordEvent",
        type: "Warning",
        reason: "InvalidRow",
        objectKind: b.kind,
        objectName: b.name,
        node,
        message: `Skipped ${b.kind.toLowerCase()} ${JSON.stringify(b.name)} in the state: ${b.reason}`,
        at: now,
      });
    }
    if (this.last.size > 10_000) {
      for (const [k, t] of this.last) if (now - t >= this.intervalMs) this.last.delete(k);
    }
    return out;
  }
}

/** The rows of `rows` that parse; the others are added to `bad`. */
export function goodPods(rows: readonly PodRow[], bad: BadRow[]): PodRow[] {
  const r = partitionRows(rows, "Pod", checkPod);
  bad.push(...r.bad);
  return r.good.map((p) => p.row);
}

export function goodNodes(rows: readonly NodeRow[], bad: BadRow[]): NodeRow[] {
  const r = partitionRows(rows, "Node", checkNode);
  bad.push(...r.bad);
  return r.good.map((n) => n.row);
}

/**
 * The objects planPods may act on, and the pods it may see: the pods of an object that does not
 * parse are left out too, so a corrupted object never reads as a deleted one (whose pods would go).
 */
export function plannableObjects(
  objects: readonly ObjectRow[],
  pods: readonly PodRow[],
  bad: BadRow[],
): { objects: MkObjectBody[]; pods: PodRow[] } {
  const r = partitionRows(objects, (o) => o.kind, checkObject);
  bad.push(...r.bad);
  const skipped = new Set(r.bad.map((b) => `${b.kind}/${b.name}`));
  return {
    objects: r.good,
    pods: skipped.size === 0 ? [...pods] : pods.filter((p) => !skipped.has(`${p.ownerKind}/${p.ownerName}`)),
  };
}

/** A PodSet's object row, decoded (a row of another kind, or one that does not decode, fails). */
export function checkPodSet(row: ObjectRow): Parsed<PodSetObject> {
  const body = checkObject(row);
  if (!body.ok) return body;
  if (body.value.kind !== "PodSet")
    return failed(row, "spec", "kind", `expected PodSet, got ${body.value.kind}`);
  return { ok: true, value: body.value };
}

export function checkAutoscaler(row: ObjectRow): Parsed<AutoscalerObject> {
  const body = checkObject(row);
  if (!body.ok) return body;
  if (body.value.kind !== "Autoscaler")
    return failed(row, "spec", "kind", `expected Autoscaler, got ${body.value.kind}`);
  return { ok: true, value: body.value };
}

export interface CheckedAutoscalerStatus {
  currentMetrics: StoredMetric[];
  conditions: StoredCondition[];
}

/** The columns of autoscaler_status the views and gauges read. */
export function checkAutoscalerStatus(row: AutoscalerStatusRow): Parsed<CheckedAutoscalerStatus> {
  const ref = { kind: "Autoscaler", name: row.name };
  const currentMetrics = decodeColumn(
    ref,
    "autoscaler_status.current_metrics",
    row.currentMetrics,
    storedMetricsSchema,
  );
  if (!currentMetrics.ok) return currentMetrics;
  const conditions = decodeColumn(
    ref,
    "autoscaler_status.conditions",
    row.conditions,
    storedConditionsSchema,
  );
  if (!conditions.ok) return conditions;
  return { ok: true, value: { currentMetrics: currentMetrics.value, conditions: conditions.value } };
}
