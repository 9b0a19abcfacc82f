// Rolling updates on the real Docker engine: both bounds sampled every 250 ms, a stall at the
// progress deadline with the old pods serving, undo, rollbackOnFailure, pause/resume (and a paused
// rollout scaled proportionally), restart,
// history with a limit, Recreate, scale and template change mid-rollout, and a SIGKILLed server.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { proportionalSizes } from "../../src/controller/proportional.ts";
import { docker, IMAGE, requireDocker, Sandbox, waitFor } from "./harness.ts";

interface PodJson {
  name: string;
  owner: { kind: string; name: string };
  phase: string;
  ready: boolean;
  readySince: string | null;
  deletionRequestedAt: string | null;
  labels: Record<string, string>;
}

let box: Sandbox;
let server: Awaited<ReturnType<Sandbox["server"]>>;
const SERVER_ARGS = ["--resync", "1s"];

before(async () => {
  await requireDocker();
  box = new Sandbox();
  server = await box.server(SERVER_ARGS);
});
after(async () => {
  await box?.cleanup();
});

interface PodSetOpts {
  name: string;
  replicas?: number;
  version: string;
  /** false: the readiness probe never passes. */
  ready?: boolean;
  strategy?: string;
  extra?: string;
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
}

/** A readiness-gated PodSet: a pod turns Ready about 1 s after it starts (or never: GET /ready is 404). */
function podSet(o: PodSetOpts): string {
  const ready = o.ready ?? true;
  return `apiVersion: mk/v1
kind: PodSet
metadata:
  name: ${o.name}
  annotations: { kubernetes.io/change-cause: "version ${o.version}" }
spec:
  replicas: ${o.replicas ?? 4}
  minReadySeconds: ${o.minReadySeconds ?? 1}
  progressDeadlineSeconds: ${o.progressDeadlineSeconds ?? 60}
  strategy: ${o.strategy ?? "{ type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }"}
  selector: { matchLabels: { app: ${o.name} } }
${o.extra ?? ""}  template:
    metadata: { labels: { app: ${o.name}, version: "${o.version}" } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: app
          image: ${IMAGE}
          command: ["sh", "-c", "mkdir -p /tmp/w; ${ready ? "sleep 1; touch /tmp/w/ready; " : ""}exec httpd -f -p 8080 -h /tmp/w"]
          env: [{ name: VERSION, value: "${o.version}" }]
          # HTTP, not exec: a docker exec can take seconds on a loaded machine, a GET does not.
          readinessProbe:
            httpGet: { path: /ready, port: 8080 }
            periodSeconds: 1
            timeoutSeconds: 2
`;
}

async function apply(o: PodSetOpts, wait = false): Promise<void> {
  const file = join(box.dir, `${o.name}-${o.version}.yaml`);
  writeFileSync(file, podSet(o));
  await box.ok([
    "apply",
    "-f",
    file,
    "--server",
    server.url,
    ...(wait ? ["--timeout", "60s"] : ["--no-wait"]),
  ]);
}

async function pods(owner: string): Promise<PodJson[]> {
  const r = await fetch(`${server.url}/api/v1/pods`);
  const all = (await r.json()) as PodJson[];
  return all.filter((p) => p.owner.kind === "PodSet" && p.owner.name === owner);
}

