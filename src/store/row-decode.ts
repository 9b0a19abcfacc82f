// The one decoder for the JSON columns of stored rows. Rows are read back from SQLite, which
// anyone can write (`sqlite3 state.db`, an old mk, a torn disk), so every read path decodes them
// here: a column that is not JSON, or not the shape mk relies on, yields a RowFault naming the row,
// the column and the field. Listings show the good rows and name the bad one; a command that has
// to act on a bad row throws InvalidRowError (409, exit 3) with the same words.
// The schemas check the shape the readers rely on (the types of the fields they touch), not every
// rule a manifest obeys: those were checked when the object was applied.
import * as v from "valibot";
import { MkError } from "../lib/errors.ts";

/** What is wrong with one stored row: which row, which column, which field. */
export interface RowFault {
  kind: string;
  name: string;
  column: string;
  /** Dotted path inside the column ("" for the whole column). */
  path: string;
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; fault: RowFault; reason: string };

/** "column taints at 0.effect: Invalid type: ..." — the reason without the row's name. */
export function faultReason(f: Pick<RowFault, "column" | "path" | "message">): string {
  return `column ${f.column}${f.path ? ` at ${f.path}` : ""}: ${f.message}`;
}

/** A command had to act on a row that does not decode: nothing was written. */
export class InvalidRowError extends MkError {
  constructor(readonly fault: RowFault) {
    super(
      "invalid_row",
      `Cannot use ${fault.kind.toLowerCase()} "${fault.name}": its stored row is invalid: ${faultReason(fault)}`,
      { details: { ...fault }, exitCode: 3, httpStatus: 409 },
    );
  }
}

export interface RowRef {
  kind: string;
  name: string;
}

export function failed(ref: RowRef, column: string, path: string, message: string): Decoded<never> {
  const fault: RowFault = { kind: ref.kind, name: ref.name, column, path, message };
  return { ok: false, fault, reason: faultReason(fault) };
}

/** Decodes one JSON column of a row against `schema`. */
export function decodeColumn<S extends v.GenericSchema>(
  ref: RowRef,
  column: string,
  text: string | null | undefined,
  schema: S,
): Decoded<v.InferOutput<S>> {
  let json: unknown;
  try {
    if (typeof text !== "string")
      throw new Error(`expected text, got ${text === null ? "null" : typeof text}`);
    json = JSON.parse(text);
  } catch (err) {
    return failed(ref, column, "", `not valid JSON (${(err as Error).message})`);
  }
  const r = v.safeParse(schema, json);
  if (r.success) return { ok: true, value: r.output };
  const issue = r.issues[0];
  return failed(ref, column, issue.path?.map((p) => String(p.key)).join(".") ?? "", issue.message);
}

/** The value, or InvalidRowError naming the row and field. */
export function orThrow<T>(d: Decoded<T>): T {
  if (!d.ok) throw new InvalidRowError(d.fault);
  return d.value;
}

/** The value, or `fallback` with the fault handed to `onFault` (a listing that names it). */
export function orElse<T>(d: Decoded<T>, fallback: T, onFault?: (f: RowFault) => void): T {
  if (d.ok) return d.value;
  onFault?.(d.fault);
  return fallback;
}

// ---- the shapes -------------------------------------------------------------------------------

export const stringMap = v.record(v.string(), v.string());
const effect = v.picklist(["NoSchedule", "PreferNoSchedule", "NoExecute"]);
export const taintsSchema = v.array(
  v.looseObject({ key: v.string(), value: v.optional(v.string()), effect }),
);
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
export const podSpecSchema = v.looseObject({
  containers: v.pipe(v.array(container), v.minLength(1)),
  restartPolicy: v.picklist(["Always", "OnFailure", "Never"]),
  nodeSelector: stringMap,
  tolerations,
  terminationGracePeriodSeconds: v.number(),
  nodeName: v.optional(v.string()),
});
const meta = v.looseObject({ name: v.string(), labels: stringMap, annotations: stringMap });
const metricTarget = v.variant("type", [
  v.looseObject({ type: v.literal("Utilization"), averageUtilization: v.number() }),
  v.looseObject({ type: v.literal("AverageValue"), averageValue: v.number() }),
]);
const resource = v.picklist(["cpu", "memory"]);
export const objectBodySchema = v.variant("kind", [
  v.looseObject({ kind: v.literal("Pod"), metadata: meta, spec: podSpecSchema }),
  v.looseObject({
    kind: v.literal("PodSet"),
    metadata: meta,
    spec: v.looseObject({
      replicas: v.number(),
      selector: v.looseObject({ matchLabels: stringMap }),
      strategy: v.looseObject({ type: v.string() }),
      template: v.looseObject({
        metadata: v.looseObject({ labels: stringMap, annotations: stringMap }),
        spec: podSpecSchema,
      }),
    }),
  }),
  v.looseObject({ kind: v.literal("Node"), metadata: meta, spec: v.looseObject({ taints: taintsSchema }) }),
  v.looseObject({
    kind: v.literal("Autoscaler"),
    metadata: meta,
    spec: v.looseObject({
      target: v.looseObject({ kind: v.string(), name: v.string() }),
      minReplicas: v.number(),
      maxReplicas: v.number(),
      metrics: v.array(v.looseObject({ resource, target: metricTarget })),
    }),
  }),
]);

/** autoscaler_status.current_metrics */
export const storedMetricsSchema = v.array(
  v.looseObject({ resource, utilization: v.optional(v.number()), averageValue: v.number() }),
);
/** autoscaler_status.conditions and podset_status.conditions */
export const storedConditionsSchema = v.array(
  v.looseObject({
    type: v.string(),
    status: v.string(),
    reason: v.string(),
    message: v.string(),
    lastTransitionTime: v.number(),
  }),
);
