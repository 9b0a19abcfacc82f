import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LocalApi } from "../../src/api/local.ts";
import { childCommand, runSqlIsolated, SqlTimeoutError } from "../../src/api/sql-runner.ts";
import { MkError } from "../../src/lib/errors.ts";
import { SqlRowLimitError, writingPragma } from "../../src/ops/queries.ts";
import { Store } from "../../src/store/store.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-sql-test-"));
const path = join(dir, "state.db");
const RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c";

before(() => Store.open(path).close());
after(() => rmSync(dir, { recursive: true, force: true }));

/** Pids of this process's children that run the SQL child command. */
function sqlChildren(): string[] {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.includes("__mk-sql-child"));
}

test("writingPragma() refuses pragmas that set or act, and lets reads through", () => {
  for (const q of [
    "PRAGMA journal_mode = DELETE",
    "pragma main.journal_mode=delete",
    "  -- comment\n PRAGMA user_version = 7",
    "/* x */ PRAGMA foreign_keys(0)",
    "PRAGMA optimize",
    "PRAGMA wal_checkpoint(TRUNCATE)",
  ])
    assert.ok(writingPragma(q), q);
  for (const q of [
    "PRAGMA journal_mode",
    "pragma table_info(pods)",
    "PRAGMA integrity_check",
    "select 1",
    "PRAGMA index_list('pods')",
  ])
    assert.equal(writingPragma(q), undefined, q);
  assert.equal(
    writingPragma("PRAGMA journal_mode=DELETE"),
    "Cannot run SQL: PRAGMA journal_mode = ... changes the database or the connection, and mk sql is read-only; reading a pragma (PRAGMA journal_mode, PRAGMA table_info(pods)) is allowed",
  );
  // PRAGMA optimize has no reading form: the hint names one that has.
  assert.equal(
    writingPragma("pragma optimize"),
    "Cannot run SQL: PRAGMA optimize changes the database or the connection, and mk sql is read-only; reading a pragma (PRAGMA journal_mode, PRAGMA table_info(pods)) is allowed",
  );
});

test("childCommand() re-enters mk: the executable itself, the bundle, or src/main.ts with the loader", () => {
  assert.deepEqual(childCommand("file:///x/dist/mk.cjs", true).args, ["__mk-sql-child"]);
  assert.deepEqual(childCommand("file:///x/dist/mk.cjs", false).args, ["/x/dist/mk.cjs", "__mk-sql-child"]);
  const dev = childCommand("file:///repo/src/api/sql-runner.ts", false).args;
  assert.deepEqual(dev.slice(-2), ["/repo/src/main.ts", "__mk-sql-child"]);
});

test("runSqlIsolated() answers a query, blobs included", async () => {
  const r = await runSqlIsolated(path, "select 1 as one, x'00ff' as b, 'x' as s", {
    timeoutMs: 10_000,
    maxRows: 10,
  });
  assert.deepEqual(r.columns, ["one", "b", "s"]);
  assert.equal(r.rows[0]?.one, 1);
  assert.ok(Buffer.isBuffer(r.rows[0]?.b));
  assert.deepEqual([...((r.rows[0]?.b as Buffer | undefined) ?? [])], [0, 255]);
});

test("runSqlIsolated() stops a runaway recursive CTE at the time limit while the event loop keeps turning", async () => {
  let maxLag = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 20);
    last = now;
  }, 20);
  const t0 = performance.now();
  try {
    await assert.rejects(runSqlIsolated(path, RUNAWAY, { timeoutMs: 1500, maxRows: 10 }), (err: unknown) => {
      assert.ok(err instanceof SqlTimeoutError);
      assert.equal(
        err.message,
        "Cannot run SQL: the query ran longer than 1.5s and was stopped (the time limit: --timeout on mk sql, --sql-timeout on mk server)",
      );
      assert.equal(err.httpStatus, 400);
      return true;
    });
  } finally {
    clearInterval(tick);
  }
  const took = performance.now() - t0;
  // The limit counts from the query's start; the child's startup (slow on a loaded machine) comes first.
  assert.ok(took >= 1500 && took < 1500 + 20_000, `took ${took} ms`);
  assert.ok(maxLag < 250, `event loop stalled ${maxLag} ms`);
  // The child is killed, not left spinning.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(sqlChildren(), []);
});

test("runSqlIsolated() refuses more rows than the cap, writes, and bad SQL with clear errors", async () => {
  const limits = { timeoutMs: 10_000, maxRows: 5 };
  await assert.rejects(
    runSqlIsolated(
      path,
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 6) SELECT x FROM c",
      limits,
    ),
    (err: unknown) =>
      err instanceof MkError &&
      err.code === "sql_too_many_rows" &&
      err.message === new SqlRowLimitError(5).message,
  );
  const five = await runSqlIsolated(
    path,
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5) SELECT x FROM c",
    limits,
  );
  assert.equal(five.rows.length, 5);
  await assert.rejects(
    runSqlIsolated(path, "delete from pods", limits),
    /mk sql is read-only; only statements that return rows/,
  );
  await assert.rejects(
    runSqlIsolated(path, "PRAGMA journal_mode = DELETE", limits),
    /changes the database or the connection, and mk sql is read-only/,
  );
  await assert.rejects(
    runSqlIsolated(path, "select * from nope", limits),
    /Cannot run SQL: no such table: nope/,
  );
  await assert.rejects(
    runSqlIsolated(path, "select 1; select 2", limits),
    /Cannot run SQL: The supplied SQL string contains more than one statement/,
  );
});

test("runSqlIsolated() refuses a fifth concurrent query with 429 instead of queueing it", async () => {
  const slow = [1, 2, 3, 4].map(() =>
    runSqlIsolated(path, RUNAWAY, { timeoutMs: 1500, maxRows: 1 }).catch((e) => e),
  );
  await assert.rejects(runSqlIsolated(path, "select 1", { timeoutMs: 1000, maxRows: 1 }), (err: unknown) => {
    assert.ok(err instanceof MkError);
    assert.equal(err.httpStatus, 429);
    assert.equal(err.code, "sql_busy");
    return true;
  });
  for (const r of await Promise.all(slow)) assert.ok(r instanceof SqlTimeoutError);
});

test("LocalApi.sql() lets a caller lower the server's limits, never raise them", async () => {
  const store = Store.open(path);
  try {
    const capped = new LocalApi(store, { sqlLimits: { timeoutMs: 10_000, maxRows: 2 } });
    const three = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3) SELECT x FROM c";
    await assert.rejects(capped.sql(three, { maxRows: 100 }), /returns more than 2 rows/);
    await assert.rejects(capped.sql(three, { maxRows: 1 }), /returns more than 1 row \(/);
    // Without a server's cap (the local CLI), the caller's limits are the limits.
    assert.equal((await new LocalApi(store).sql(three, { maxRows: 3 })).rows.length, 3);
  } finally {
    store.close();
  }
});
