import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { leaseTiming } from "../../src/ha/elector.ts";
import { keepTerm } from "../../src/ha/keep-term.ts";
import { LeaderLoops, runLeadership } from "../../src/ha/leadership.ts";
import { SqliteLeaseElector } from "../../src/ha/sqlite-elector.ts";
import { UsageError } from "../../src/lib/errors.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { readLease } from "../../src/store/lease.ts";
import { Store } from "../../src/store/store.ts";

const until = (signal: AbortSignal) =>
  new Promise<void>((r) =>
    signal.aborted ? r() : signal.addEventListener("abort", () => r(), { once: true }),
  );

const dir = mkdtempSync(join(tmpdir(), "mk-ha-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("leaseTiming() defaults to client-go's ratios and refuses a renew deadline not below the lease", () => {
  assert.deepEqual(leaseTiming(15_000), { leaseMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
  assert.throws(() => leaseTiming(0), UsageError);
  assert.throws(() => leaseTiming(1000, 1000), /renew deadline 1000 ms must be shorter than the lease/);
  assert.throws(() => leaseTiming(1000, 500, 500), /retry period 500 ms must be > 0 and shorter/);
});

test("keepTerm() ends the term within the renew deadline when renewals fail, before the lease expires", async () => {
  const timing = leaseTiming(600, 300, 50);
  const term = new AbortController();
  const t0 = Date.now();
  let calls = 0;
  const why = await keepTerm({
    timing,
    term,
    log: silentLogger,
    since: t0,
    renew: () => {
      calls++;
      throw new Error("SQLITE_BUSY");
    },
  });
  const took = Date.now() - t0;
  assert.equal(why, "renew deadline passed");
  assert.ok(term.signal.aborted);
  assert.ok(took >= 290 && took < timing.leaseMs, `stopped after ${took} ms`);
  assert.ok(calls >= 3, `${calls} attempts`);
});

test("keepTerm() ends the term when a renewal hangs past the deadline", async () => {
  const term = new AbortController();
  const t0 = Date.now();
  const why = await keepTerm({
    timing: leaseTiming(600, 250, 50),
    term,
    log: silentLogger,
    renew: (signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve("renewed"))),
  });
  assert.equal(why, "renew deadline passed");
  assert.ok(Date.now() - t0 < 600);
});

test("keepTerm() keeps the term while renewals succeed and ends it when the lease is lost", async () => {
  const term = new AbortController();
  let n = 0;
  const t0 = Date.now();
  const why = await keepTerm({
    timing: leaseTiming(300, 150, 30),
    term,
    log: silentLogger,
    renew: () => (++n < 15 ? "renewed" : "lost"),
  });
  assert.equal(why, "lease lost");
  assert.equal(n, 15);
  assert.ok(Date.now() - t0 >= 400, "kept the term across many renew deadlines");
});

test("SqliteLeaseElector: a second candidate leads only after the first's term ends and it released", async () => {
  const store = Store.open(join(dir, "lease.db"));
  const timing = leaseTiming(400, 250, 40);
  const a = new SqliteLeaseElector({ store, name: "controller", identity: "a", timing, log: silentLogger });
  const b = new SqliteLeaseElector({ store, name: "controller", identity: "b", timing, log: silentLogger });
  const shutdownA = new AbortController();
  const termA = await a.acquire(shutdownA.signal);
  assert.ok(termA);
  const shutdownB = new AbortController();
  let bLed = 0;
  const bTerm = b.acquire(shutdownB.signal).then((t) => {
    bLed = Date.now();
    return t;
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(bLed, 0, "b waits while a renews");
  assert.equal(readLease(store, "controller")?.holder, "a");
  shutdownA.abort();
  await a.release();
  const tb = await bTerm;
  assert.ok(tb && tb.term > termA.term, "a new term number");
  shutdownB.abort();
  store.close();
});

test("runLeadership() stops every leader loop when the term ends, and runs them again next term", async () => {
  const store = Store.open(join(dir, "loops.db"));
  const timing = leaseTiming(300, 200, 30);
  const elector = new SqliteLeaseElector({
    store,
    name: "controller",
    identity: "x",
    timing,
    log: silentLogger,
  });
  const loops = new LeaderLoops();
  let runs = 0;
  let stopped = 0;
  loops.register("a", async (signal) => {
    runs++;
    await until(signal);
    stopped++;
  });
  loops.register("b", async (signal, term) => {
    // Ends the first term from inside: as a failed leader loop would.
    if (runs === 1) {
      await new Promise((r) => setTimeout(r, 50));
      term.end();
    }
    await until(signal);
  });
  const shutdown = new AbortController();
  const done = runLeadership(elector, loops, shutdown.signal, silentLogger);
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(runs >= 2, `ran ${runs} terms`);
  assert.equal(stopped, runs - 1);
  shutdown.abort();
  await done;
  assert.equal(stopped, runs);
  assert.equal(readLease(store, "controller")?.expiresAt, 0, "released at shutdown");
  store.close();
});
