import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { decideLease } from "../../src/ha/lease.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { StateError } from "../../src/lib/errors.ts";
import type { MkObject } from "../../src/manifest/types.ts";
import { applyObjects } from "../../src/ops/apply.ts";
import { runSql } from "../../src/ops/queries.ts";
import { readLease, releaseLease, tryLease } from "../../src/store/lease.ts";
import { loadMigrations } from "../../src/store/migrations.ts";
import { EVENT_TTL_MS, JOURNAL_KEEP, Store } from "../../src/store/store.ts";
import { makePodSpec, makeStatus } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-store-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function hello(image = "mk.local/busybox:1"): MkObject {
  const spec = makePodSpec();
  spec.containers[0]!.image = image;
  return {
    kind: "Pod",
    metadata: { name: "hello", labels: {}, annotations: {} },
    spec,
    source: { file: "hello.yaml", line: 1, doc: 0, apiVersion: "mk/v1" },
  };
}

test("Store.open() applies every migration and records the schema version", () => {
  const s = Store.open(join(dir, "a.db"));
  assert.equal(s.sqlite.pragma("user_version", { simple: true }), loadMigrations().length);
  assert.equal(s.sqlite.pragma("journal_mode", { simple: true }), "wal");
  const tables = (
    s.sqlite.prepare("select name from sqlite_master where type='table'").all() as { name: string }[]
  ).map((t) => t.name);
  for (const t of [
    "objects",
    "pods",
    "container_status",
    "observed_containers",
    "nodes",
    "events",
    "leases",
    "journal",
    "meta",
  ])
    assert.ok(tables.includes(t), t);
  s.close();
});

test("Store.open() refuses a database newer than this mk", () => {
  const path = join(dir, "newer.db");
  const raw = new Database(path);
  raw.pragma("user_version = 999");
  raw.close();
  assert.throws(
    () => Store.open(path),
    (err: unknown) => err instanceof StateError && /newer than this mk supports/.test(err.message),
  );
});

test("Store.open() upgrades an old database (version 0) in place", () => {
  const path = join(dir, "old.db");
  new Database(path).close();
  const s = Store.open(path);
  assert.equal(s.sqlite.pragma("user_version", { simple: true }), loadMigrations().length);
  s.close();
});

test("applyObjects() creates, leaves unchanged, then configures with a new generation", () => {
  const s = Store.open(join(dir, "apply.db"));
  assert.deepEqual(
    applyObjects(s, [hello()]).map((r) => [r.action, r.generation]),
    [["created", 1]],
  );
  for (let i = 0; i < 3; i++)
    assert.deepEqual(
      applyObjects(s, [hello()]).map((r) => [r.action, r.generation]),
      [["unchanged", 1]],
    );
  assert.deepEqual(
    applyObjects(s, [hello("mk.local/busybox:2")]).map((r) => [r.action, r.generation]),
    [["configured", 2]],
  );
  assert.equal(s.getObject("Pod", "hello")?.generation, 2);
  assert.ok(s.journalLength() >= 2, "desired-state writes are journaled");
  s.close();
});

test("applyObjects() with dryRun writes nothing", () => {
  const s = Store.open(join(dir, "dry.db"));
  assert.equal(applyObjects(s, [hello()], { dryRun: true })[0]?.action, "created");
  assert.equal(s.listObjects().length, 0);
  s.close();
});

test("recordEvent aggregates repeats into a count like Kubernetes", () => {
  const clock = new FakeClock();
  const s = Store.open(join(dir, "events.db"), { clock });
  const ev = {
    op: "recordEvent" as const,
    type: "Warning" as const,
    reason: "BackOff",
    objectKind: "Pod",
    objectName: "web",
    node: "local",
    message: "back-off",
  };
  s.commit([{ ...ev, at: 1 }]);
  s.commit([{ ...ev, at: 5 }]);
  s.commit([{ ...ev, node: null, at: 6 }]);
  const events = s.listEvents({ objectName: "web" });
  assert.equal(events.length, 2);
  const agg = events.find((e) => e.node === "local");
  assert.equal(agg?.count, 2);
  assert.equal(agg?.firstSeen, 1);
  assert.equal(agg?.lastSeen, 5);
  s.close();
});

test("decideLease() acquires a free or expired lease and waits for a live one", () => {
  assert.deepEqual(decideLease(undefined, "a", 0), { action: "acquire", epoch: 1 });
  const held = { name: "controller", holder: "b", acquiredAt: 0, renewedAt: 0, expiresAt: 100, epoch: 3 };
  assert.deepEqual(decideLease(held, "a", 50), { action: "wait", holder: "b", expiresAt: 100 });
  assert.deepEqual(decideLease(held, "b", 50), { action: "renew" });
  assert.deepEqual(decideLease(held, "a", 100), { action: "acquire", epoch: 4 });
});

