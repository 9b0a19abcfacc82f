// The child process side of `mk sql`: reads {path, query, maxRows} as JSON on stdin, runs the query
// on its own read-only connection (ops/queries.ts runSql) and writes one JSON answer on stdout.
// mk re-enters itself for this (main.ts, `mk __mk-sql-child`), so it works from the source tree,
// the npm bundle and the single executable alike. See sql-runner.ts for why a process, not a thread.
import { MkError } from "../lib/errors.ts";
import { runSql } from "../ops/sql.ts";

/** What the child prints: rows (blobs as {"$blob": base64}) or an error envelope. */
export type SqlChildAnswer =
  | { ok: true; columns: string[]; rows: Record<string, unknown>[] }
  | { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

/** The child's first line: the query starts now (the time limit counts from here, not from spawn). */
export const SQL_CHILD_STARTED = "mk-sql-started\n";

/** SQLite's own memory in the child (a group_concat over a runaway CTE ends here, not in swap). */
export const SQL_CHILD_HEAP_BYTES = 256 * 1024 * 1024;

export function encodeValue(v: unknown): unknown {
  return Buffer.isBuffer(v) ? { $blob: v.toString("base64") } : typeof v === "bigint" ? v.toString() : v;
}

export function decodeValue(v: unknown): unknown {
  if (typeof v === "object" && v !== null && "$blob" in v && typeof v.$blob === "string")
    return Buffer.from(v.$blob, "base64");
  return v;
}

export function answerQuery(input: unknown): SqlChildAnswer {
  const req = input as { path?: unknown; query?: unknown; maxRows?: unknown };
  try {
    if (typeof req.path !== "string" || typeof req.query !== "string" || typeof req.maxRows !== "number")
      throw new MkError("internal", "mk sql child: expected {path, query, maxRows} on stdin");
    const res = runSql(req.path, req.query, { maxRows: req.maxRows, heapLimitBytes: SQL_CHILD_HEAP_BYTES });
    return {
      ok: true,
      columns: res.columns,
      rows: res.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, encodeValue(v)]))),
    };
  } catch (err) {
    const e =
      err instanceof MkError
        ? err.toJSON()
        : { code: "internal", message: (err as Error)?.message ?? String(err), details: {} };
    return { ok: false, error: e };
  }
}

/** Entry of the child: stdin to stdout, exit 0 whenever an answer was written. */
export async function runSqlChild(): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  let input: unknown;
  try {
    input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    input = undefined;
  }
  const write = (text: string) =>
    new Promise<void>((resolve, reject) =>
      process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
    );
  await write(SQL_CHILD_STARTED);
  await write(JSON.stringify(answerQuery(input)));
  return 0;
}
