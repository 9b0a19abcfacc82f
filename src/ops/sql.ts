// `mk sql`: one read-only statement against the state file, with a row cap, refusing pragmas that
// write. Kept apart from queries.ts so the query child process (api/sql-child.ts) loads little.
import { InvalidInputError, MkError } from "../lib/errors.ts";
import { openSqlite } from "../store/db.ts";

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The query returned more rows than allowed (`details.maxRows`). */
export class SqlRowLimitError extends MkError {
  constructor(maxRows: number) {
    super(
      "sql_too_many_rows",
      `Cannot run SQL: the query returns more than ${maxRows} row${maxRows === 1 ? "" : "s"} (the row limit: --max-rows on mk sql, --sql-max-rows on mk server); add a LIMIT or a WHERE`,
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
  // PRAGMA optimize and friends have no reading form: name one that has.
  const example = ACTING_PRAGMAS.has(name) ? "PRAGMA journal_mode" : `PRAGMA ${name}`;
  return `Cannot run SQL: PRAGMA ${name}${m[2] ? ` ${m[2] === "=" ? "= ..." : "(...)"}` : ""} changes the database or the connection, and mk sql is read-only; reading a pragma (${example}, PRAGMA table_info(pods)) is allowed`;
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
