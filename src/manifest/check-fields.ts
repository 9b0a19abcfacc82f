// Kubernetes strict field validation, driven by the valibot schemas: walks a document alongside its
// schema and reports every key the schema does not declare. The schemas say per mapping which
// Kubernetes fields are accepted and ignored, and which are refused because mk cannot honour them.
// Also reports a list where a mapping is expected (valibot's object schemas accept arrays).

import type * as v from "valibot";
import type { PathSegment } from "./errors.ts";
import { suggest } from "./suggest.ts";

export interface FieldPolicy {
  /** Kubernetes fields that change nothing mk does: accepted and dropped. */
  ignored?: readonly string[];
  /** Fields mk refuses, with the message; an empty value (null, false, "", [], {}) is accepted. */
  unsupported?: Readonly<Record<string, string>>;
  /** Message for any other key; by default `unknown field "x"` with a did-you-mean hint. */
  unknown?: (key: string) => string;
}

export interface FieldIssue {
  path: PathSegment[];
  /** Where the issue points: the key (unknown and refused fields) or the value. */
  at: "key" | "value";
  message: string;
  /** The value has the wrong shape: schema issues below this path are noise. */
  shape?: true;
}

const policies = new WeakMap<object, FieldPolicy>();

/** Attaches a field policy to an object schema. */
export function withPolicy<S extends v.GenericSchema>(schema: S, policy: FieldPolicy): S {
  policies.set(schema, policy);
  return schema;
}

/** The parts of a valibot schema this walk reads (object, record, array, nullish and pipe). */
interface SchemaShape {
  type: string;
  entries?: Record<string, SchemaShape>;
  item?: SchemaShape;
  wrapped?: SchemaShape;
  value?: SchemaShape;
  pipe?: readonly object[];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return isMapping(value) && Object.keys(value).length === 0;
}

function policyOf(schema: SchemaShape): FieldPolicy {
  // v.pipe() copies its first schema into a new object: the policy sits on that first schema.
  return policies.get(schema) ?? (schema.pipe?.[0] ? policies.get(schema.pipe[0]) : undefined) ?? {};
}

function unknownField(key: string, candidates: Iterable<string>): string {
  const hint = suggest(key, candidates);
  return hint === undefined
    ? `unknown field ${JSON.stringify(key)}`
    : `unknown field ${JSON.stringify(key)}; did you mean ${JSON.stringify(hint)}?`;
}

function walk(schema: SchemaShape, value: unknown, path: PathSegment[], out: FieldIssue[]): void {
  if (value === null || value === undefined) return;
  if (schema.wrapped) {
    walk(schema.wrapped, value, path, out);
    return;
  }
  if (schema.type === "array") {
    if (Array.isArray(value) && schema.item) {
      for (const [i, item] of value.entries()) walk(schema.item, item, [...path, i], out);
    }
    return;
  }
  if (schema.type !== "object" && schema.type !== "record") return;
  if (Array.isArray(value)) {
    out.push({ path, at: "value", message: "expected mapping, got a list", shape: true });
    return;
  }
  if (!isMapping(value)) return;
  if (schema.type === "record") {
    if (schema.value)
      for (const [key, item] of Object.entries(value)) walk(schema.value, item, [...path, key], out);
    return;
  }
  const entries = schema.entries ?? {};
  const policy = policyOf(schema);
  for (const [key, item] of Object.entries(value)) {
    const entry = Object.hasOwn(entries, key) ? entries[key] : undefined;
    if (entry) {
      walk(entry, item, [...path, key], out);
    } else if (policy.ignored?.includes(key)) {
      // accepted and ignored
    } else if (policy.unsupported && Object.hasOwn(policy.unsupported, key)) {
      if (!isEmptyValue(item))
        out.push({ path: [...path, key], at: "key", message: policy.unsupported[key] ?? key });
    } else {
      const message =
        policy.unknown?.(key) ?? unknownField(key, [...Object.keys(entries), ...(policy.ignored ?? [])]);
      out.push({ path: [...path, key], at: "key", message });
    }
  }
}

/** Unknown and refused fields of `value`, and lists given where `schema` wants a mapping. */
export function checkFields(schema: v.GenericSchema, value: unknown): FieldIssue[] {
  const out: FieldIssue[] = [];
  walk(schema as unknown as SchemaShape, value, [], out);
  return out;
}
