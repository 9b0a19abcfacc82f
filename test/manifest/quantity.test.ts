import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatCpuMillis,
  formatMemoryBytes,
  parseCpuMillis,
  parseDurationMs,
  parseMemoryBytes,
} from "../../src/manifest/quantity.ts";

test("parseCpuMillis() converts Kubernetes cpu quantities to millicores", () => {
  const cases: [string | number, number][] = [
    ["500m", 500],
    ["0.5", 500],
    ["2", 2000],
    [1, 1000],
    [0.1, 100], // not 101: exact decimal arithmetic
    ["0.25", 250],
    ["1.5", 1500],
    ["100u", 1], // rounds up, like Kubernetes
    ["1k", 1_000_000],
    ["0", 0],
    [" 250m ", 250],
  ];
  for (const [input, millis] of cases) assert.equal(parseCpuMillis(input), millis, String(input));
});

test("parseMemoryBytes() converts binary, decimal and exponent suffixes to bytes", () => {
  const cases: [string | number, number][] = [
    ["128Mi", 128 * 2 ** 20],
    ["1G", 1e9],
    ["1e3", 1000],
    ["512k", 512_000],
    [1048576, 1048576],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["64Mi", 67108864],
    ["1P", 1e15],
    ["0.5Ki", 512],
    ["1.1", 2], // a fraction of a byte rounds up
    [1e3, 1000],
  ];
  for (const [input, bytes] of cases) assert.equal(parseMemoryBytes(input), bytes, String(input));
});

test("parseCpuMillis() and parseMemoryBytes() throw a RangeError naming the bad value", () => {
  assert.throws(() => parseCpuMillis("abc"), {
    name: "RangeError",
    message: `expected cpu quantity like "500m" or "0.5", got "abc"`,
  });
  assert.throws(() => parseMemoryBytes("128MB"), {
    message: `expected memory quantity like "128Mi" or "1G", got "128MB"`,
  });
  assert.throws(() => parseMemoryBytes("-1Gi"), {
    message: `expected a non-negative memory quantity, got "-1Gi"`,
  });
  assert.throws(() => parseMemoryBytes("1e400"), { message: `memory quantity "1e400" is too large` });
  assert.throws(() => parseMemoryBytes("9Ei"), /too large/);
  assert.throws(() => parseCpuMillis(Number.NaN), /got number NaN/);
  assert.throws(() => parseCpuMillis(""), /got ""/);
});

test("parseDurationMs() converts Go-style durations to milliseconds", () => {
  const cases: [string | number, number][] = [
    ["500ms", 500],
    ["1s", 1000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    ["1h2m3s4ms", 3_723_004],
    ["0", 0],
    [0, 0],
  ];
  for (const [input, ms] of cases) assert.equal(parseDurationMs(input), ms, String(input));
});

test("parseDurationMs() refuses numbers without a unit and unknown units", () => {
  for (const bad of ["5", "1d", "1 s", "s", "-1s", "1us", ""]) {
    assert.throws(() => parseDurationMs(bad), /expected duration like "500ms", "10s" or "1m30s"/, bad);
  }
  assert.throws(() => parseDurationMs(5), {
    message: `expected duration like "500ms", "10s" or "1m30s", got number 5`,
  });
});

test("formatCpuMillis() and formatMemoryBytes() print the shortest Kubernetes spelling", () => {
  assert.equal(formatCpuMillis(250), "250m");
  assert.equal(formatCpuMillis(2000), "2");
  assert.equal(formatMemoryBytes(67108864), "64Mi");
  assert.equal(formatMemoryBytes(1.5 * 2 ** 30), "1536Mi");
  assert.equal(formatMemoryBytes(1000), "1000");
});
