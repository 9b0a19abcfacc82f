// Wording of schema issues: "expected <what>, got <value>", the value shown as kubectl shows it
// (`got number 5`, `got "eighty"`).

import type * as v from "valibot";

const MAX_SHOWN = 60;

/** A value as issue messages show it: strings quoted, other scalars with their type. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: "string",
  number: "number",
  boolean: "boolean (true or false)",
  array: "list",
  object: "mapping",
  record: "mapping",
};

/** Message for valibot issues that have no message of their own (type mismatches, missing keys). */
export function schemaMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "object" && issue.input === undefined && issue.expected?.startsWith('"')) {
    return "required field is missing";
  }
  const expected =
    EXPECTED[issue.type] ??
    (issue.type === "picklist"
      ? `one of ${issue.expected?.replace(/^\((.*)\)$/, "$1").replaceAll(" | ", ", ")}`
      : issue.expected);
  return `expected ${expected ?? issue.type}, got ${describeValue(issue.input)}`;
}
