// The runtime contract against the in-memory fake the unit tests use (the same cases run against
// real Docker in test/integration/runtime-contract.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeRuntime, programOf } from "../../src/runtime/fake.ts";
import { runtimeContract } from "./contract.ts";

runtimeContract("FakeRuntime", async () => {
  const runtime = new FakeRuntime();
  runtime.images.add("mk.local/busybox:1");
  return { runtime, image: "mk.local/busybox:1", labels: { "mk.test": "fake" }, cleanup: async () => {} };
});

test("programOf() reads what a container's command does with SIGTERM and on start", () => {
  assert.deepEqual(programOf({ cmd: ["sleep", "3600"] }), { onTerm: null, exitOnStart: null });
  assert.deepEqual(programOf({ cmd: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"] }), {
    onTerm: 0,
    exitOnStart: null,
  });
  assert.deepEqual(programOf({ entrypoint: ["sh", "-c"], cmd: ['trap "exit 7" SIGTERM; sleep 9'] }), {
    onTerm: 7,
    exitOnStart: null,
  });
  assert.deepEqual(programOf({ cmd: ["sh", "-c", "exit 3"] }), { onTerm: null, exitOnStart: 3 });
  assert.deepEqual(programOf({ cmd: ["sh", "-c", "sleep 5; exit 3"] }), { onTerm: null, exitOnStart: null });
});
