// Validation at the edge of the HTTP API: every body, query parameter and path parameter is
// parsed with a valibot schema before any handler runs, the way manifests are: unknown fields
// refused, every problem reported at once with its field path, nothing written on a 400.
// Without this, `POST /api/v1/nodes {"taints": 5}` was stored and failed every controller pass.
import * as v from "valibot";
import { InvalidInputError } from "../lib/errors.ts";
import { checkFields } from "../manifest/check-fields.ts";
import { formatPath, type PathSegment } from "../manifest/errors.ts";
import { MAX_REPLICAS, MAX_SECONDS } from "../manifest/limits.ts";
import { describeValue, schemaMessage } from "../manifest/messages.ts";
import { dns1123LabelError, labelKeyError, labelValueError } from "../manifest/names.ts";
import { TAINT_EFFECTS } from "../manifest/pod-schema.ts";
import { dockerEndpointError } from "../manifest/schema.ts";
import { fields, int, opt, text } from "../manifest/schema-parts.ts";

/** One problem of a request: where (`body`, `query` or `path`), the field path and the message. */
export interface RequestIssue {
  in: "body" | "query" | "path";
  path: string;
  message: string;
}

/** Most manifests in one request (a directory of them is fine; a million is not). */
export const MAX_MANIFESTS = 10_000;
/** Most refs in one delete. */
export const MAX_REFS = 10_000;
/** Longest SQL text. */
export const MAX_SQL_CHARS = 100_000;
/** Longest object name in a path (a DNS-1123 subdomain). */
export const MAX_NAME = 253;

const LOCATION = { body: "request body", query: "query parameter", path: "path parameter" } as const;

/** A 400 listing every issue of a request; `details.issues` carries them for programs. */
export class InvalidRequestError extends InvalidInputError {
  readonly issues: RequestIssue[];
  constructor(issues: RequestIssue[]) {
    const lines = issues.map((i) => `${LOCATION[i.in]}${i.path ? ` ${i.path}` : ""}: ${i.message}`);
    super(`Invalid request: ${lines.join("; ")}`, { issues });
    this.issues = issues;
  }
}

function issuePath(issue: v.BaseIssue<unknown>): PathSegment[] {
  return (issue.path ?? []).map((p) => (typeof p.key === "number" ? p.key : String(p.key)));
}

/**
 * Parses `value` with `schema`, or throws an InvalidRequestError with every issue: unknown fields
 * (with a did-you-mean hint) and schema issues, each with its field path.
 */
export function parseRequest<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  where: RequestIssue["in"],
): v.InferOutput<S> {
  const issues: RequestIssue[] = [];
  const fieldIssues = checkFields(schema, value);
  for (const f of fieldIssues) issues.push({ in: where, path: formatPath(f.path), message: f.message });
  // Below a value of the wrong shape (a list for a mapping), schema issues are noise.
  const shapes = fieldIssues.filter((f) => f.shape).map((f) => f.path);
  const below = (p: PathSegment[]) => shapes.some((s) => s.every((seg, i) => p[i] === seg));
  const result = v.safeParse(schema, value, { message: schemaMessage });
  if (!result.success) {
    for (const i of result.issues) {
      if (below(issuePath(i))) continue;
      const path = formatPath(issuePath(i));
      // An unknown field already reported is not also "required field is missing" elsewhere.
      if (!issues.some((x) => x.path === path && x.message === i.message))
        issues.push({ in: where, path, message: i.message });
    }
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return (result as { output: v.InferOutput<S> }).output;
}

// ---- pieces -------------------------------------------------------------------------------------

/** A list of at most `max` items; longer lists are refused before their items are looked at. */
function boundedList<S extends v.GenericSchema>(item: S, max: number, what: string) {
  return v.pipe(
    v.array(item),
    v.check((l) => l.length <= max, `expected at most ${max} ${what}`),
  );
}

const nonEmpty = (what: string) =>
  text((s) => (s === "" ? `expected a non-empty ${what}, got an empty string` : undefined));

/** An object name as it appears in a path: lower-case DNS-1123 subdomain characters. */
export function objectNameError(name: string): string | undefined {
  if (name.length === 0) return "expected a name, got an empty string";
  if (name.length > MAX_NAME) return `expected a name of at most ${MAX_NAME} characters`;
  return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)
    ? undefined
    : `expected a lower-case name (a-z, 0-9, "-", "."), got ${describeValue(name)}`;
}

const manifestSource = fields({
  file: v.pipe(v.string(), v.maxLength(4096, "expected a file name of at most 4096 characters")),
  text: v.string(),
});

const taint = fields({
  key: text(labelKeyError),
  value: opt(text(labelValueError)),
  effect: v.picklist(TAINT_EFFECTS),
});

