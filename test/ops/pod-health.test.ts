import assert from "node:assert/strict";
import { test } from "node:test";
import { applyProgress } from "../../src/cli/wait.ts";
import { judgePod } from "../../src/ops/pod-health.ts";
import type { PodView } from "../../src/ops/views.ts";
import { makeContainerView, makePodView } from "../fixtures.ts";

const _container = makeContainerView;
const pod = makePodView;

const crashed = { exitCode: 1, reason: "Error", finishedAt: null, oomKilled: false };

const cases: { title: string; pod: PodView; want: string; why?: RegExp }[] = [
  { title: "Running and Ready is ready", pod: pod(), want: "ready" },
  {
    title: "Running but not Ready waits, naming the container",
    pod: pod({ ready: false }, { ready: false }),
    want: "waiting",
    why: /pod\/web is Running but not Ready \(containers not ready: main\)/,
  },
  {
    title: "a crash loop fails at once with the reason and exit code",
    pod: pod(
      { ready: false, status: "CrashLoopBackOff" },
      { state: "waiting", reason: "CrashLoopBackOff", ready: false, lastTermination: crashed },
    ),
    want: "failed",
    why: /pod\/web is CrashLoopBackOff \(container main\): last exit code 1/,
  },
  {
    title: "an image that cannot be pulled fails",
    pod: pod(
      { phase: "Pending", ready: false },
      { state: "waiting", reason: "ImagePullBackOff", message: "pull access denied", ready: false },
    ),
    want: "failed",
    why: /ImagePullBackOff \(container main\): pull access denied/,
  },
  {
    title: "ErrImagePull fails",
    pod: pod({ phase: "Pending", ready: false }, { state: "waiting", reason: "ErrImagePull", ready: false }),
    want: "failed",
  },
  {
    title: "a container that cannot start fails",
    pod: pod(
      { ready: false },
      { state: "waiting", reason: "RunContainerError", message: "port is already allocated", ready: false },
    ),
    want: "failed",
    why: /RunContainerError.*port is already allocated/,
  },
  {
    title: "a Failed pod fails, with the exit code",
    pod: pod(
      { phase: "Failed", ready: false },
      { state: "terminated", ready: false, lastTermination: crashed },
    ),
    want: "failed",
    why: /pod\/web failed: container main exited with code 1/,
  },
  {
    title: "an unschedulable pod fails with the scheduler's message",
    pod: pod(
      {
        phase: "Pending",
        node: null,
        reason: "Unschedulable",
        message: "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports",
        ready: false,
      },
      { state: "waiting", reason: "Unscheduled", ready: false },
    ),
    want: "failed",
    why: /pod\/web is unschedulable: 0\/3 nodes are available: 3 node\(s\) didn't have free ports/,
  },
  {
    title: "a pod the scheduler flags as transiently unschedulable waits",
    pod: pod(
      {
        phase: "Pending",
        node: null,
        reason: "Unschedulable",
        message: "0/2 nodes are available: 1 node is not ready, 1 node is settling after a restart",
        unschedulableTransient: true,
        ready: false,
      },
      { state: "waiting", reason: "Unscheduled", ready: false },
    ),
    want: "waiting",
    why: /pod\/web is unschedulable: 0\/2 nodes are available: 1 node is not ready/,
  },
  {
    title: "a pod not flagged transient fails whatever its message says (the flag decides, not the text)",
    pod: pod(
      {
        phase: "Pending",
        node: null,
        reason: "Unschedulable",
        message: "0/1 nodes are available: 1 node is not ready",
        unschedulableTransient: false,
        ready: false,
      },
      { state: "waiting", reason: "Unscheduled", ready: false },
    ),
    want: "failed",
    why: /pod\/web is unschedulable: 0\/1 nodes are available: 1 node is not ready/,
  },
  {
    title: "a pod still creating waits",
    pod: pod(
      { phase: "Pending", status: "ContainerCreating", ready: false },
      { state: "waiting", reason: "ContainerCreating", ready: false },
    ),
    want: "waiting",
  },
  {
    title: "the first, immediate restart is not yet a crash loop",
    pod: pod(
      { ready: false },
      { state: "waiting", reason: "Restarting", ready: false, lastTermination: crashed },
    ),
    want: "waiting",
  },
  { title: "a completed pod succeeded", pod: pod({ phase: "Succeeded", ready: false }), want: "succeeded" },
  {
    title: "a terminating pod waits",
    pod: pod({ deletionRequestedAt: "2026-01-01T00:00:00Z" }),
    want: "waiting",
  },
];

for (const c of cases) {
  test(`judgePod(): ${c.title}`, () => {
    const v = judgePod(c.pod);
    assert.equal(v.state, c.want, JSON.stringify(v));
    if (c.why) assert.match("why" in v ? v.why : "", c.why);
  });
}

test("judgePod() waits for a Ready pod to stay Ready for a second after its newest container started", () => {
  const startedAt = "2026-01-01T00:00:10.000Z";
  const p = pod({}, { startedAt });
  const t = Date.parse(startedAt);
  assert.equal(judgePod(p, t + 200).state, "waiting");
  assert.match((judgePod(p, t + 200) as { why: string }).why, /pod\/web is Ready, for less than 1s/);
  assert.equal(judgePod(p, t + 1000).state, "ready");
});

test("applyProgress() is done only when every pod is Ready, and lists the stuck ones as failed", () => {
  const targets = [
    { kind: "Pod", name: "a" },
    { kind: "Pod", name: "b" },
  ];
  const ok = applyProgress(targets, [pod({ name: "a" }), pod({ name: "b" })], []);
  assert.deepEqual(ok, { done: true, waiting: [], failed: [] });
  const stuck = applyProgress(
    targets,
    [
      pod({ name: "a" }),
      pod({ name: "b", ready: false }, { state: "waiting", reason: "CrashLoopBackOff", ready: false }),
    ],
    [],
  );
  assert.equal(stuck.done, false);
  assert.equal(stuck.failed.length, 1);
  assert.match(stuck.failed[0] ?? "", /pod\/b is CrashLoopBackOff/);
  const missing = applyProgress(targets, [pod({ name: "a" })], []);
  assert.deepEqual(missing.waiting, ["pod/b is not created yet"]);
});

test("applyProgress() counts a Succeeded pod as done for apply, and as failed for mk wait", () => {
  const done = [pod({ name: "job", phase: "Succeeded", ready: false })];
  const t = [{ kind: "Pod", name: "job" }];
  assert.equal(applyProgress(t, done, []).done, true);
  const w = applyProgress(t, done, [], { succeededOk: false });
  assert.equal(w.done, false);
  assert.match(w.failed[0] ?? "", /completed \(Succeeded\): it will never be Ready/);
});
