import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FakeClock } from "../../src/lib/clock.ts";
import { type Action, containerKey, type DesiredPod } from "../../src/reconcile/actions.ts";
import { sortAttempts } from "../../src/reconcile/attempts.ts";
import { DEFAULT_BACKOFF } from "../../src/reconcile/backoff.ts";
import { toCreateSpec } from "../../src/reconcile/container-spec.ts";
import { executeActions } from "../../src/reconcile/execute.ts";
import { plan } from "../../src/reconcile/plan.ts";
import { type ContainerStatus, observeContainer } from "../../src/reconcile/status.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";
import { containerLabels, LABEL } from "../../src/runtime/labels.ts";
import type { RuntimeContainer } from "../../src/runtime/runtime.ts";
import { makeContainer, makePod, makeRuntimeContainer, makeStatus } from "../fixtures.ts";

const IMAGE = "mk.local/busybox:1";
const CLUSTER = "c1";

function counts(actions: readonly Action[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of actions) out[a.type] = (out[a.type] ?? 0) + 1;
  return out;
}

function observed(
  pod: DesiredPod,
  o: Partial<RuntimeContainer> = {},
  container = pod.spec.containers[0]!,
  attempt = 0,
): RuntimeContainer {
  const spec = toCreateSpec(pod, container, "local", CLUSTER, attempt);
  return makeRuntimeContainer({
    id: `${pod.name}-${container.name}-id`,
    name: spec.name,
    image: container.image,
    labels: spec.labels,
    ...o,
  });
}

const status = makeStatus;

/** Run `attempt` of the pod's first container (a restart is a new container). */
function run(pod: DesiredPod, attempt: number, o: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return observed(pod, { id: `run-${attempt}`, ...o }, pod.spec.containers[0], attempt);
}

const now = 10_000;
const images = new Set([IMAGE]);

interface Case {
  name: string;
  pods: DesiredPod[];
  observed: RuntimeContainer[];
  statuses?: ContainerStatus[];
  images?: Set<string>;
  liveness?: Map<string, string>;
  want: Record<string, number>;
}