/** Samples the API every 250 ms until `stop` resolves; asserts both bounds at every sample. */
function sampleBounds(
  owner: string,
  b: { replicas: number; surge: number; unavailable: number; minReadyMs: number },
): { stop: () => Promise<number> } {
  let running = true;
  let samples = 0;
  const violations: string[] = [];
  const loop = (async () => {
    while (running) {
      const list = (await pods(owner).catch(() => undefined)) ?? [];
      // After the answer: a pod available when the server answered is available now.
      const now = Date.now();
      if (list.length > 0) {
        samples++;
        const alive = list.filter((p) => !p.deletionRequestedAt);
        const available = alive.filter(
          (p) => p.ready && p.readySince !== null && Date.parse(p.readySince) + b.minReadyMs <= now,
        );
        if (alive.length > b.replicas + b.surge)
          violations.push(`${alive.length} pods > ${b.replicas} + ${b.surge}`);
        if (available.length < b.replicas - b.unavailable)
          violations.push(
            `${available.length} available < ${b.replicas} - ${b.unavailable}: ${alive.map((p) => `${p.labels.version}:${p.ready ? "ready" : "not-ready"}`).join(" ")}`,
          );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      assert.deepEqual(violations, [], `bounds violated at ${violations.length} of ${samples} samples`);
      return samples;
    },
  };
}

/** All `n` pods Ready for over minReadySeconds (1 s): the starting point of a bounds check. */
async function allAvailable(owner: string, n: number): Promise<void> {
  await waitFor(
    async () => {
      const list = (await pods(owner)).filter((p) => !p.deletionRequestedAt);
      return (
        list.length === n &&
        list.every((p) => p.ready && p.readySince !== null && Date.parse(p.readySince) + 1200 < Date.now())
      );
    },
    30_000,
    `${n} available pods of ${owner}`,
  );
}

async function runningVersions(owner: string): Promise<string[]> {
  const list = (await box.containers({ "mk.owner": owner })).filter((c) => c.State === "running");
  return Promise.all(
    list.map(async (c) => {
      const env = (await docker.getContainer(c.Id).inspect()).Config.Env ?? [];
      return env.find((e) => e.startsWith("VERSION="))?.slice(8) ?? "?";
    }),
  );
}

const status = (name: string, extra: string[] = []) =>
  box.mk(["rollout", "status", `podset/${name}`, "--server", server.url, ...extra], { timeoutMs: 90_000 });

test("rolling update of 4 readiness-gated pods keeps maxSurge 1 / maxUnavailable 1 at every 250 ms sample", async () => {
  await apply({ name: "web", version: "1" }, true);
  await allAvailable("web", 4);
  const bounds = sampleBounds("web", { replicas: 4, surge: 1, unavailable: 1, minReadyMs: 1000 });
  await apply({ name: "web", version: "2" });
  const r = await status("web", ["--timeout", "60s"]);
  const samples = await bounds.stop();
  assert.equal(r.code, 0, r.stderr);
  // Which progress lines appear depends on how far the rollout got before the CLI's first look
  // (each message is unit-tested in test/ops/rollout-status.test.ts); that it waited, it must say.
  assert.match(
    r.stdout,
    /^Waiting for rollout to finish: (\d+ out of 4 new replicas have been updated|\d+ old replicas are pending termination|\d+ of 4 updated replicas are available)\.\.\.$/m,
  );
  assert.match(r.stdout, /podset "web" successfully rolled out\n$/);
  assert.ok(samples >= 8, `${samples} samples`);
  await waitFor(async () => (await runningVersions("web")).length === 4, 10_000, "old containers gone");
  assert.deepEqual(await runningVersions("web"), ["2", "2", "2", "2"]);
  const history = await box.ok(["rollout", "history", "podset/web", "--server", server.url]);
  assert.match(history, /REVISION\s+CHANGE-CAUSE\s+AGE\s+IMAGES/);
  assert.match(history, /\n1\s+version 1\s/);
  assert.match(history, /\n2\s+version 2\s/);
  const get = await box.ok(["get", "podsets", "web", "--server", server.url]);
  assert.match(get, /NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+4\/4\s+4\s+4\s/);
});

test("a never-ready template stalls at its deadline with the old pods serving; rollout status exits 1; undo goes back", async () => {
  const o = { name: "stall", replicas: 3, progressDeadlineSeconds: 5 };
  await apply({ ...o, version: "1" }, true);
  await waitFor(async () => (await pods("stall")).filter((p) => p.ready).length === 3, 30_000, "v1 ready");
  await apply({ ...o, version: "2", ready: false });
  const r = await status("stall", ["--timeout", "60s"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error: podset "stall" exceeded its progress deadline/);
  const list = await pods("stall");
  const oldReady = list.filter((p) => p.labels.version === "1" && p.ready && !p.deletionRequestedAt);
  assert.ok(
    oldReady.length >= 2,
    `old pods still serving: ${oldReady.length} (replicas 3 - maxUnavailable 1)`,
  );
  const described = await box.ok(["describe", "podset", "stall", "--server", server.url]);
  assert.match(described, /Progressing\s+False\s+ProgressDeadlineExceeded/);
  assert.match(described, /ProgressDeadlineExceeded/);

  assert.match(
    await box.ok(["rollout", "undo", "podset/stall", "--server", server.url]),
    /podset\/stall rolled back/,
  );
  const back = await status("stall", ["--timeout", "60s"]);
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await runningVersions("stall"), ["1", "1", "1"]);
});

test("rollbackOnFailure rolls back by itself when the deadline passes", async () => {
  const o = { name: "auto", replicas: 2, progressDeadlineSeconds: 4, extra: "  rollbackOnFailure: true\n" };
  await apply({ ...o, version: "1" }, true);
  await apply({ ...o, version: "2", ready: false });
  await waitFor(
    async () => {
      const ev = await box.ok(["events", "--for", "podset/auto", "--server", server.url]);
      return /RolledBack/.test(ev) && /ProgressDeadlineExceeded/.test(ev);
    },
    30_000,
    "automatic rollback",
  );
  const r = await status("auto", ["--timeout", "60s"]);
  assert.equal(r.code, 0, r.stderr);
  await waitFor(async () => (await runningVersions("auto")).join() === "1,1", 15_000, "v1 pods only");
  const history = await box.ok(["rollout", "history", "podset/auto", "--server", server.url]);
  assert.match(history, /\n2\s+version 2\s/);
  assert.match(history, /\n3\s+version 1\s/, "revision 1 came back as revision 3");
});

test("pause stores template changes without rolling them out; undo is refused while paused; a paused rollout scales proportionally; resume rolls out", async () => {
  const o = { name: "paused", replicas: 4 };
  await apply({ ...o, version: "1" }, true);
  assert.match(await box.ok(["rollout", "pause", "podset/paused", "--server", server.url]), /paused/);
  await apply({ ...o, version: "2" });
  await new Promise((r) => setTimeout(r, 2500));
  assert.deepEqual((await runningVersions("paused")).sort(), ["1", "1", "1", "1"], "no rollout while paused");
  const undo = await box.mk(["rollout", "undo", "podset/paused", "--server", server.url]);
  assert.equal(undo.code, 1);
  assert.match(undo.stderr, /paused; resume it first/);

  // Paused again as soon as the rollout has pods of both revisions, then scaled 4 -> 8: the extra
  // pods are shared out as Kubernetes does for a paused Deployment (proportional.ts), up to 8 + maxSurge 1.
  await box.ok(["rollout", "resume", "podset/paused", "--server", server.url]);
  await waitFor(async () => (await pods("paused")).some((p) => p.labels.version === "2"), 30_000, "v2 pods");
  await box.ok(["rollout", "pause", "podset/paused", "--server", server.url]);
  const mix = async () => {
    const alive = (await pods("paused")).filter((p) => !p.deletionRequestedAt);
    const n = (v: string) => alive.filter((p) => p.labels.version === v).length;
    return { v1: n("1"), v2: n("2") };
  };
  // The pass that saw the pause may still have been planning: take the mix once it holds still.
  let before = await mix();
  await waitFor(
    async () => {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await mix();
      const same = now.v1 === before.v1 && now.v2 === before.v2;
      before = now;
      return same;
    },
    20_000,
    "a still mix while paused",
  );
  assert.ok(before.v1 > 0 && before.v2 > 0, `paused with pods of both revisions: ${JSON.stringify(before)}`);
  const expected = proportionalSizes({
    groups: [
      { revision: 1, size: before.v1, available: 0 },
      { revision: 2, size: before.v2, available: 0 },
    ],
    newest: 2,
    replicas: 8,
    surge: 1,
    sizeBeforeScale: before.v1 + before.v2,
  });
  console.log(
    `paused with ${JSON.stringify(before)}, scaled to 8: ${JSON.stringify(Object.fromEntries(expected))}`,
  );
  await box.ok(["scale", "podset/paused", "--replicas", "8", "--server", server.url]);
  await waitFor(
    async () => {
      const now = await mix();
      return now.v1 === expected.get(1) && now.v2 === expected.get(2);
    },
    30_000,
    `proportional scale of ${JSON.stringify(before)} to ${JSON.stringify(Object.fromEntries(expected))}`,
  );
  assert.equal((expected.get(1) ?? 0) + (expected.get(2) ?? 0), 9, "8 replicas + maxSurge 1");
  await waitFor(
    async () => (await runningVersions("paused")).filter((v) => v === "1").length === expected.get(1),
    30_000,
    "the old revision's new pods run the old template",
  );

  await box.ok(["rollout", "resume", "podset/paused", "--server", server.url]);
  assert.equal((await status("paused", ["--timeout", "90s"])).code, 0);
  await waitFor(
    async () => (await runningVersions("paused")).join() === "2,2,2,2,2,2,2,2",
    30_000,
    "8 pods of v2 after resume",
  );
});

test("restart makes a new revision with mk/restartedAt and replaces every pod; set image too; history keeps the limit", async () => {
  const o = { name: "hist", replicas: 2, extra: "  revisionHistoryLimit: 1\n" };
  await apply({ ...o, version: "1" }, true);
  const before = new Set((await pods("hist")).map((p) => p.name));
  assert.match(await box.ok(["rollout", "restart", "podset/hist", "--server", server.url]), /restarted/);
  assert.equal((await status("hist", ["--timeout", "60s"])).code, 0);
  const after1 = (await pods("hist")).filter((p) => !p.deletionRequestedAt);
  assert.equal(after1.length, 2);
  assert.ok(
    after1.every((p) => !before.has(p.name)),
    "every pod replaced",
  );
  const rev = await box.ok(["rollout", "history", "podset/hist", "--revision", "2", "--server", server.url]);
  assert.match(rev, /mk\/restartedAt/);
  assert.match(
    await box.ok(["set", "image", "podset/hist", `app=${IMAGE}`, "--server", server.url]),
    /image unchanged/,
  );
  const bad = await box.mk(["set", "image", "podset/hist", "nope=x:1", "--server", server.url]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unable to find container named "nope"/);
  await box.ok(["rollout", "restart", "podset/hist", "--server", server.url]);
  assert.equal((await status("hist", ["--timeout", "60s"])).code, 0);
  const history = await box.json<{ revision: number }[]>([
    "rollout",
    "history",
    "podset/hist",
    "--server",
    server.url,
  ]);
  assert.deepEqual(
    history.map((h) => h.revision),
    [2, 3],
    "revisionHistoryLimit 1: one old revision kept",
  );
});

test("rollout status fails fast naming the pod's reason when the new image cannot be pulled", async () => {
  const o = { name: "badimage", replicas: 2, progressDeadlineSeconds: 600 };
  await apply({ ...o, version: "1" }, true);
  assert.match(
    await box.ok(["set", "image", "podset/badimage", "app=mk.local/no-such-image:1", "--server", server.url]),
    /podset\/badimage image updated/,
  );
  const t0 = Date.now();
  const r = await status("badimage", ["--timeout", "60s"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /error: podset "badimage" rollout failed: pod "badimage-[a-z0-9-]+" container "app" is in (ErrImagePull|ImagePullBackOff)/,
  );
  assert.ok(Date.now() - t0 < 30_000, "long before the 600 s deadline");
  const history = await box.ok(["rollout", "history", "podset/badimage", "--server", server.url]);
  assert.match(
    history,
    /mk set image podset\/badimage app=mk.local\/no-such-image:1\s+\S+\s+mk.local\/no-such-image:1/,
  );
  const serving = (await pods("badimage")).filter(
    (p) => p.labels.version === "1" && p.ready && !p.deletionRequestedAt,
  );
  assert.equal(
    serving.length,
    1,
    `replicas 2 - maxUnavailable 1 old pods keep serving: ${JSON.stringify(await runningVersions("badimage"))}`,
  );
});

test("Recreate stops every old pod before a new one starts", async () => {
  const o = { name: "recreate", replicas: 3, strategy: "{ type: Recreate }" };
  await apply({ ...o, version: "1" }, true);
  let mixed = 0;
  let running = true;
  const watch = (async () => {
    while (running) {
      const versions = new Set((await pods("recreate")).map((p) => p.labels.version));
      if (versions.size > 1) mixed++;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await apply({ ...o, version: "2" });
  assert.equal((await status("recreate", ["--timeout", "60s"])).code, 0);
  running = false;
  await watch;
  assert.equal(mixed, 0, "old and new pods never existed together");
  assert.deepEqual(await runningVersions("recreate"), ["2", "2", "2"]);
});

test("scaling and a new template mid-rollout end in the newest template at the new scale", async () => {
  const o = { name: "mid", replicas: 4 };
  await apply({ ...o, version: "1" }, true);
  await allAvailable("mid", 4);
  const bounds = sampleBounds("mid", { replicas: 4, surge: 1, unavailable: 1, minReadyMs: 1000 });
  await apply({ ...o, version: "2" });
  await waitFor(
    async () => (await pods("mid")).some((p) => p.labels.version === "2" && p.ready),
    30_000,
    "rollout under way",
  );
  await apply({ ...o, version: "3" });
  await new Promise((r) => setTimeout(r, 1000));
  await bounds.stop();
  await box.ok(["scale", "podset/mid", "--replicas", "6", "--server", server.url]);
  assert.equal((await status("mid", ["--timeout", "90s"])).code, 0);
  await waitFor(async () => (await runningVersions("mid")).length === 6, 15_000, "6 pods");
  assert.deepEqual(await runningVersions("mid"), ["3", "3", "3", "3", "3", "3"]);
});

test("SIGKILL of mk server mid-rollout: a restarted server completes it with the bounds held", async () => {
  const o = { name: "crash", replicas: 4 };
  await apply({ ...o, version: "1" }, true);
  await allAvailable("crash", 4);
  const bounds = sampleBounds("crash", { replicas: 4, surge: 1, unavailable: 1, minReadyMs: 1000 });
  await apply({ ...o, version: "2" });
  await waitFor(
    async () => (await pods("crash")).some((p) => p.labels.version === "2"),
    30_000,
    "rollout started",
  );
  server.proc.kill("SIGKILL");
  await new Promise((r) => server.proc.once("exit", r));
  // The sampler reads the API: it pauses while no server answers, the containers keep running.
  server = await box.server(SERVER_ARGS);
  const r = await status("crash", ["--timeout", "90s"]);
  await bounds.stop();
  assert.equal(r.code, 0, r.stderr);
  await waitFor(async () => (await runningVersions("crash")).length === 4, 15_000, "old containers gone");
  assert.deepEqual(await runningVersions("crash"), ["2", "2", "2", "2"]);
});
