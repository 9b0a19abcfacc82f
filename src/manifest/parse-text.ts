// One file's text -> objects, issues and object identities (for the duplicate-name check, which
// needs all files). Each document goes through: YAML and hostile-input checks, apiVersion/kind
// dispatch, strict field check and schema validation (both always run, so one pass reports all),
// then normalization when the document has no issue.

import type * as v from "valibot";
import type { LineCounter } from "yaml";
import { checkFields } from "./check-fields.ts";
import type { ObjectIdentity } from "./duplicates.ts";
import { formatPath, type ManifestIssue, type PathSegment } from "./errors.ts";
import { kindHandler, unsupportedKind } from "./kinds.ts";
import { MAX_FILE_BYTES } from "./limits.ts";
import { locate } from "./locate.ts";
import { describeValue } from "./messages.ts";
import type { MkObject } from "./types.ts";
import { readYamlFile, type YamlDocument } from "./yaml-documents.ts";

export interface ParsedText {
  objects: MkObject[];
  issues: ManifestIssue[];
  identities: ObjectIdentity[];
}

interface Located {
  path: PathSegment[];
  at: "key" | "value";
  message: string;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

function fromValibot(issue: v.BaseIssue<unknown>): Located {
  const items = issue.path ?? [];
  const path = items.map((item) => (typeof item.key === "number" ? item.key : String(item.key)));
  return { path, at: items.at(-1)?.origin === "key" ? "key" : "value", message: issue.message };
}

export function parseText(text: string, file: string): ParsedText {
  const out: ParsedText = { objects: [], issues: [], identities: [] };
  const fileIssue = (line: number, column: number, message: string) =>
    out.issues.push({ file, line, column, path: "", message });

  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FILE_BYTES) {
    fileIssue(1, 1, `file is larger than ${MAX_FILE_BYTES} bytes (1 MiB): ${bytes} bytes`);
    return out;
  }
  // Text that did not come from decodeUtf8 (a string handed in by a caller) is checked here too.
  const binary = /[\0\p{Surrogate}]/u.exec(text);
  if (binary) {
    const before = text.slice(0, binary.index);
    fileIssue(before.split("\n").length, binary.index - before.lastIndexOf("\n"), "file is not UTF-8 text");
    return out;
  }

  const yaml = readYamlFile(text);
  for (const problem of yaml.problems) {
    const { line, col } = yaml.lineCounter.linePos(problem.offset);
    fileIssue(line, col, problem.message);
  }
  for (const document of yaml.documents) parseDocument(document, file, yaml.lineCounter, out);
  return out;
}

function parseDocument(
  document: YamlDocument,
  file: string,
  lineCounter: LineCounter,
  out: ParsedText,
): void {
  for (const problem of document.problems) {
    const { line, col } = lineCounter.linePos(problem.offset);
    out.issues.push({ file, line, column: col, path: "", message: problem.message });
  }
  const value = document.value;
  // `---` with nothing after it, or only comments: kubectl skips such documents too.
  if (value === undefined || value === null) return;
  // A `kind: List` (what `mk get -o yaml` prints for several objects): each item is an object,
  // and issues name it by its path, e.g. items[1].spec.replicas.
  if (isMapping(value) && value.apiVersion === "v1" && value.kind === "List" && Array.isArray(value.items)) {
    for (const [i, item] of value.items.entries())
      parseObject(item, ["items", i], document, file, lineCounter, out);
    return;
  }
  parseObject(value, [], document, file, lineCounter, out);
}

function parseObject(
  value: unknown,
  prefix: PathSegment[],
  document: YamlDocument,
  file: string,
  lineCounter: LineCounter,
  out: ParsedText,
): void {
  const root = document.doc.contents;
  const report = (located: Located) => {
    const path = [...prefix, ...located.path];
    const offset = locate(root, path, document.aliasTargets, located.at, document.doc.range[0]);
    const { line, col } = lineCounter.linePos(offset);
    out.issues.push({ file, line, column: col, path: formatPath(path), message: located.message });
  };
  if (!isMapping(value)) {
    report({
      path: [],
      at: "value",
      message: `expected a mapping with apiVersion and kind, got ${describeValue(value)}`,
    });
    return;
  }

  const { apiVersion, kind } = value;
  let envelopeOk = true;
  for (const [field, given] of [
    ["apiVersion", apiVersion],
    ["kind", kind],
  ] as const) {
    if (typeof given === "string") continue;
    envelopeOk = false;
    const message =
      given === undefined ? "required field is missing" : `expected string, got ${describeValue(given)}`;
    report({ path: [field], at: "value", message });
  }
  if (!envelopeOk || typeof apiVersion !== "string" || typeof kind !== "string") return;
  const handler = kindHandler(apiVersion, kind);
  if (handler === undefined) {
    const { field, message } = unsupportedKind(apiVersion, kind);
    report({ path: [field], at: "value", message });
    return;
  }

  const fieldIssues = checkFields(handler.schema, value);
  const shapes = fieldIssues.filter((issue) => issue.shape).map((issue) => issue.path);
  const result = handler.validate(value);
  const located: Located[] = [...fieldIssues];
  for (const issue of result.issues ?? []) {
    const l = fromValibot(issue);
    // A list given for a mapping is reported once, not once per field the mapping lacks.
    if (!shapes.some((shape) => startsWith(l.path, shape))) located.push(l);
  }
  const before = out.issues.length;
  for (const l of located) report(l);

  // Names are compared even when the rest of the document is invalid: one run reports everything.
  const name = isMapping(value.metadata) ? value.metadata.name : undefined;
  if (typeof name === "string") {
    const offset = locate(
      root,
      [...prefix, "metadata", "name"],
      document.aliasTargets,
      "value",
      document.doc.range[0],
    );
    const { line, col } = lineCounter.linePos(offset);
    out.identities.push({ kind: handler.kind, writtenKind: kind, name, file, line, column: col });
  }
  const body = result.issues === undefined ? result.body : undefined;
  if (body && out.issues.length === before && document.problems.length === 0) {
    const start =
      prefix.length > 0
        ? locate(root, prefix, document.aliasTargets, "value", document.doc.range[0])
        : (root?.range[0] ?? document.doc.range[0]);
    const line = lineCounter.linePos(start).line;
    out.objects.push({ ...body, source: { file, line, doc: document.index, apiVersion } });
  }
}
