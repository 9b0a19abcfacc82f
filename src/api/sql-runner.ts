// `mk sql` off the event loop, with a time limit and a row cap. Each query runs in a child process
// of its own (mk re-entered as `mk __mk-sql-child`, see sql-child.ts) that is killed when the time
// limit passes. Not a worker thread: Worker.terminate() only interrupts JavaScript, and a query such
// as `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c` never
// leaves SQLite's native loop, so the thread would spin on a core forever and keep the process from
// exiting (better-sqlite3 exposes no sqlite3_interrupt). A process dies on SIGKILL wherever it is,
// its memory is its own (SQLite's heap is capped there), and the server's heartbeats and lease
// renewals never wait for it.
import { spawn } from "node:child_process";
import { isSea } from "node:sea";
import { fileURLToPath } from "node:url";
import { MkError, StateError } from "../lib/errors.ts";
import type { SqlResult } from "../ops/sql.ts";
import { SQL_CHILD_COMMAND } from "../sea/argv.ts";
import { decodeValue, SQL_CHILD_STARTED, type SqlChildAnswer } from "./sql-child.ts";

export interface SqlLimits {
  timeoutMs: number;
  maxRows: number;
}

export const DEFAULT_SQL_LIMITS: SqlLimits = { timeoutMs: 5000, maxRows: 10_000 };

/** Most bytes of JSON a child may answer with (rows x width can still be large under the row cap). */
export const MAX_SQL_ANSWER_BYTES = 64 * 1024 * 1024;

/** How long the query process may take to start (a loaded machine, a cold cache) before its query. */
export const SQL_STARTUP_TIMEOUT_MS = 30_000;

/** The query ran past its time limit and was stopped. */
export class SqlTimeoutError extends MkError {
  constructor(timeoutMs: number) {
    super(
      "sql_timeout",
      `Cannot run SQL: the query ran longer than ${timeoutMs / 1000}s and was stopped (the time limit: --timeout on mk sql, --sql-timeout on mk server)`,
      { details: { timeoutMs }, exitCode: 1, httpStatus: 400 },
    );
  }
}

class SqlChildError extends MkError {
  constructor(e: { code: string; message: string; details: Record<string, unknown> }) {
    const status = e.code === "state_error" || e.code === "internal" ? 500 : 400;
    super(e.code, e.message, { details: e.details, exitCode: status >= 500 ? 3 : 1, httpStatus: status });
  }
}

/** Loader flags (tsx) the source tree needs in the child; nothing else of the parent's argv. */
function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i] ?? "";
    if (/^--(import|require|loader|experimental-loader)=/.test(a)) out.push(a);
    else if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(a) && i + 1 < execArgv.length) {
      out.push(a, execArgv[i + 1] ?? "");
      i++;
    }
  }
  return out;
}

/** How to start mk again: the single executable, the npm bundle, or src/main.ts under tsx. */
export function childCommand(
  moduleUrl: string = import.meta.url,
  sea: boolean = isSea(),
): { command: string; args: string[] } {
  if (sea) return { command: process.execPath, args: [SQL_CHILD_COMMAND] };
  if (moduleUrl.endsWith(".ts")) {
    const main = fileURLToPath(new URL("../main.ts", moduleUrl));
    return { command: process.execPath, args: [...loaderArgs(process.execArgv), main, SQL_CHILD_COMMAND] };
  }
  // The bundle (dist/mk.cjs): this module is inside it.
  return { command: process.execPath, args: [fileURLToPath(moduleUrl), SQL_CHILD_COMMAND] };
}

/** Most queries running at once in one process; more are refused (429), not queued. */
export const MAX_CONCURRENT_SQL = 4;
let running = 0;

/** Runs `query` against the state at `path` in a child process, within `limits`. */
export async function runSqlIsolated(path: string, query: string, limits: SqlLimits): Promise<SqlResult> {
  if (running >= MAX_CONCURRENT_SQL) {
    throw new MkError(
      "sql_busy",
      `Cannot run SQL: ${MAX_CONCURRENT_SQL} queries are already running; try again when one has finished`,
      { exitCode: 1, httpStatus: 429 },
    );
  }
  running++;
  try {
    return await spawnQuery(path, query, limits);
  } finally {
    running--;
  }
}

function spawnQuery(path: string, query: string, limits: SqlLimits): Promise<SqlResult> {
  const { command, args } = childCommand();
  return new Promise<SqlResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: process.env });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = "";
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      fn();
    };
    // Until the child says its query started, only the startup limit runs; then the query's.
    let timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new StateError(
              `Cannot run SQL: the query process did not start within ${SQL_STARTUP_TIMEOUT_MS / 1000}s`,
            ),
          ),
        ),
      SQL_STARTUP_TIMEOUT_MS,
    );
    let started = false;
    child.stdout.on("data", (d: Buffer) => {
      if (!started && Buffer.concat([...out, d]).includes(SQL_CHILD_STARTED)) {
        started = true;
        clearTimeout(timer);
        timer = setTimeout(
          () => finish(() => reject(new SqlTimeoutError(limits.timeoutMs))),
          limits.timeoutMs,
        );
      }
      outBytes += d.length;
      if (outBytes > MAX_SQL_ANSWER_BYTES) {
        finish(() =>
          reject(
            new MkError(
              "sql_too_large",
              `Cannot run SQL: the answer is larger than ${MAX_SQL_ANSWER_BYTES / 1024 / 1024} MiB; select fewer columns or rows`,
              { exitCode: 1, httpStatus: 400 },
            ),
          ),
        );
        return;
      }
      out.push(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      if (err.length < 4096) err += d.toString("utf8");
    });
    child.on("error", (e) =>
      finish(() => reject(new StateError(`Cannot run SQL: cannot start the query process: ${e.message}`))),
    );
    child.on("close", (code, signal) => {
      finish(() => {
        let answer: SqlChildAnswer | undefined;
        try {
          const text = Buffer.concat(out).toString("utf8");
          const at = text.indexOf(SQL_CHILD_STARTED);
          answer = JSON.parse(at === -1 ? text : text.slice(at + SQL_CHILD_STARTED.length)) as SqlChildAnswer;
        } catch {
          answer = undefined;
        }
        if (!answer) {
          reject(
            new StateError(
              `Cannot run SQL: the query process ended (${signal ?? `exit ${code}`}) without an answer${err ? `: ${err.trim().slice(0, 500)}` : ""}`,
            ),
          );
        } else if (!answer.ok) reject(new SqlChildError(answer.error));
        else
          resolve({
            columns: answer.columns,
            rows: answer.rows.map((r) =>
              Object.fromEntries(Object.entries(r).map(([k, v]) => [k, decodeValue(v)])),
            ),
          });
      });
    });
    child.stdin.on("error", () => undefined); // a child that died early; "close" reports it
    child.stdin.end(JSON.stringify({ path, query, maxRows: limits.maxRows }));
  });
}
