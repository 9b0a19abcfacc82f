import assert from "node:assert/strict";
import { test } from "node:test";
import { LogReorder, orderLines, orderLogText } from "../../src/runtime/log-order.ts";

// As Docker stored `echo out1; echo err1 >&2; echo out2`: the stderr line read last.
const STORED = [
  "2026-12-01T15:52:21.809053846Z out1",
  "2026-12-01T15:52:21.809230689Z out2",
  "2026-12-01T15:52:21.809172042Z err1",
].join("\n");

test("orderLogText() puts stdout and stderr back in write order and drops stamps not asked for", () => {
  assert.equal(orderLogText(`${STORED}\n`, false), "out1\nerr1\nout2\n");
  assert.equal(
    orderLogText(`${STORED}\n`, true),
    "2026-12-01T15:52:21.809053846Z out1\n2026-12-01T15:52:21.809172042Z err1\n2026-12-01T15:52:21.809230689Z out2\n",
  );
  assert.equal(orderLogText("", false), "");
  // A last line without its newline keeps it missing.
  assert.equal(orderLogText("2026-12-01T00:00:01.000000000Z b\n2026-12-01T00:00:00.5Z a", false), "a\nb");
});

test("orderLines() is stable, reads short fractions, and keeps unstamped lines after their predecessor", () => {
  assert.deepEqual(
    orderLines(
      [
        "2026-12-01T00:00:02Z two",
        "2026-12-01T00:00:01.5Z one-and-a-half",
        "continued without a stamp",
        "2026-12-01T00:00:02.000000000Z two again",
      ],
      false,
    ),
    ["one-and-a-half", "continued without a stamp", "two", "two again"],
  );
  // Text that merely looks like a stamp after the first space is the line's own.
  assert.deepEqual(orderLines(["2026-12-01T00:00:00.1Z  two spaces"], false), [" two spaces"]);
});

test("LogReorder orders a followed stream within its window and releases a partial line", async () => {
  const r = new LogReorder(false, 20);
  const next = () => new Promise<string>((res) => r.once("data", (d: Buffer) => res(d.toString())));
  // Both writes fall in one window (they are synchronous): released together, sorted.
  const first = next();
  r.write("2026-12-01T00:00:00.300Z c\n2026-12-01T00:00:00.100Z a\n2026-12-01T00:00:00.2");
  r.write("00Z b\n");
  assert.equal(await first, "a\nb\nc\n");
  // A line without its newline (a prompt) still shows once its window is over.
  const prompt = next();
  r.write("2026-12-01T00:00:01.000Z prompt> ");
  assert.equal(await prompt, "prompt> ");
  const last = next();
  r.end("2026-12-01T00:00:02.000Z last\n");
  assert.equal(await last, "last\n");
});
