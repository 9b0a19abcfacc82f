// The one-command Compose demo end to end, on the real Docker engine with Debian's docker-compose:
// `up` builds (or reuses by content) the images, starts a controller and two Docker-in-Docker nodes,
// adds them over SSH with pinned host keys and applies a Deployment; then a node container is killed
// and its pods must run on the other node; `down` must leave none of the demo's containers, networks,
// volumes or the image tags its `up` built. The project name is unique per run, so it never touches
// another demo. A cold build (debootstrap) takes about two minutes; with the cached root filesystem,
// `up` takes well under a minute.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, freePort, ROOT, requireDocker, waitFor } from "./harness.ts";

const SCRIPT = join(ROOT, "scripts/demo-compose.sh");
const project =
  `mkdemo-it-${(process.env.MK_TEST_RUN_ID ?? String(process.pid)).replace(/[^a-z0-9-]/gi, "").toLowerCase()}`.slice(
    0,
    40,
  );
const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "mk/demo");
let port = 0;
let downDone = false;

interface Run {
  code: number;
  out: string;
}

function demo(cmd: "up" | "down", timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn("bash", [SCRIPT, cmd], {
      cwd: ROOT,
      env: {
        ...process.env,
        MK_DEMO_PROJECT: project,
        MK_DEMO_PORT: String(port),
        MK_DEMO_CACHE: cache,
        // The test checks that pods move, not how fast (docs/benchmarks.md measures that): a longer grace
        // keeps a CI machine shared by many suites from flapping the nodes while it waits for the pods.
        MK_DEMO_NODE_GRACE: "15s",
      },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

const projectFilter = (extra: string[] = []) => ({
  filters: { label: [`com.docker.compose.project=${project}`, ...extra] },
});

/** The API token `up` made: mk requires one when it listens off loopback, as inside the controller. */
const token = () => readFileSync(`/tmp/mk-demo-${project}/ssh/controller/token`, "utf8").trim();

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { authorization: `Bearer ${token()}` },
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

interface PodView {
  name: string;
  node: string | null;
  phase: string;
  ready: boolean;
  deletionRequestedAt: string | null;
}

before(async () => {
  await requireDocker();
  port = await freePort();
});
after(async () => {
  if (!downDone) await demo("down", 120_000);
});

test("demo-compose.sh up runs 4 pods on two SSH nodes; a killed node's pods move; down removes it all", async () => {
  const t0 = Date.now();
  const up = await demo("up", 15 * 60_000);
  assert.equal(up.code, 0, up.out);
  console.log(`# up took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.ok(up.out.includes(`status page:  http://127.0.0.1:${port}/?token=${token()}`), up.out);
  // Without the token the API refuses; with it the status page is served through the published port.
  assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/pods`)).status, 401);

  const nodes = await api<{ name: string; state: string; docker: string }[]>("/api/v1/nodes");
  assert.deepEqual(
    nodes.map((n) => [n.name, n.state, n.docker]),
    [
      ["node1", "Ready", "ssh://root@node1"],
      ["node2", "Ready", "ssh://root@node2"],
    ],
  );
  const pods = (await api<PodView[]>("/api/v1/pods")).filter((p) => p.phase === "Running" && p.ready);
  assert.equal(pods.length, 4, JSON.stringify(pods));
  const onNode1 = pods.filter((p) => p.node === "node1").map((p) => p.name);
  assert.ok(onNode1.length > 0, `the scheduler spread the pods: ${JSON.stringify(pods.map((p) => p.node))}`);
  const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${token()}` } });
  assert.match(await page.text(), /<title>mk status<\/title>/);

  const [node1] = await docker.listContainers(projectFilter(["com.docker.compose.service=node1"]));
  assert.ok(node1, "no node1 container");
  const killedAt = Date.now();
  await docker.getContainer(node1.Id).kill();
  await waitFor(
    async () => {
      const now = await api<PodView[]>("/api/v1/pods");
      const live = now.filter((p) => !p.deletionRequestedAt);
      return (
        live.length === 4 &&
        live.every((p) => p.node === "node2" && p.phase === "Running" && p.ready) &&
        onNode1.every((name) => !live.some((p) => p.name === name))
      );
    },
    90_000,
    "all 4 pods running and ready on node2 after node1 was killed",
  );
  console.log(`# failover after docker kill: ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
  const n1 = (await api<{ name: string; state: string }[]>("/api/v1/nodes")).find((n) => n.name === "node1");
  assert.notEqual(n1?.state, "Ready");

  const madeList = join(cache, `images-made-${project}`);
  const made = existsSync(madeList) ? readFileSync(madeList, "utf8").trim().split("\n").filter(Boolean) : [];
  const down = await demo("down", 120_000);
  downDone = true;
  assert.equal(down.code, 0, down.out);
  assert.deepEqual(await docker.listContainers({ all: true, ...projectFilter() }), []);
  assert.deepEqual(
    (await docker.listNetworks(projectFilter())).map((n) => n.Name),
    [],
  );
  assert.deepEqual(
    ((await docker.listVolumes(projectFilter())).Volumes ?? []).map((v) => v.Name),
    [],
  );
  for (const tag of made) {
    await assert.rejects(docker.getImage(tag).inspect(), `image ${tag} made by up is still there`);
  }
  assert.equal(existsSync(`/tmp/mk-demo-${project}`), false, "the demo's key directory is left");
});
