// The etcd log's guarantees against a real 3-member etcd (no Docker): a writer whose term is over
// is refused by etcd itself (the create-revision compare), nothing reaches its SQLite; a writer
// behind the head is refused; appliers reach the same state in order, once; a replica behind the
// log's compaction asks for a snapshot.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LogApplier, LogIntegrityError } from "../../src/ha/etcd/applier.ts";
import { b64, Gateway, prefixEnd } from "../../src/ha/etcd/gateway.ts";
import { Keys } from "../../src/ha/etcd/keys.ts";
import { LogUnavailableError, LogWriter, NotLeaderError } from "../../src/ha/etcd/log.ts";
import { silentLogger } from "../../src/lib/log.ts";
import type { Mutation } from "../../src/store/mutations.ts";
import { writeApplied } from "../../src/store/replication.ts";
import { Store } from "../../src/store/store.ts";
import { EtcdCluster } from "./ha-cluster.ts";

const etcd = new EtcdCluster();
const dir = mkdtempSync(join(tmpdir(), "mk-ha-log-"));
let gw: Gateway;
const keys = new Keys(`/mk/log-test-${process.pid}`);
let n = 0;
/** A replica's state of cluster "log-test" (the cluster key in etcd says the same). */
function store(): Store {
  const s = Store.open(join(dir, `s${++n}.db`));
  s.sqlite
    .prepare(
      "insert into meta (key, value) values ('cluster_id', 'log-test') on conflict(key) do update set value = excluded.value",
    )
    .run();
  return s;
}
const meta = (key: string, value: string): Mutation => ({ op: "setMeta", key, value });

before(async () => {
  await etcd.up();
  gw = new Gateway({ endpoints: etcd.endpoints });
  await gw.call("/v3/kv/put", { key: b64(keys.cluster), value: b64("log-test") });
});
after(async () => {
  await etcd.down();
  rmSync(dir, { recursive: true, force: true });
});

/** Takes the campaign key for `id` (deleting whoever had it): returns the new term. */
async function campaign(id: string): Promise<number> {
  await gw.call("/v3/kv/deleterange", { key: b64(keys.election) });
  const r = await gw.call<{ header: { revision: string } }>("/v3/kv/put", {
    key: b64(keys.election),
    value: b64(id),
  });
  return Number(r.header.revision);
}

function writer(s: Store, id: string, term: () => number | undefined, fenced: string[] = []) {
  return new LogWriter({
    store: s,
    gateway: gw,
    keys,
    id,
    term,
    onFenced: (why) => fenced.push(why),
    onBehind: () => undefined,
  });
}

/** What another connection (a snapshot, `mk sql --state`, the file after a crash) sees. */
function onDisk(s: Store, key: string): string | undefined {
  const other = Store.open(s.path);
  try {
    return other.getMeta(key);
  } finally {
    other.close();
  }
}

const applier = (s: Store, snapshots: string[] = []) =>
  new LogApplier({
    gateway: gw,
    keys,
    store: s,
    log: silentLogger,
    snapshot: async (why) => {
      snapshots.push(why);
      throw new Error("no snapshot in this test");
    },
  });

test("LogWriter: writes do not block; SQLite's file holds an entry only once etcd committed it", async () => {
  const a = store();
  const term = await campaign("w");
  a.replicator = writer(a, "w", () => term);
  a.commit([meta("x", "1")]);
  a.commit([meta("x", "2")]);
  // Applied in this connection at once (a read-modify-write sees its own write) ...
  assert.equal(a.getMeta("x"), "2");
  assert.equal(a.appliedPosition().seq, 2);
  // ... but not committed in the file, not acknowledged, until etcd has it.
  assert.equal(onDisk(a, "x"), undefined);
  await a.synced();
  assert.equal(onDisk(a, "x"), "2");
  const head = await gw.call<{ kvs?: { value: string }[] }>("/v3/kv/range", { key: b64(keys.head) });
  assert.equal(Buffer.from(head.kvs?.[0]?.value ?? "", "base64").toString(), "2");
  a.close();
});

test("LogWriter: a deposed leader's write is refused by etcd and never reaches its SQLite", async () => {
  const a = store();
  const termA = await campaign("a");
  a.replicator = writer(a, "a", () => termA);
  // a starts from the log's head (the previous test's entries)
  await applier(a).catchUp();
  const start = a.appliedPosition().seq;
  a.commit([meta("x", "1")]);
  a.commit([meta("x", "2")]);
  await a.synced();
  assert.equal(a.appliedPosition().seq, start + 2);

  // a's lease expired and b was elected; a (paused) still believes it leads in termA.
  const termB = await campaign("b");
  assert.ok(termB > termA);
  const fenced: string[] = [];
  a.replicator = writer(a, "a", () => termA, fenced);
  a.commit([meta("x", "stale")]);
  await assert.rejects(a.synced(), NotLeaderError);
  assert.equal(a.getMeta("x"), "2", "rolled back");
  assert.equal(onDisk(a, "x"), "2");
  assert.equal(a.appliedPosition().seq, start + 2);
  assert.equal(fenced.length, 1, "the elector is told to step down");

  // b catches up from the log, then writes the next entry.
  const b = store();
  await applier(b).catchUp();
  assert.equal(b.getMeta("x"), "2");
  b.replicator = writer(b, "b", () => termB);
  b.commit([meta("x", "3")]);
  await b.synced();
  assert.deepEqual({ seq: b.appliedPosition().seq, x: b.getMeta("x") }, { seq: start + 3, x: "3" });

  // a, as a follower now, applies b's entry and only that.
  a.replicator = undefined;
  await applier(a).catchUp();
  assert.equal(a.getMeta("x"), "3");
  assert.equal(a.appliedPosition().seq, start + 3);
  a.close();
  b.close();
});