/** Digits only, as a query string carries a number: "10" -> 10. */
function queryInt(min: number, max: number) {
  const message = (issue: v.BaseIssue<unknown>) =>
    `expected a whole number ${min}..${max}, got ${describeValue(issue.input)}`;
  return v.pipe(
    v.string(),
    v.regex(/^\d{1,10}$/, message),
    v.transform(Number),
    v.check((n) => n >= min && n <= max, message),
  );
}

const queryBool = v.pipe(
  v.picklist(
    ["0", "1", "true", "false"],
    (i) => `expected 0, 1, true or false, got ${describeValue(i.input)}`,
  ),
  v.transform((s) => s === "1" || s === "true"),
);

// ---- bodies -------------------------------------------------------------------------------------

export const manifestsBody = fields({
  manifests: boundedList(manifestSource, MAX_MANIFESTS, "manifests"),
});

export const applyBody = fields({
  manifests: boundedList(manifestSource, MAX_MANIFESTS, "manifests"),
  dryRun: opt(v.boolean()),
});

export const deleteBody = fields({
  refs: boundedList(fields({ kind: nonEmpty("kind"), name: nonEmpty("name") }), MAX_REFS, "refs"),
  /** mk delete --grace-period: overrides the pods' terminationGracePeriodSeconds. */
  gracePeriodSeconds: opt(int(0, MAX_SECONDS)),
  /** mk delete --force: the pods leave the state at once. */
  force: opt(v.boolean()),
});

export const scaleBody = fields({ replicas: int(0, MAX_REPLICAS) });

export const nodeAddBody = fields({
  name: text((n) => dns1123LabelError(n)),
  docker: text(dockerEndpointError),
  identityFile: opt(nonEmpty("file path")),
  socketPath: opt(
    text((p) => (p.startsWith("/") ? undefined : `expected an absolute path, got ${describeValue(p)}`)),
  ),
  labels: opt(v.record(text(labelKeyError), text(labelValueError))),
  taints: opt(boundedList(taint, 100, "taints")),
});

export const sqlBody = fields({
  query: v.pipe(
    v.string(),
    v.maxLength(MAX_SQL_CHARS, `expected a query of at most ${MAX_SQL_CHARS} characters`),
  ),
  /** The client's own limits; the server uses the smaller of these and its own. */
  timeoutMs: opt(int(1, 24 * 60 * 60 * 1000)),
  maxRows: opt(int(1, 100_000_000)),
});

/** An empty body, or `{}`: routes that take none (cordon, drain) refuse anything else. */
export const noBody = v.optional(fields({}));

// ---- query strings ------------------------------------------------------------------------------

export const eventsQuery = fields({
  kind: opt(v.pipe(v.string(), v.regex(/^[A-Za-z]{1,63}$/, "expected a kind such as Pod"))),
  name: opt(v.pipe(v.string(), valid(objectNameError))),
  limit: opt(queryInt(1, 10_000)),
});

export const logsQuery = fields({
  container: opt(text((n) => dns1123LabelError(n))),
  follow: opt(queryBool),
  tail: opt(queryInt(0, 1_000_000)),
  previous: opt(queryBool),
  timestamps: opt(queryBool),
  allContainers: opt(queryBool),
  sinceTime: opt(
    text((t) =>
      /^\d{4}-\d{2}-\d{2}T/.test(t) && !Number.isNaN(Date.parse(t))
        ? undefined
        : `expected an RFC 3339 time such as 2026-01-02T15:04:05Z, got ${JSON.stringify(t.slice(0, 40))}`,
    ),
  ),
});

/** Query parameters as one mapping; a parameter given twice is refused (it has one meaning). */
export function queryObject(url: URL, ignore: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: RequestIssue[] = [];
  for (const [k, val] of url.searchParams) {
    if (ignore.includes(k)) continue;
    if (Object.hasOwn(out, k)) issues.push({ in: "query", path: k, message: "expected once, given twice" });
    out[k] = val;
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return out;
}

/** Every path parameter of a route, checked as an object name (`:name`) or by its own rule. */
export function checkPathParams(names: readonly string[], values: readonly string[]): void {
  const issues: RequestIssue[] = [];
  names.forEach((n, i) => {
    const message = n === "kind" ? undefined : objectNameError(values[i] ?? "");
    if (message) issues.push({ in: "path", path: n, message });
  });
  if (issues.length > 0) throw new InvalidRequestError(issues);
}

function valid(error: (value: string) => string | undefined) {
  return v.rawCheck<string>(({ dataset, addIssue }) => {
    const message = dataset.typed ? error(dataset.value) : undefined;
    if (message !== undefined) addIssue({ message });
  });
}
