import assert from "node:assert/strict";
import { test } from "node:test";
import { explainSqlError, sqlRefusal } from "../../src/ops/sql-guard.ts";

test("sqlRefusal() refuses pragmas that write or change settings and lets reading ones run", () => {
  for (const q of [
    "pragma journal_mode = delete",
    "PRAGMA main.user_version=5",
    "pragma wal_checkpoint(TRUNCATE)",
    "pragma optimize",
    "  pragma cache_size(10)",
  ])
    assert.match(sqlRefusal(q) ?? "", /^mk sql is read-only: pragmas that write/, q);
  for (const q of [
    "pragma table_info(pods)",
    "pragma journal_mode",
    "pragma integrity_check",
    "select 1",
    "with x as (select 1) select * from x",
  ])
    assert.equal(sqlRefusal(q), undefined, q);
});

test("explainSqlError() says why when a pragma hits the read-only connection", () => {
  assert.match(explainSqlError("pragma foo", "database is locked"), /^mk sql is read-only/);
  assert.equal(explainSqlError("select x", "no such column: x"), "no such column: x");
});
