// Checkpoint B on the real Docker engine: restart policies, crash-loop back-off measured from
// Docker's own timestamps, and liveness/readiness probes (HTTP, TCP, exec).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, IMAGE, requireDocker, Sandbox, waitFor } from "./harness.ts";

interface PodJson {
  name: string;
  phase: string;
  status: string;
  ready: boolean;
  restarts: number;
  nextRestartAt: string | null;
  containers: { lastTermination: { exitCode: number | null } | null; restartCount: number }[];
}

let box: Sandbox;
let url = "";

before(async () => {
  await requireDocker();
  box = new Sandbox();
  url = (await box.server(["--resync", "1s", "--backoff-initial", "1s", "--backoff-max", "8s"])).url;
});
after(async () => {
  await box?.cleanup();
});

function pod(name: string, spec: string): string {
  return `apiVersion: mk/v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 0\n${spec}`;
}

async function apply(name: string, yaml: string): Promise<void> {
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  await box.ok(["apply", "-f", file, "--server", url, "--no-wait"]);
}

const get = (name: string) => box.json<PodJson>(["get", "pods", name, "--server", url]);

async function container(name: string) {
  return waitFor(
    async () => {
      const [c] = await box.containers({ "mk.pod": name });
      return c ? docker.getContainer(c.Id) : false;
    },
    30_000,
    `container of ${name}`,
  );
}

test("Checkpoint B: docker kill restarts at once, then after 1s, 2s, 4s (Docker timestamps, small back-off)", async () => {
  await apply(
    "crashy",
    pod(
      "crashy",
      `  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sleep", "3600"]\n`,
    ),
  );
  // A restart is a new container (run 0, 1, 2, ...): the delay is from the killed run's end to
  // the next run's start, both Docker's own timestamps.
  const run = (n: number) =>
    waitFor(
      async () => {
        const [c] = await box.containers({ "mk.pod": "crashy", "mk.restart": String(n) });
        if (!c) return false;
        const s = await docker.getContainer(c.Id).inspect();
        return s.State.Running ? s : false;
      },
      30_000,
      `crashy run ${n} running`,
    );
  let current = await run(0);
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    await docker.getContainer(current.Id).kill();
    const killed = await docker.getContainer(current.Id).inspect();
    const next = await run(i + 1);
    assert.notEqual(next.Id, killed.Id, "a restart creates a new container");
    delays.push((Date.parse(next.State.StartedAt) - Date.parse(killed.State.FinishedAt)) / 1000);
    current = next;
    if (i === 0) {
      const p = await waitFor(
        async () => {
          const x = await get("crashy");
          return x.restarts === 1 ? x : false;
        },
        10_000,
        "restart count 1",
      );
      assert.equal(p.containers[0]?.lastTermination?.exitCode, 137);
    }
  }
  // Only the current run and the previous one are kept.
  const kept = await waitFor(
    async () => {
      const list = await box.containers({ "mk.pod": "crashy" });
      return list.length === 2 ? list : false;
    },
    10_000,
    "two runs kept",
  );
  assert.deepEqual(kept.map((c) => c.Labels["mk.restart"]).sort(), ["3", "4"]);
  console.log(`restart delays after docker kill: ${delays.map((d) => d.toFixed(2)).join(", ")} s`);
  const expected = [0, 1, 2, 4];
  delays.forEach((d, i) => {
    assert.ok(
      d >= (expected[i] ?? 0) - 0.05 && d <= (expected[i] ?? 0) + 1.2,
      `restart ${i + 1}: ${d}s, expected about ${expected[i]}s`,
    );
  });
  const p = await waitFor(
    async () => {
      const x = await get("crashy");
      return x.restarts === 4 ? x : false;
    },
    10_000,
    "restart count 4",
  );
  assert.equal(p.phase, "Running");
});

test("restart policies: OnFailure + exit 1 backs off; Never ends Failed; OnFailure + exit 0 ends Succeeded", async () => {
  await apply(
    "fails",
    pod(
      "fails",
      `  restartPolicy: OnFailure\n  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sh", "-c", "sleep 0.2; exit 1"]\n`,
    ),
  );
  await apply(
    "never",
    pod(
      "never",
      `  restartPolicy: Never\n  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sh", "-c", "exit 3"]\n`,
    ),
  );
  await apply(
    "done",
    pod(
      "done",
      `  restartPolicy: OnFailure\n  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sh", "-c", "exit 0"]\n`,
    ),
  );
  const crash = await waitFor(
    async () => {
      const x = await get("fails");
      return x.restarts >= 3 && x.status === "CrashLoopBackOff" ? x : false;
    },
    30_000,
    "fails in CrashLoopBackOff after 3 restarts",
  );
  assert.ok(crash.nextRestartAt, "the next try's time is shown");
  const never = await waitFor(
    async () => {
      const x = await get("never");
      return x.phase === "Failed" ? x : false;
    },
    20_000,
    "never Failed",
  );
  assert.equal(never.restarts, 0);
  assert.equal(never.containers[0]?.lastTermination?.exitCode, 3);
  const done = await waitFor(
    async () => {
      const x = await get("done");
      return x.phase === "Succeeded" ? x : false;
    },
    20_000,
    "done Succeeded",
  );
  assert.equal(done.restarts, 0);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal((await get("never")).restarts, 0, "Never is never restarted");
  assert.equal((await get("done")).restarts, 0, "OnFailure does not restart a success");
});