test("tryLease() keeps two controllers from holding one state at once", () => {
  const clock = new FakeClock(1000);
  const path = join(dir, "lease.db");
  const a = Store.open(path, { clock });
  const b = Store.open(path, { clock });
  assert.equal(tryLease(a, "controller", "A", 5000).action, "acquire");
  assert.equal(tryLease(b, "controller", "B", 5000).action, "wait");
  clock.step(6000);
  assert.equal(tryLease(b, "controller", "B", 5000).action, "acquire");
  assert.equal(readLease(a, "controller")?.epoch, 2);
  releaseLease(b, "controller", "B");
  assert.equal(tryLease(a, "controller", "A", 5000).action, "acquire");
  a.close();
  b.close();
});

test("runSql() answers queries and refuses writes", () => {
  const path = join(dir, "sql.db");
  const s = Store.open(path);
  applyObjects(s, [hello()]);
  const r = runSql(path, "select kind, name, generation from objects");
  assert.deepEqual(r.columns, ["kind", "name", "generation"]);
  assert.deepEqual(r.rows, [{ kind: "Pod", name: "hello", generation: 1 }]);
  assert.throws(() => runSql(path, "delete from objects"), /read-only/);
  assert.throws(() => runSql(path, "select * from nope"), /no such table/);
  assert.equal(s.listObjects().length, 1);
  s.close();
});

test("stale agent writes are dropped: another uid, another node, or a finalize of an older incarnation", () => {
  const s = Store.open(join(dir, "guard.db"));
  applyObjects(s, [hello()]);
  const pod = s.getPod("hello");
  assert.ok(pod);
  s.commit([{ op: "bindPod", name: "hello", node: "a", at: 1 }]);
  const status = makeStatus(
    { name: "hello", uid: pod.uid },
    { containerId: "c1", startedAt: 1, updatedAt: 1 },
  );
  s.commit([{ op: "putContainerStatus", status, node: "b" }]);
  assert.equal(s.containerStatuses("hello").length, 0, "written from the wrong node: dropped");
  s.commit([{ op: "putContainerStatus", status, node: "a" }]);
  assert.equal(s.containerStatuses("hello").length, 1);
  s.commit([{ op: "unbindPod", name: "hello", reason: "node lost", newUid: "new-uid" }]);
  s.commit([{ op: "putContainerStatus", status, node: "a" }]);
  assert.equal(s.containerStatuses("hello").length, 0, "the old incarnation's status is fenced off");
  s.commit([{ op: "deletePod", name: "hello", uid: pod.uid }]);
  assert.ok(s.getPod("hello"), "a finalize of the old uid does not delete the new incarnation");
  s.close();
});

test("Store.commit() trims the journal and expired events on every write path (short-lived stores too)", () => {
  const clock = new FakeClock(10 * EVENT_TTL_MS);
  const file = join(dir, "trim.db");
  const ev = (name: string, at: number) =>
    ({
      op: "recordEvent",
      type: "Normal",
      reason: "Scaled",
      objectKind: "PodSet",
      objectName: name,
      node: null,
      message: "m",
      at,
    }) as const;
  const meta = (i: number) =>
    ({
      op: "upsertNode",
      name: `n${i % 3}`,
      docker: "unix:///x",
      identityFile: null,
      socketPath: null,
      labels: "{}",
      taints: "[]",
      unschedulable: false,
      at: i,
    }) as const;
  // Many processes, each writing a little (what `mk node add`/`mk scale` without a server do).
  const keep = 200;
  for (let p = 0; p < 30; p++) {
    const s = Store.open(file, { clock, journalKeep: keep });
    s.commit(Array.from({ length: keep / 20 }, (_, i) => meta(p * 1000 + i)));
    s.commit([ev(`old-${p}`, clock.now())]);
    s.close();
    clock.step(EVENT_TTL_MS / 10);
  }
  assert.equal(JOURNAL_KEEP, 10_000, "the documented bound (docs/state.md)");
  const s = Store.open(file, { clock, journalKeep: keep });
  assert.equal(s.journalLength(), keep, "the journal keeps exactly its last journalKeep entries");
  const seqs = s.sqlite.prepare("select min(seq) lo, max(seq) hi from journal").get() as {
    lo: number;
    hi: number;
  };
  assert.equal(seqs.hi - seqs.lo + 1, keep, "the newest ones");
  assert.equal(seqs.hi, 30 * (keep / 20), "every write was journaled");
  s.commit([ev("new", clock.now())]);
  const names = s.listEvents().map((e) => e.objectName);
  assert.ok(names.length <= 11, `events older than the TTL are gone: ${names.join(" ")}`);
  assert.ok(!names.includes("old-0") && names.includes("old-29") && names.includes("new"));
  s.close();
});
