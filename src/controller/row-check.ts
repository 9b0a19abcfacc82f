// Rows are read back from SQLite, which anyone can write (`sqlite3 state.db`, an old mk, a torn
// disk): the JSON columns the controller, scheduler and agents use are parsed here, defensively.
// A row that fails is skipped with a reason; one bad row never stops a pass over the others.
// The schemas check the shape the loops rely on (types of the fields they touch), not every rule
// a manifest obeys: those were checked when the object was applied.
import * as v from "valibot";
import type { Labels, MkObjectBody, PodSpec, Taint } from "../manifest/types.ts";
import type { Mutation } from "../store/mutations.ts";
import type { NodeRow, ObjectRow, PodRow } from "../store/rows.ts";

const stringMap = v.record(v.string(), v.string());
const effect = v.picklist(["NoSchedule", "PreferNoSchedule", "NoExecute"]);
const taints = v.array(v.looseObject({ key: v.string(), value: v.optional(v.string()), effect }));
const tolerations = v.array(
  v.looseObject({
    key: v.optional(v.string()),
    operator: v.picklist(["Equal", "Exists"]),
    value: v.optional(v.string()),
    effect: v.optional(effect),
    tolerationSeconds: v.optional(v.number()),
  }),
);
const amounts = v.looseObject({ cpuMilli: v.optional(v.number()), memoryBytes: v.optional(v.number()) });
const container = v.looseObject({
  name: v.string(),
  image: v.string(),
  imagePullPolicy: v.picklist(["Always", "IfNotPresent", "Never"]),
  command: v.optional(v.array(v.string())),
  args: v.optional(v.array(v.string())),
  env: v.array(v.looseObject({ name: v.string(), value: v.string() })),
  ports: v.array(v.looseObject({ containerPort: v.number(), protocol: v.picklist(["TCP", "UDP"]) })),
  resources: v.looseObject({ requests: amounts, limits: amounts }),
});
const podSpec = v.looseObject({
  containers: v.pipe(v.array(container), v.minLength(1)),
  restartPolicy: v.picklist(["Always", "OnFailure", "Never"]),
  nodeSelector: stringMap,
  tolerations,
  terminationGracePeriodSeconds: v.number(),
  nodeName: v.optional(v.string()),
});
const meta = v.looseObject({ name: v.string(), labels: stringMap, annotations: stringMap });
const objectBody = v.variant("kind", [
  v.looseObject({ kind: v.literal("Pod"), metadata: meta, spec: podSpec }),
  v.looseObject({
    kind: v.literal("PodSet"),
    metadata: meta,
    spec: v.looseObject({
      replicas: v.number(),
      selector: v.looseObject({ matchLabels: stringMap }),
      strategy: v.looseObject({ type: v.string() }),
      template: v.looseObject({
        metadata: v.looseObject({ labels: stringMap, annotations: stringMap }),
        spec: podSpec,
      }),
    }),
  }),
  v.looseObject({ kind: v.literal("Node"), metadata: meta, spec: v.looseObject({ taints }) }),
  v.looseObject({ kind: v.literal("Autoscaler"), metadata: meta, spec: v.looseObject({}) }),
]);

/** One row the loops skipped, and why. */
export interface BadRow {
  kind: string;
  name: string;
  reason: string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseColumn<S extends v.GenericSchema>(
  text: string,
  column: string,
  schema: S,
): Parsed<v.InferOutput<S>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `column ${column} is not valid JSON (${(err as Error).message})` };
  }
  const r = v.safeParse(schema, json);
  if (r.success) return { ok: true, value: r.output };
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join(".") ?? "";
  return { ok: false, reason: `column ${column}${path ? ` at ${path}` : ""}: ${issue.message}` };
}

export interface CheckedPod {
  row: PodRow;
  spec: PodSpec;
  labels: Labels;
  annotations: Labels;
}

export function checkPod(row: PodRow): Parsed<CheckedPod> {
  const spec = parseColumn(row.spec, "spec", podSpec);
  if (!spec.ok) return spec;
  const labels = parseColumn(row.labels, "labels", stringMap);
  if (!labels.ok) return labels;
  const annotations = parseColumn(row.annotations, "annotations", stringMap);
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
  const labels = parseColumn(row.labels, "labels", stringMap);
  if (!labels.ok) return labels;
  const t = parseColumn(row.taints, "taints", taints);
  if (!t.ok) return t;
  return { ok: true, value: { row, labels: labels.value, taints: t.value as Taint[] } };
}

export function checkObject(row: ObjectRow): Parsed<MkObjectBody> {
  const body = parseColumn(row.spec, "spec", objectBody);
  if (!body.ok) return body;
  if (body.value.kind !== row.kind || body.value.metadata.name !== row.name)
    return { ok: false, reason: `column spec names ${body.value.kind}/${body.value.metadata.name}` };
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