test("liveness: an httpd whose path starts returning 404 is killed and restarted, naming the probe", async () => {
  await apply(
    "live",
    pod(
      "live",
      `  containers:\n    - name: web\n      image: ${IMAGE}\n      command: ["httpd", "-f", "-p", "80", "-h", "/www"]\n      ports: [{ containerPort: 80, name: http }]\n      livenessProbe:\n        httpGet: { path: /index.html, port: http }\n        periodSeconds: 1\n        failureThreshold: 2\n`,
    ),
  );
  const c = await container("live");
  await waitFor(async () => (await get("live")).ready, 20_000, "live ready");
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await get("live")).restarts, 0, "a passing liveness probe restarts nothing");
  const t0 = Date.now();
  const exec = await c.exec({ Cmd: ["rm", "/www/index.html"] });
  await exec.start({ hijack: true, stdin: false });
  await waitFor(async () => (await get("live")).restarts >= 1, 20_000, "live restarted");
  const secs = (Date.now() - t0) / 1000;
  console.log(`liveness failure -> restart: ${secs.toFixed(2)} s (failureThreshold 2 x period 1 s)`);
  assert.ok(secs >= 1.5, `restarted after ${secs}s: too early for 2 failures 1 s apart`);
  const events = await box.json<{ reason: string; message: string }[]>([
    "events",
    "--for",
    "pod/live",
    "--server",
    url,
  ]);
  const killing = events.find((e) => e.reason === "Killing");
  assert.ok(killing, JSON.stringify(events));
  assert.match(killing.message, /liveness probe.*HTTP GET http:\/\/[\d.]+:80\/index\.html: 404/);
});

/** Whether the `ready` pod's container `main` passes its readiness probe, as `mk get` shows it. */
async function mainReady(): Promise<boolean | undefined> {
  const p = await box.json<{ containers: { name: string; ready: boolean }[] }>([
    "get",
    "pods",
    "ready",
    "--server",
    url,
  ]);
  return p.containers.find((x) => x.name === "main")?.ready;
}

test("probes: a TCP probe to a closed port fails; an exec readiness probe follows a file; readiness flips Ready without restarts", async () => {
  await apply(
    "ready",
    pod(
      "ready",
      `  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sh", "-c", "touch /tmp/ok; exec httpd -f -p 80 -h /www"]\n      readinessProbe:\n        exec: { command: ["sh", "-c", "test -f /tmp/ok"] }\n        periodSeconds: 1\n        failureThreshold: 1\n    - name: closed\n      image: ${IMAGE}\n      command: ["sleep", "3600"]\n      readinessProbe:\n        tcpSocket: { port: 81 }\n        periodSeconds: 1\n`,
    ),
  );
  const c = await waitFor(
    async () => {
      const list = await box.containers({ "mk.pod": "ready", "mk.container": "main" });
      return list[0] ? docker.getContainer(list[0].Id) : false;
    },
    20_000,
    "main container",
  );
  const events = await waitFor(
    async () => {
      const e = await box.json<{ reason: string; message: string }[]>([
        "events",
        "--for",
        "pod/ready",
        "--server",
        url,
      ]);
      return e.some(
        (x) => x.reason === "Unhealthy" && /TCP [\d.]+:81: .*(ECONNREFUSED|refused)/.test(x.message),
      )
        ? e
        : false;
    },
    20_000,
    "TCP probe failure event",
  );
  assert.ok(events.length > 0);
  // The pod is not Ready: its second container's TCP probe fails. main's own readiness passes.
  const view = await box.json<{ containers: { name: string; ready: boolean }[] }>([
    "get",
    "pods",
    "ready",
    "--server",
    url,
  ]);
  assert.equal((await get("ready")).ready, false);
  await waitFor(async () => (await mainReady()) === true, 20_000, "main ready");
  assert.ok(view.containers.length === 2);
  const rm = await c.exec({ Cmd: ["rm", "/tmp/ok"] });
  await rm.start({ hijack: true, stdin: false });
  await waitFor(async () => (await mainReady()) === false, 20_000, "main not ready");
  const touch = await c.exec({ Cmd: ["touch", "/tmp/ok"] });
  await touch.start({ hijack: true, stdin: false });
  await waitFor(async () => (await mainReady()) === true, 20_000, "main ready again");
  assert.equal((await get("ready")).restarts, 0, "readiness never restarts");
});

test("a slow graceful stop of one pod does not hold up the restart of another on the same node", async () => {
  await apply(
    "slowstop",
    `apiVersion: mk/v1\nkind: Pod\nmetadata: { name: slowstop }\nspec:\n  terminationGracePeriodSeconds: 20\n  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sh", "-c", "trap '' TERM; sleep 3600 & wait; sleep 3600"]\n`,
  );
  await apply(
    "quick",
    pod(
      "quick",
      `  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sleep", "3600"]\n`,
    ),
  );
  const q = await container("quick");
  await waitFor(
    async () => (await get("slowstop")).phase === "Running" && (await get("quick")).phase === "Running",
    20_000,
    "both running",
  );
  await box.ok(["delete", "pod", "slowstop", "--no-wait", "--server", url]);
  await new Promise((r) => setTimeout(r, 1500)); // the stop is under way: SIGTERM ignored, 20 s grace
  const t0 = Date.now();
  await q.kill();
  await waitFor(
    async () => {
      const [next] = await box.containers({ "mk.pod": "quick", "mk.restart": "1" });
      return next ? (await docker.getContainer(next.Id).inspect()).State.Running : false;
    },
    10_000,
    "quick restarted while slowstop is still stopping",
  );
  const secs = (Date.now() - t0) / 1000;
  console.log(`restart during another pod's 20 s graceful stop: ${secs.toFixed(2)} s`);
  assert.ok(secs < 5, `restart took ${secs}s`);
  assert.equal((await box.containers({ "mk.pod": "slowstop" })).length, 1, "slowstop is still stopping");
});
