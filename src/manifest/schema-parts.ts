// Building blocks of the manifest schemas: mappings with a field policy, optional fields that treat
// null like absent (as Kubernetes does), bounded integers, and checks whose messages follow
// "expected ..., got ...".

import * as v from "valibot";
import { type FieldPolicy, withPolicy } from "./check-fields.ts";
import type { PathSegment } from "./errors.ts";
import { describeValue } from "./messages.ts";

/** A mapping with the given fields; `policy` says which other Kubernetes fields are ignored or refused. */
export function fields<const E extends v.ObjectEntries>(entries: E, policy: FieldPolicy = {}) {
  return withPolicy(v.object(entries), policy);
}

/** An optional field: absent and null both become undefined. */
export function opt<S extends v.GenericSchema>(schema: S) {
  return v.pipe(
    v.nullish(schema),
    v.transform((value) => value ?? undefined),
  );
}

/** An optional field with a default for absent and null. */
export function def<S extends v.GenericSchema, const D extends v.Default<S, null | undefined>>(
  schema: S,
  fallback: D,
) {
  return v.nullish(schema, fallback);
}

/** An integer in min..max; a quoted number ("80") is refused, as Kubernetes refuses it. */
export function int(min: number, max: number) {
  const message = (issue: v.BaseIssue<unknown>) =>
    `expected integer ${min}..${max}, got ${describeValue(issue.input)}`;
  return v.pipe(
    v.number(message),
    v.check((n) => Number.isInteger(n) && n >= min && n <= max, message),
  );
}

/** Reports an issue at a path below the checked value; `atKey` points at the key, not its value. */
export interface Report {
  (message: string, ...path: PathSegment[]): void;
  atKey(message: string, ...path: PathSegment[]): void;
}

type AddIssue = (info: { message: string; path?: [v.IssuePathItem, ...v.IssuePathItem[]] }) => void;

function toReport(addIssue: AddIssue): Report {
  const add = (origin: "key" | "value", message: string, path: PathSegment[]) => {
    const items = path.map((key, i) => ({
      type: "unknown" as const,
      origin: i === path.length - 1 ? origin : ("value" as const),
      input: undefined,
      key,
      value: undefined,
    }));
    const [first, ...rest] = items;
    addIssue(first === undefined ? { message } : { message, path: [first, ...rest] });
  };
  return Object.assign((message: string, ...path: PathSegment[]) => add("value", message, path), {
    atKey: (message: string, ...path: PathSegment[]) => add("key", message, path),
  });
}

/**
 * `schema` plus a check over its whole output that may report several issues, each at a path below
 * it. The check runs only when the value is well-typed, so it never adds noise to a broken field.
 */
export function checked<S extends v.GenericSchema>(
  schema: S,
  check: (value: v.InferOutput<S>, report: Report) => void,
) {
  return v.pipe(
    schema,
    v.rawCheck<v.InferOutput<S>>(({ dataset, addIssue }) => {
      if (dataset.typed) check(dataset.value, toReport(addIssue));
    }),
  );
}

function touches(issues: readonly v.BaseIssue<unknown>[], path: readonly PathSegment[]): boolean {
  return issues.some((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key);
    return path.every((segment, i) => i >= keys.length || keys[i] === segment);
  });
}

/**
 * Like `checked`, but runs as soon as the fields under `paths` are well-typed, even when other
 * fields are not (valibot's partialCheck, with several issues). `check` must read only those
 * fields, or fields for which `typed(...path)` says yes.
 */
export function checkedWhere<S extends v.GenericSchema>(
  schema: S,
  paths: readonly (readonly PathSegment[])[],
  check: (value: v.InferOutput<S>, report: Report, typed: (...path: PathSegment[]) => boolean) => void,
) {
  return v.pipe(
    schema,
    v.rawCheck<v.InferOutput<S>>(({ dataset, addIssue }) => {
      const issues = dataset.issues ?? [];
      if (dataset.typed || !paths.some((path) => touches(issues, path))) {
        check(dataset.value, toReport(addIssue), (...path) => !touches(issues, path));
      }
    }),
  );
}

/** A check of one value: `error` returns the message, or undefined when the value is fine. */
export function valid<T>(error: (value: T) => string | undefined) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    const message = dataset.typed ? error(dataset.value) : undefined;
    if (message !== undefined) addIssue({ message });
  });
}

/** A string checked by `error`. */
export function text(error?: (value: string) => string | undefined) {
  return error === undefined ? v.string() : v.pipe(v.string(), valid(error));
}

/** A list with at least one item. */
export function nonEmptyList<S extends v.GenericSchema>(item: S, what: string) {
  return v.pipe(
    v.array(item),
    v.check((list) => list.length > 0, `expected at least one ${what}, got an empty list`),
  );
}

/** A string or a number, converted by `parse`, whose RangeError message becomes the issue. */
export function converted<T>(parse: (value: string | number) => T, expected: string) {
  return v.pipe(
    v.union([v.string(), v.number()], (issue) => `expected ${expected}, got ${describeValue(issue.input)}`),
    v.rawTransform<string | number, T>(({ dataset, addIssue, NEVER }) => {
      try {
        return parse(dataset.value);
      } catch (err) {
        addIssue({ message: err instanceof Error ? err.message : String(err) });
        return NEVER;
      }
    }),
  );
}

/** Messages for fields mk refuses: "<field> is not supported by mk", or the reason given. */
export function notSupported(
  keys: readonly string[],
  reasons: Record<string, string> = {},
): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, reasons[key] ?? `${key} is not supported by mk`]));
}
