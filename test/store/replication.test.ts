import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { StateError } from "../../src/lib/errors.ts";
import type { Mutation } from "../../src/store/mutations.ts";
import type { LogPosition, Replicator } from "../../src/store/replication.ts";
import { Store } from "../../src/store/store.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-repl-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = () => Store.open(join(dir, `s${++n}.db`));

const meta = (key: string, value: string): Mutation => ({ op: "setMeta", key, value });

/** A log in memory: what the etcd LogWriter does, minus etcd. */
class MemoryLog implements Replicator {
  entries: Mutation[][] = [];
  refuse = false;
  begin(): void {}
  synced(): Promise<void> {
    return Promise.resolve();
  }
  append(muts: readonly Mutation[]): LogPosition {
    if (this.refuse) throw new Error("refused");
    this.entries.push([...muts]);
    return { seq: this.entries.length, revision: 100 + this.entries.length };
  }
}

test("Store.commit() with a replicator writes the batch to the log, then records the position with it", () => {
  const store = open();
  const log = new MemoryLog();
  store.replicator = log;
  store.commit([meta("a", "1"), meta("b", "2")]);
  assert.equal(log.entries.length, 1);
  assert.equal(log.entries[0]?.length, 2);
  assert.deepEqual(store.appliedPosition(), { seq: 1, revision: 101 });
  assert.equal(store.getMeta("a"), "1");
  store.close();
});

test("Store.transaction() sends all its commits as ONE log entry, after the reads they depend on", () => {
  const store = open();
  const log = new MemoryLog();
  store.replicator = log;
  store.transaction(() => {
    store.commit([meta("a", "1")]);
    assert.equal(store.getMeta("a"), "1", "visible inside the transaction");
    store.commit([meta("b", "2")]);
  });
  assert.deepEqual(
    log.entries.map((e) => e.length),
    [2],
  );
  assert.deepEqual(store.appliedPosition(), { seq: 1, revision: 101 });
  store.close();
});

test("Store.commit() refused by the log rolls back: nothing reaches SQLite", () => {
  const store = open();
  const log = new MemoryLog();
  store.replicator = log;
  log.refuse = true;
  assert.throws(() => store.commit([meta("a", "1")]), /refused/);
  assert.throws(() => store.transaction(() => store.commit([meta("b", "1")])), /refused/);
  assert.equal(store.getMeta("a"), undefined);
  assert.equal(store.getMeta("b"), undefined);
  assert.deepEqual(store.appliedPosition(), { seq: 0, revision: 0 });
  // and the next write after the log is back is entry 1, not 2
  log.refuse = false;
  store.commit([meta("c", "1")]);
  assert.deepEqual(store.appliedPosition(), { seq: 1, revision: 101 });
  store.close();
});

test("Store.applyLogEntry() applies in order, once, and refuses a gap", () => {
  const store = open();
  assert.equal(store.applyLogEntry({ seq: 1, revision: 7 }, [meta("a", "1")], 0), true);
  assert.equal(store.applyLogEntry({ seq: 1, revision: 7 }, [meta("a", "changed")], 0), false);
  assert.equal(store.getMeta("a"), "1");
  assert.throws(
    () => store.applyLogEntry({ seq: 3, revision: 9 }, [meta("a", "3")], 0),
    /does not follow the applied entry 1/,
  );
  assert.equal(store.applyLogEntry({ seq: 2, revision: 8 }, [meta("a", "2")], 0), true);
  assert.deepEqual(store.appliedPosition(), { seq: 2, revision: 8 });
  store.close();
});

test("Store.commit() without the server's log on an HA replica's file is refused with a clear error", () => {
  const store = open();
  store.sqlite.prepare("insert into meta (key, value) values ('ha_etcd_prefix', '/mk/x')").run();
  assert.throws(
    () => store.commit([meta("a", "1")]),
    (err: unknown) =>
      err instanceof StateError && /replica of the HA control plane at etcd prefix \/mk\/x/.test(err.message),
  );
  store.close();
});