const cases: Case[] = ((): Case[] => {
  const pod = makePod();
  const changed = makePod({ spec: { containers: [makeContainer({ image: "mk.local/busybox:2" })] } });
  return [
    { name: "creates a container for a new pod", pods: [pod], observed: [], want: { create: 1 } },
    {
      name: "does nothing when the container runs with the same spec",
      pods: [pod],
      observed: [observed(pod)],
      want: {},
    },
    {
      name: "starts a created container",
      pods: [pod],
      observed: [observed(pod, { state: "created", startedAt: null })],
      statuses: [status(pod, { state: "waiting", reason: "ContainerCreating" })],
      want: { start: 1 },
    },
    {
      name: "replaces a container whose spec changed",
      pods: [changed],
      observed: [observed(pod)],
      want: { replace: 1 },
    },
    {
      name: "restarts an exited container as a new container when its back-off has passed",
      pods: [pod],
      observed: [observed(pod, { state: "exited", exitCode: 1, finishedAt: 9000 })],
      statuses: [
        status(pod, {
          state: "waiting",
          reason: "CrashLoopBackOff",
          nextRestartAt: 9500,
          lastFinishedAt: 9000,
          backoffStep: 1,
        }),
      ],
      want: { create: 1 },
    },
    {
      name: "removes the run before the previous one when it restarts",
      pods: [pod],
      observed: [
        run(pod, 1, { state: "exited", exitCode: 1, startedAt: 8000, finishedAt: 9000 }),
        run(pod, 0, { state: "exited", exitCode: 1, startedAt: 1000, finishedAt: 2000 }),
      ],
      statuses: [
        status(pod, {
          state: "waiting",
          reason: "CrashLoopBackOff",
          nextRestartAt: 9500,
          lastFinishedAt: 9000,
          restartCount: 1,
          backoffStep: 1,
        }),
      ],
      want: { remove: 1, create: 1 },
    },
    {
      name: "keeps the previous run's container while the current one runs",
      pods: [pod],
      observed: [
        run(pod, 3, { startedAt: 9000 }),
        run(pod, 2, { state: "exited", exitCode: 1, startedAt: 8000, finishedAt: 8500 }),
      ],
      statuses: [status(pod, { restartCount: 3, lastFinishedAt: 8500 })],
      want: {},
    },
    {
      name: "treats the newest run as current even when an older run has a later start time",
      pods: [pod],
      observed: [
        run(pod, 1, { state: "exited", exitCode: 1, startedAt: 5000, finishedAt: 9000 }),
        run(pod, 0, { state: "exited", exitCode: 1, startedAt: 7000, finishedAt: 7100 }),
      ],
      statuses: [
        status(pod, {
          state: "waiting",
          reason: "CrashLoopBackOff",
          nextRestartAt: 20_000,
          lastFinishedAt: 9000,
          backoffStep: 2,
        }),
      ],
      want: {},
    },
    {
      name: "waits while the back-off has not passed",
      pods: [pod],
      observed: [observed(pod, { state: "exited", exitCode: 1, finishedAt: 9000 })],
      statuses: [
        status(pod, {
          state: "waiting",
          reason: "CrashLoopBackOff",
          nextRestartAt: 20_000,
          lastFinishedAt: 9000,
          backoffStep: 2,
        }),
      ],
      want: {},
    },
    {
      name: "leaves a terminated container of a Never pod alone",
      pods: [makePod({ spec: { restartPolicy: "Never" } })],
      observed: [observed(pod, { state: "exited", exitCode: 1, finishedAt: 9000 })],
      statuses: [
        status(pod, { state: "terminated", reason: "Error", lastFinishedAt: 9000, lastExitCode: 1 }),
      ],
      want: {},
    },
    {
      name: "removes an orphan (mk labels, no pod)",
      pods: [],
      observed: [observed(pod)],
      want: { "remove-orphan": 1 },
    },
    {
      name: "never touches a container without mk labels",
      pods: [],
      observed: [{ ...observed(pod), labels: { app: "foreign" } }],
      want: {},
    },
    {
      name: "removes an orphan whose pod was recreated with another uid",
      pods: [makePod({ uid: "99999999-0000-0000-0000-000000000000" })],
      observed: [observed(pod)],
      want: { "remove-orphan": 1, create: 1 },
    },
    {
      name: "removes runs older than the previous one",
      pods: [pod],
      observed: [run(pod, 2), run(pod, 1, { state: "exited" }), run(pod, 0, { state: "exited" })],
      want: { remove: 1 },
    },
    {
      name: "removes an older run that still runs beside the current one",
      pods: [pod],
      observed: [run(pod, 1), run(pod, 0)],
      want: { remove: 1 },
    },
    {
      name: "removes every container of a deleted pod, then the pod",
      pods: [makePod({ deleting: true })],
      observed: [observed(pod)],
      want: { remove: 1, finalize: 1 },
    },
    {
      name: "finalizes a deleted pod with no containers",
      pods: [makePod({ deleting: true })],
      observed: [],
      want: { finalize: 1 },
    },
    {
      name: "stops a container whose liveness probe failed",
      pods: [pod],
      observed: [observed(pod)],
      liveness: new Map([[containerKey("web", "main"), "HTTP GET http://172.17.0.2:80/: 500"]]),
      want: { stop: 1 },
    },
    {
      name: "removes a container no longer in the pod's spec",
      pods: [makePod({ spec: { containers: [makeContainer({ name: "other" })] } })],
      observed: [observed(pod)],
      want: { remove: 1, create: 1 },
    },
  ];
})();

for (const c of cases) {
  test(`plan() ${c.name}`, () => {
    const statuses = new Map((c.statuses ?? []).map((s) => [containerKey(s.pod, s.container), s]));
    const actions = plan({
      node: "local",
      now,
      pods: c.pods,
      observed: c.observed,
      statuses,
      images: c.images ?? images,
      ...(c.liveness ? { livenessFailures: c.liveness } : {}),
    });
    assert.deepEqual(counts(actions), c.want);
    // A restart starts the next run first, then removes the run before the previous one.
    const kinds = actions.map((a) => a.type);
    if (c.name.includes("when it restarts")) assert.deepEqual(kinds, ["create", "remove"]);
    for (const a of actions) assert.ok(a.reason.length > 0, `${a.type} has a reason`);
  });
}

test("plan() asks for a pull when the image is missing and the policy allows it", () => {
  const pod = makePod();
  const [a] = plan({ node: "local", now, pods: [pod], observed: [], statuses: new Map(), images: new Set() });
  assert.equal(a?.type, "create");
  assert.equal(a?.type === "create" && a.pull, true);
  const never = makePod({ spec: { containers: [makeContainer({ imagePullPolicy: "Never" })] } });
  const [b] = plan({
    node: "local",
    now,
    pods: [never],
    observed: [],
    statuses: new Map(),
    images: new Set(),
  });
  assert.equal(b?.type === "create" && b.pull, false);
});

// ---- idempotence, as a property over generated states

