import assert from "node:assert/strict";
import { test } from "node:test";
import { podKubeStatus, podSetKubeStatus } from "../../src/ops/kube-status.ts";
import type { RolloutStatusView } from "../../src/ops/rollout.ts";
import type { ContainerView, PodView } from "../../src/ops/views.ts";
import { makeContainerView, makePodView } from "../fixtures.ts";

const STARTED = "2026-12-01T00:00:01.000Z";
const container = (over: Partial<ContainerView>): ContainerView =>
  makeContainerView({ containerId: "abc", startedAt: STARTED, ...over });
const pod = (over: Partial<PodView>): PodView =>
  makePodView({ startedAt: STARTED, containers: [container({})], ...over });

test("podKubeStatus(): podIP, startTime, conditions and containerStatuses as Kubernetes writes them", () => {
  assert.deepEqual(podKubeStatus(pod({})), {
    podIP: "172.17.0.2",
    podIPs: [{ ip: "172.17.0.2" }],
    startTime: "2026-12-01T00:00:01.000Z",
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Initialized", status: "True" },
      { type: "ContainersReady", status: "True" },
      { type: "Ready", status: "True" },
    ],
    containerStatuses: [
      {
        name: "main",
        image: "mk.local/busybox:1",
        ready: true,
        started: true,
        restartCount: 0,
        containerID: "docker://abc",
        state: { running: { startedAt: "2026-12-01T00:00:01.000Z" } },
        lastState: {},
      },
    ],
  });
  const looping = podKubeStatus(
    pod({
      ready: false,
      containers: [
        container({
          state: "waiting",
          reason: "CrashLoopBackOff",
          message: "back-off 10s restarting failed container main",
          ready: false,
          restartCount: 2,
          lastTermination: {
            exitCode: 1,
            reason: "Error",
            finishedAt: "2026-12-01T00:00:02.000Z",
            oomKilled: false,
          },
        }),
      ],
    }),
  ) as { conditions: { type: string; status: string }[]; containerStatuses: Record<string, unknown>[] };
  assert.deepEqual(looping.conditions.at(-1), { type: "Ready", status: "False" });
  assert.deepEqual(looping.containerStatuses[0]?.state, {
    waiting: { reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container main" },
  });
  assert.deepEqual(looping.containerStatuses[0]?.lastState, {
    terminated: { exitCode: 1, reason: "Error", finishedAt: "2026-12-01T00:00:02.000Z" },
  });
  const pending = podKubeStatus(pod({ node: null, ip: null, startedAt: null, ready: false })) as Record<
    string,
    unknown
  >;
  assert.equal(pending.podIP, undefined);
  assert.deepEqual((pending.conditions as unknown[])[0], { type: "PodScheduled", status: "False" });
  const message = "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports";
  const unschedulable = podKubeStatus(
    pod({
      node: null,
      ip: null,
      startedAt: null,
      ready: false,
      phase: "Pending",
      reason: "Unschedulable",
      message,
    }),
  ) as { conditions: unknown[] };
  assert.deepEqual(unschedulable.conditions[0], {
    type: "PodScheduled",
    status: "False",
    reason: "Unschedulable",
    message,
  });
});

test("podSetKubeStatus(): a Deployment's readyReplicas, availableReplicas, updatedReplicas and conditions", () => {
  const r = {
    name: "web",
    generation: 2,
    observedGeneration: 2,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 2,
    availableReplicas: 2,
    conditions: [{ type: "Available", status: "True" }],
  } as unknown as RolloutStatusView;
  assert.deepEqual(podSetKubeStatus(r), {
    observedGeneration: 2,
    updatedReplicas: 3,
    readyReplicas: 2,
    availableReplicas: 2,
    unavailableReplicas: 1,
    conditions: [{ type: "Available", status: "True" }],
  });
});
