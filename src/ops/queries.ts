// Read-side operations over the store: the views, describe, events, read-only SQL.
import { templateHash } from "../controller/pods.ts";
import { InvalidInputError, MkError, NotFoundError } from "../lib/errors.ts";
import type { MkObjectBody, PodSetObject } from "../manifest/types.ts";
import { podRequests } from "../scheduler/schedule.ts";
import { openSqlite } from "../store/db.ts";
import type { Store } from "../store/store.ts";
import {
  type EventView,
  eventView,
  type NodeView,
  nodeView,
  type PodSetView,
  type PodView,
  podSetView,
  podView,
} from "./views.ts";

export function listPods(store: Store): PodView[] {
  const statuses = store.containerStatuses();
  return store.listPods().map((p) => podView(p, statuses));
}

export function getPod(store: Store, name: string): PodView {
  const p = store.getPod(name);
  if (!p) throw new NotFoundError("pod", name);
  return podView(p, store.containerStatuses(name));
}

export function listPodSets(store: Store): PodSetView[] {
  const pods = store.listPods();
  return store
    .listObjects("PodSet")
    .map((o) => podSetView(o, pods, templateHash(JSON.parse(o.spec) as PodSetObject)));
}

export function getPodSet(store: Store, name: string): PodSetView {
  const o = store.getObject("PodSet", name);
  if (!o) throw new NotFoundError("podset", name);
  return podSetView(
    o,
    store.listPods({ ownerKind: "PodSet", ownerName: name }),
    templateHash(JSON.parse(o.spec) as PodSetObject),
  );
}

export function listNodes(store: Store): NodeView[] {
  const pods = store.listPods();
  return store.listNodes().map((n) => nodeView(n, pods, podRequests));
}

export function getNode(store: Store, name: string): NodeView {
  const n = store.getNode(name);
  if (!n) throw new NotFoundError("node", name);
  return nodeView(n, store.listPods({ node: name }), podRequests);
}

export function listEvents(
  store: Store,
  opts: { kind?: string; name?: string; limit?: number } = {},
): EventView[] {
  return store
    .listEvents({
      ...(opts.kind ? { objectKind: opts.kind } : {}),
      ...(opts.name ? { objectName: opts.name } : {}),
      limit: opts.limit ?? 200,
    })
    .map(eventView);
}

export interface Described {
  kind: string;
  name: string;
  object: MkObjectBody | null;
  status: PodView | PodSetView | NodeView;
  events: EventView[];
}

export function describe(store: Store, kind: string, name: string): Described {
  const events = listEvents(store, { kind, name, limit: 20 });
  const obj = store.getObject(kind, name);
  const object = obj ? (JSON.parse(obj.spec) as MkObjectBody) : null;
  switch (kind) {
    case "Pod": {
      const status = getPod(store, name);
      const row = store.getPod(name);
      return {
        kind,
        name,
        object:
          object ??
          (row
            ? ({
                kind: "Pod",
                metadata: { name, labels: JSON.parse(row.labels), annotations: JSON.parse(row.annotations) },
                spec: JSON.parse(row.spec),
              } as MkObjectBody)
            : null),
        status,
        events,
      };
    }
    case "PodSet":
      return { kind, name, object, status: getPodSet(store, name), events };
    case "Node":
      return { kind, name, object, status: getNode(store, name), events };
    default:
      throw new InvalidInputError(`Cannot describe ${kind}: expected pod, podset or node`);
  }
}

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The query returned more rows than allowed (`details.maxRows`). */
export class SqlRowLimitError extends MkError {
  constructor(maxRows: number) {
    super(
      "sql_too_many_rows",
      `Cannot run SQL: the query returns more than ${maxRows} rows (the row limit: --max-rows on mk sql, --sql-max-rows on mk server); add a LIMIT or a WHERE`,
      { details: { maxRows }, exitCode: 1, httpStatus: 400 },
    );
  }
}

/** Pragmas that take an argument and still only read. */
const READ_PRAGMAS_WITH_ARGUMENT = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_info",
  "index_xinfo",
  "index_list",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
]);
/** Pragmas that act even without an argument. */
const ACTING_PRAGMAS = new Set(["optimize", "wal_checkpoint", "incremental_vacuum", "shrink_memory"]);

/**
 * Why `query` is a PRAGMA that changes the database or the connection (`PRAGMA x = v`,
 * `PRAGMA x(v)` for a setting, `PRAGMA optimize`), or undefined. A read-only connection would
 * refuse some of these with a confusing "database is locked"; others it would obey.
 */
export function writingPragma(query: string): string | undefined {
  const m =
    /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*pragma\s+(?:(?:"[^"]*"|\w+)\s*\.\s*)?"?(\w+)"?\s*(=|\()?/i.exec(
      query,
    );
  if (!m) return undefined;
  const name = (m[1] ?? "").toLowerCase();
  const writes =
    m[2] === "=" || (m[2] === "(" && !READ_PRAGMAS_WITH_ARGUMENT.has(name)) || ACTING_PRAGMAS.has(name);
  if (!writes) return undefined;
  return `Cannot run SQL: PRAGMA ${name}${m[2] ? ` ${m[2] === "=" ? "= ..." : "(...)"}` : ""} changes the database or the connection, and mk sql is read-only; reading a pragma (PRAGMA ${name}, PRAGMA table_info(pods)) is allowed`;
}

/**
 * Runs one statement on a read-only, query-only connection: SQLite itself refuses writes. At most
 * `maxRows` rows are read; one more is an error, not a silently cut result.
 */
export function runSql(
  path: string,
  query: string,
  opts: {
    maxRows?: number /** Process-wide: only for a process of its own. */;
    heapLimitBytes?: number;
  } = {},
): SqlResult {
  const pragma = writingPragma(query);
  if (pragma) throw new InvalidInputError(pragma);
  const sqlite = openSqlite(path, { readonly: true });
  try {
    sqlite.pragma("query_only = ON");
    if (opts.heapLimitBytes !== undefined)
      sqlite.pragma(`hard_heap_limit = ${Math.floor(opts.heapLimitBytes)}`);
    let stmt: ReturnType<typeof sqlite.prepare<unknown[], Record<string, unknown>>>;
    try {
      stmt = sqlite.prepare<unknown[], Record<string, unknown>>(query);
    } catch (err) {
      throw new InvalidInputError(`Cannot run SQL: ${(err as Error).message}`);
    }
    if (!stmt.reader) {
      throw new InvalidInputError(
        "Cannot run SQL: mk sql is read-only; only statements that return rows (SELECT, WITH, PRAGMA reads) are allowed",
      );
    }
    const maxRows = opts.maxRows ?? Number.POSITIVE_INFINITY;
    const rows: Record<string, unknown>[] = [];
    try {
      for (const row of stmt.iterate()) {
        if (rows.length >= maxRows) throw new SqlRowLimitError(maxRows);
        rows.push(row);
      }
      return { columns: stmt.columns().map((c) => c.name), rows };
    } catch (err) {
      if (err instanceof MkError) throw err;
      const message = (err as Error).message;
      throw new InvalidInputError(
        `Cannot run SQL: ${/readonly|read-only|query_only/i.test(message) ? `mk sql is read-only (${message})` : message}`,
      );
    }
  } finally {
    sqlite.close();
  }
}