const containerArb = fc.record({
  state: fc.constantFrom("running", "exited", "created"),
  exitCode: fc.constantFrom(0, 1, 137),
  stale: fc.boolean(),
  duplicate: fc.boolean(),
});

const podArb = fc.record({
  name: fc.constantFrom("a", "b", "c", "d"),
  policy: fc.constantFrom("Always", "OnFailure", "Never"),
  deleting: fc.boolean(),
  desired: fc.boolean(),
  containers: fc.array(containerArb, { maxLength: 1 }),
});

async function pass(
  rt: FakeRuntime,
  pods: DesiredPod[],
  statuses: Map<string, ContainerStatus>,
  clock: FakeClock,
): Promise<{ actions: Action[]; pods: DesiredPod[] }> {
  const obs = await rt.list({ [LABEL.managed]: "true" });
  for (const p of pods) {
    for (const c of p.spec.containers) {
      const key = containerKey(p.name, c.name);
      const o = sortAttempts(
        obs.filter((x) => x.labels[LABEL.pod] === p.name && x.labels[LABEL.podUid] === p.uid),
      ).current;
      const { status: st } = observeContainer({
        pod: p,
        container: c,
        observed: o,
        prev: statuses.get(key),
        backoff: { ...DEFAULT_BACKOFF, initialMs: 1 },
        probe: { ready: true, started: true },
        now: clock.now(),
      });
      statuses.set(key, st);
    }
  }
  const actions = plan({ node: "local", now: clock.now(), pods, observed: obs, statuses, images: rt.images });
  const results = await executeActions(actions, {
    runtime: rt,
    node: "local",
    cluster: CLUSTER,
    now: () => clock.now(),
    concurrency: 4,
    statuses,
    backoffFor: () => DEFAULT_BACKOFF,
  });
  let remaining = pods;
  for (const r of results) {
    for (const m of r.mutations) {
      if (m.op === "putContainerStatus")
        statuses.set(containerKey(m.status.pod, m.status.container), m.status);
      if (m.op === "deletePod") remaining = remaining.filter((p) => p.name !== m.name);
    }
  }
  return { actions, pods: remaining };
}

test("plan() is idempotent: after its effects, planning again yields no actions", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(podArb, { selector: (p) => p.name, maxLength: 4 }), async (gen) => {
      const clock = new FakeClock(100_000);
      // A stop's grace period passes on the fake clock, not in real time.
      const rt = new FakeRuntime(clock, { wait: async (ms) => clock.step(ms) });
      rt.images.add(IMAGE);
      const pods: DesiredPod[] = [];
      for (const g of gen) {
        const pod = makePod({
          name: g.name,
          ownerName: g.name,
          uid: `uid-${g.name}`,
          deleting: g.deleting,
          spec: { restartPolicy: g.policy },
        });
        if (g.desired || g.deleting) pods.push(pod);
        for (const c of g.containers) {
          const spec = toCreateSpec(pod, pod.spec.containers[0]!, "local", CLUSTER);
          const labels = c.stale ? { ...spec.labels, [LABEL.specHash]: "stale" } : spec.labels;
          const copies = c.duplicate ? 2 : 1;
          for (let i = 0; i < copies; i++) {
            rt.add({
              name: `${spec.name}-${i}`,
              labels,
              state: c.state as RuntimeContainer["state"],
              exitCode: c.state === "exited" ? c.exitCode : null,
              finishedAt: c.state === "exited" ? 50_000 : null,
            });
          }
        }
      }
      rt.add({ name: "foreign", labels: { app: "not-mk" } });
      const statuses = new Map<string, ContainerStatus>();
      const first = await pass(rt, pods, statuses, clock);
      clock.step(10);
      const second = await pass(rt, first.pods, statuses, clock);
      assert.deepEqual(
        second.actions.map((a) => a.type),
        [],
        `second pass planned ${second.actions.map((a) => `${a.type}: ${a.reason}`).join("; ")}`,
      );
      assert.ok(
        [...rt.containers.values()].some((c) => c.name === "foreign"),
        "the foreign container is untouched",
      );
    }),
    { numRuns: 150 },
  );
});

test("containerLabels() carries the contract labels", () => {
  const l = containerLabels({
    cluster: "c",
    pod: "web",
    podUid: "u",
    container: "main",
    node: "local",
    specHash: "h",
  });
  assert.equal(l["mk.managed"], "true");
  assert.equal(l["mk.pod"], "web");
  assert.equal(l["mk.node"], "local");
  assert.equal(l["mk.pod-uid"], "u");
  assert.equal(l["mk.container"], "main");
  assert.equal(l["mk.spec-hash"], "h");
});
