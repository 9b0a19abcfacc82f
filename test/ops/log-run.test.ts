import assert from "node:assert/strict";
import { test } from "node:test";
import { logRun } from "../../src/ops/log-run.ts";
import { sortAttempts } from "../../src/reconcile/attempts.ts";
import type { RuntimeContainer } from "../../src/runtime/runtime.ts";

const run = (id: string, attempt: number, state: RuntimeContainer["state"]): RuntimeContainer => ({
  id,
  name: `web-c-${attempt}`,
  image: "mk.local/busybox:1",
  labels: { "mk.restart": String(attempt) },
  state,
  exitCode: state === "exited" ? 1 : null,
  startedAt: 1000 + attempt,
  finishedAt: state === "exited" ? 2000 + attempt : null,
  oomKilled: false,
  ip: null,
  error: null,
});

test("logRun(): -p is the run before a running one, and the crashed run itself while it waits in back-off", () => {
  const running = sortAttempts([run("old", 1, "exited"), run("new", 2, "running")]);
  assert.equal(logRun(running, false, false)?.id, "new");
  assert.equal(logRun(running, true, false)?.id, "old");

  // CrashLoopBackOff: the newest run exited and waits to be restarted; kubectl logs and logs -p
  // both show it (it is the pod's lastState.terminated).
  const backoff = sortAttempts([run("older", 1, "exited"), run("crashed", 2, "exited")]);
  assert.equal(logRun(backoff, false, true)?.id, "crashed");
  assert.equal(logRun(backoff, true, true)?.id, "crashed");
  const firstCrash = sortAttempts([run("crashed", 0, "exited")]);
  assert.equal(logRun(firstCrash, true, true)?.id, "crashed");

  // Terminated for good (restartPolicy Never / OnFailure after success): -p is the run before.
  assert.equal(logRun(backoff, true, false)?.id, "older");
  assert.equal(logRun(firstCrash, true, false), undefined);
});
