import assert from "node:assert/strict";
import { test } from "node:test";
import {
  durationFlag,
  formatDuration,
  integerFlag,
  parseServerTimings,
  SERVER_TIMING_FLAGS,
  WAIT_FLAG,
} from "../../src/cli/timing-flags.ts";
import { usage } from "./usage-error.ts";

test("parseServerTimings() takes the defaults when no flag is given", () => {
  assert.deepEqual(parseServerTimings({}), {
    resyncMs: 5000,
    heartbeatMs: 1000,
    nodeGraceMs: 4000,
    evictionDelayMs: 2000,
    settleMs: 3000,
    leaseMs: 15_000,
    backoffInitialMs: 10_000,
    backoffMaxMs: 300_000,
    backoffResetMs: 600_000,
    sqlTimeoutMs: 5000,
  });
});

test("parseServerTimings() refuses values that would spin or let two servers lead, naming the flag", () => {
  const cases: [Record<string, string>, string, string][] = [
    [{ lease: "0" }, "--lease", "--lease 0: expected a duration from 1s to 10m"],
    [{ resync: "0" }, "--resync", "--resync 0: expected a duration from 100ms to 1h"],
    [{ heartbeat: "0" }, "--heartbeat", "--heartbeat 0: expected a duration from 100ms to 5m"],
    [{ heartbeat: "10ms" }, "--heartbeat", "--heartbeat 10ms: expected a duration from 100ms to 5m"],
    [{ sqlTimeout: "1h" }, "--sql-timeout", "--sql-timeout 1h: expected a duration from 100ms to 10m"],
    [{ backoffReset: "0" }, "--backoff-reset", "--backoff-reset 0: expected a duration from 1s to 24h"],
    [
      { lease: "soon" },
      "--lease",
      '--lease soon: expected duration like "500ms", "10s" or "1m30s", got "soon"',
    ],
  ];
  for (const [opts, flag, message] of cases) {
    const e = usage(() => parseServerTimings(opts));
    assert.equal(e.message, message);
    assert.equal(e.exitCode, 2);
    assert.equal(e.flag, flag);
  }
});

test("parseServerTimings() enforces grace > heartbeat, backoff max >= initial and renew deadline < lease", () => {
  assert.equal(
    usage(() => parseServerTimings({ heartbeat: "2s", nodeGrace: "2s" })).message,
    "--node-grace 2s: expected longer than --heartbeat (2s): a node must be able to miss a heartbeat before it turns Unknown",
  );
  assert.equal(
    usage(() => parseServerTimings({ backoffInitial: "1m", backoffMax: "30s" })).message,
    "--backoff-max 30s: expected at least --backoff-initial (1m)",
  );
  assert.equal(
    usage(() => parseServerTimings({ lease: "5s", renewDeadline: "5s" })).message,
    "--renew-deadline 5s: expected shorter than --lease (5s): the leader must stop acting before its lease can expire",
  );
  assert.equal(parseServerTimings({ heartbeat: "500ms", nodeGrace: "600ms" }).nodeGraceMs, 600);
  assert.equal(parseServerTimings({ lease: "15s", renewDeadline: "10s" }).leaseMs, 15_000);
});

test("durationFlag() accepts the bounds themselves and 0 where 0 means at once", () => {
  assert.equal(durationFlag(SERVER_TIMING_FLAGS.leaseMs, "1s"), 1000);
  assert.equal(durationFlag(SERVER_TIMING_FLAGS.leaseMs, "10m"), 600_000);
  assert.equal(durationFlag(SERVER_TIMING_FLAGS.evictionDelayMs, "0"), 0);
  assert.equal(durationFlag(SERVER_TIMING_FLAGS.settleMs, undefined), 3000);
});

test("integerFlag() refuses non-numbers, fractions and out-of-range values with the flag's name", () => {
  assert.equal(integerFlag("--sql-max-rows", undefined, 10_000, 1, 1_000_000), 10_000);
  assert.equal(integerFlag("--sql-max-rows", 5, 10_000, 1, 1_000_000), 5);
  for (const bad of ["0", "-1", "1.5", "ten", "2000000"]) {
    assert.equal(
      usage(() => integerFlag("--sql-max-rows", bad, 10_000, 1, 1_000_000)).message,
      `--sql-max-rows ${bad}: expected a whole number from 1 to 1000000`,
    );
  }
});

test("formatDuration() prints the shortest Go-style spelling", () => {
  assert.deepEqual([0, 100, 1000, 1500, 60_000, 90_000, 3_600_000, 86_400_000].map(formatDuration), [
    "0s",
    "100ms",
    "1s",
    "1.5s",
    "1m",
    "1m30s",
    "1h",
    "24h",
  ]);
});

test("WAIT_FLAG (apply and delete --timeout) takes 0 as at once and refuses more than a day", () => {
  assert.equal(durationFlag(WAIT_FLAG, undefined), 120_000);
  assert.equal(durationFlag(WAIT_FLAG, "0"), 0);
  assert.equal(
    usage(() => durationFlag(WAIT_FLAG, "25h")).message,
    "--timeout 25h: expected a duration from 0s to 24h",
  );
});
