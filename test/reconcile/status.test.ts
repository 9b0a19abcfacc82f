import assert from "node:assert/strict";
import { test } from "node:test";
import { derivePodStatus, observeContainer, shouldRestart } from "../../src/reconcile/status.ts";
import { makePod, makeRuntimeContainer } from "../fixtures.ts";

const cfg = { initialMs: 1000, maxMs: 4000, resetMs: 60_000 };
const ready = { ready: true, started: true };

const c = makeRuntimeContainer;

test("shouldRestart() follows Kubernetes' restart policies", () => {
  assert.equal(shouldRestart("Always", 0), true);
  assert.equal(shouldRestart("Always", 1), true);
  assert.equal(shouldRestart("OnFailure", 0), false);
  assert.equal(shouldRestart("OnFailure", 1), true);
  assert.equal(shouldRestart("OnFailure", null), true);
  assert.equal(shouldRestart("Never", 1), false);
});

test("observeContainer() schedules an immediate first restart, then back-off", () => {
  const pod = makePod();
  const container = pod.spec.containers[0]!;
  const first = observeContainer({
    pod,
    container,
    observed: c({ state: "exited", exitCode: 137, finishedAt: 2000 }),
    prev: undefined,
    backoff: cfg,
    probe: ready,
    now: 2000,
  });
  assert.equal(first.status.state, "waiting");
  assert.equal(first.status.reason, "Restarting");
  assert.equal(first.status.nextRestartAt, 2000);
  assert.equal(first.status.lastExitCode, 137);
  assert.equal(first.events[0]?.reason, "ContainerDied");
  // restarted at 2000 (the executor records lastRestartAt), dies again at 2500
  const restarted = { ...first.status, state: "running", lastRestartAt: 2000, restartCount: 1 };
  const second = observeContainer({
    pod,
    container,
    observed: c({ state: "exited", exitCode: 1, finishedAt: 2500 }),
    prev: restarted,
    backoff: cfg,
    probe: ready,
    now: 2500,
  });
  assert.equal(second.status.reason, "CrashLoopBackOff");
  assert.equal(second.status.nextRestartAt, 3500);
  assert.ok(second.events.some((e) => e.reason === "BackOff"));
});

test("observeContainer() does not count the same termination twice", () => {
  const pod = makePod();
  const container = pod.spec.containers[0]!;
  const obs = c({ state: "exited", exitCode: 1, finishedAt: 2000 });
  const a = observeContainer({
    pod,
    container,
    observed: obs,
    prev: undefined,
    backoff: cfg,
    probe: ready,
    now: 2000,
  });
  const b = observeContainer({
    pod,
    container,
    observed: obs,
    prev: a.status,
    backoff: cfg,
    probe: ready,
    now: 2100,
  });
  assert.equal(b.events.length, 0);
  assert.equal(b.status.nextRestartAt, a.status.nextRestartAt);
});

test("observeContainer() ends a Never pod's container as terminated and records OOMKilled", () => {
  const pod = makePod({ spec: { restartPolicy: "Never" } });
  const r = observeContainer({
    pod,
    container: pod.spec.containers[0]!,
    observed: c({ state: "exited", exitCode: 137, finishedAt: 5, oomKilled: true }),
    prev: undefined,
    backoff: cfg,
    probe: ready,
    now: 10,
  });
  assert.equal(r.status.state, "terminated");
  assert.equal(r.status.reason, "OOMKilled");
  assert.equal(r.status.lastOomKilled, true);
});

test("observeContainer() treats a running container that vanished as a termination", () => {
  const pod = makePod();
  const container = pod.spec.containers[0]!;
  const running = observeContainer({
    pod,
    container,
    observed: c(),
    prev: undefined,
    backoff: cfg,
    probe: ready,
    now: 1000,
  }).status;
  const gone = observeContainer({
    pod,
    container,
    observed: undefined,
    prev: running,
    backoff: cfg,
    probe: ready,
    now: 3000,
  });
  assert.equal(gone.status.lastReason, "ContainerMissing");
  assert.equal(gone.status.state, "waiting");
});

test("observeContainer() reports readiness only after the startup probe succeeded", () => {
  const pod = makePod();
  const r = observeContainer({
    pod,
    container: pod.spec.containers[0]!,
    observed: c(),
    prev: undefined,
    backoff: cfg,
    probe: { ready: true, started: false },
    now: 1,
  });
  assert.equal(r.status.ready, false);
  assert.equal(r.status.started, false);
});

test("derivePodStatus() gives Succeeded, Failed, Running and Pending like Kubernetes", () => {
  const pod = makePod();
  const base = observeContainer({
    pod,
    container: pod.spec.containers[0]!,
    observed: undefined,
    prev: undefined,
    backoff: cfg,
    probe: ready,
    now: 1,
  }).status;
  assert.equal(derivePodStatus(pod, [base], []).phase, "Pending");
  assert.equal(derivePodStatus(pod, [base], []).reason, "ContainerCreating");
  assert.equal(
    derivePodStatus(pod, [{ ...base, state: "terminated", lastExitCode: 0 }], []).phase,
    "Succeeded",
  );
  assert.equal(derivePodStatus(pod, [{ ...base, state: "terminated", lastExitCode: 2 }], []).phase, "Failed");
  const running = derivePodStatus(pod, [{ ...base, state: "running", ready: true, startedAt: 5 }], [c()]);
  assert.equal(running.phase, "Running");
  assert.equal(running.ready, true);
  assert.equal(running.ip, "172.17.0.2");
  const crash = derivePodStatus(
    pod,
    [{ ...base, state: "waiting", reason: "CrashLoopBackOff", restartCount: 3, startedAt: 5 }],
    [],
  );
  assert.equal(crash.phase, "Running");
  assert.equal(crash.reason, "CrashLoopBackOff");
  assert.equal(crash.restartCount, 3);
  assert.equal(crash.ready, false);
});