test("LogWriter: a writer behind the head is refused (no entry skipped or written twice), then resumes", async () => {
  const term = await campaign("c");
  const behind = store(); // has applied nothing: the head is further on
  const w = writer(behind, "c", () => term);
  behind.replicator = w;
  behind.commit([meta("y", "1")]);
  await assert.rejects(behind.synced(), LogUnavailableError);
  assert.equal(behind.getMeta("y"), undefined, "rolled back");
  // until the applier has read the log, no new entry is taken
  assert.throws(() => behind.commit([meta("y", "2")]), LogUnavailableError);
  behind.replicator = undefined;
  await applier(behind).catchUp();
  const head = behind.appliedPosition().seq;
  w.resume();
  behind.replicator = w;
  behind.commit([meta("y", "1")]);
  await behind.synced();
  assert.equal(behind.appliedPosition().seq, head + 1);
  behind.close();
});

test("LogWriter: without a term nothing is written at all", () => {
  const s = store();
  s.replicator = writer(s, "d", () => undefined);
  assert.throws(() => s.commit([meta("z", "1")]), NotLeaderError);
  s.close();
});

test("LogApplier: replicas reach the same rows in log order; one behind the compacted log asks for a snapshot", async () => {
  const fresh = store();
  await applier(fresh).catchUp();
  const head = fresh.appliedPosition().seq;
  assert.equal(head, 6, "two entries of the first test, three of the second, one of the third");
  assert.deepEqual([fresh.getMeta("x"), fresh.getMeta("y")], ["3", "1"]);
  // Compact entries 1-4 away: a new replica cannot start from entry 1 any more.
  await gw.call("/v3/kv/deleterange", { key: b64(keys.logPrefix), range_end: b64(keys.log(5)) });
  const late = store();
  const snapshots: string[] = [];
  await assert.rejects(applier(late, snapshots).catchUp(), /no snapshot in this test/);
  assert.match(snapshots[0] ?? "", /entry 1 is no longer in the log \(it starts at 5; head 6\)/);
  // The log's own keys are ordered: a range from entry 5 reads 5, 6.
  const r = await gw.call<{ kvs?: unknown[] }>("/v3/kv/range", {
    key: b64(keys.log(5)),
    range_end: prefixEnd(keys.logPrefix),
  });
  assert.equal(r.kvs?.length, 2);
  fresh.close();
  late.close();
});

test("LogApplier: a wiped prefix, another cluster's log or a log behind this replica is refused, nothing applied", async () => {
  // A replica at the head (the log's start was compacted away by the test before).
  const s = store();
  const h = await gw.call<{ kvs?: { value: string }[] }>("/v3/kv/range", { key: b64(keys.head) });
  writeApplied(s.sqlite, {
    seq: Number(Buffer.from(h.kvs?.[0]?.value ?? "", "base64").toString()),
    revision: 1,
  });
  s.commit([meta("x", "keep")]);
  await applier(s).catchUp();
  const before = s.appliedPosition().seq;
  assert.ok(before > 0);
  const x = s.getMeta("x");
  const check = async (pattern: RegExp) => {
    const a = applier(s);
    await assert.rejects(
      a.catchUp(),
      (err: Error) => err instanceof LogIntegrityError && pattern.test(err.message),
    );
    assert.match(a.integrity ?? "", pattern);
    assert.equal(s.appliedPosition().seq, before, "nothing applied");
    assert.equal(s.getMeta("x"), x, "nothing deleted");
  };
  const saved = await gw.call<{ kvs?: { key: string; value: string }[] }>("/v3/kv/range", {
    key: b64(`${keys.prefix}/`),
    range_end: prefixEnd(`${keys.prefix}/`),
  });
  // another cluster's log under the prefix
  await gw.call("/v3/kv/put", { key: b64(keys.cluster), value: b64("someone-else") });
  await check(/holds another cluster's log \(someone-else; this replica belongs to log-test\)/);
  // an older backup: the head behind this replica
  await gw.call("/v3/kv/put", { key: b64(keys.cluster), value: b64("log-test") });
  await gw.call("/v3/kv/put", { key: b64(keys.head), value: b64(String(before - 1)) });
  await check(new RegExp(`ends at entry ${before - 1}, behind this replica's entry ${before}`));
  // wiped
  await gw.call("/v3/kv/deleterange", {
    key: b64(`${keys.prefix}/`),
    range_end: prefixEnd(`${keys.prefix}/`),
  });
  await check(
    /lost its data \(no cluster key; this replica has applied \d+ log entries\): refusing to act on an empty log/,
  );
  // restored: applies again
  for (const kv of saved.kvs ?? []) await gw.call("/v3/kv/put", { key: kv.key, value: kv.value });
  const a = applier(s);
  await a.catchUp();
  assert.equal(a.integrity, undefined);
  s.close();
});
