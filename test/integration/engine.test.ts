// Checkpoint A and the PodSet, crash and orphan cases of the single-node engine, on the real
// Docker engine, driving the mk CLI and `mk server` as real processes.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, IMAGE, requireDocker, Sandbox, sh, waitFor } from "./harness.ts";

const IMAGE2 = "mk.local/busybox:2";
const boxes: Sandbox[] = [];
function box(): Sandbox {
  const b = new Sandbox();
  boxes.push(b);
  return b;
}

before(async () => {
  await requireDocker();
  await docker.getImage(IMAGE).tag({ repo: "mk.local/busybox", tag: "2" });
});
after(async () => {
  await Promise.all(boxes.map((b) => b.cleanup()));
});

function podYaml(name: string, image: string): string {
  return `apiVersion: mk/v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      command: ["sleep", "3600"]
`;
}

function deploymentYaml(name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: { app: ${name} }
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${IMAGE}
          command: ["sleep", "3600"]
`;
}

interface PodJson {
  name: string;
  phase: string;
  node: string | null;
  owner: { kind: string; name: string };
  containers: { containerId: string | null }[];
}

test("Checkpoint A: apply runs exactly one container, re-apply keeps it, an image change replaces it, delete removes it", async () => {
  const b = box();
  const file = join(b.dir, "hello.yaml");
  writeFileSync(file, podYaml("hello", IMAGE));
  const out = await b.ok(["apply", "-f", file]);
  assert.match(out, /pod\/hello created/);
  let list = await b.containers({ "mk.pod": "hello" });
  assert.equal(list.length, 1);
  assert.equal(list[0]?.State, "running");
  assert.equal(list[0]?.Labels["mk.managed"], "true");
  assert.equal(list[0]?.Labels["mk.node"], "local");
  assert.match(list[0]?.Names[0] ?? "", /^\/mk_hello_main_[0-9a-f]{8}_0$/);
  const id = list[0]?.Id;
  for (let i = 0; i < 3; i++) {
    assert.match(await b.ok(["apply", "-f", file]), /pod\/hello unchanged/);
    list = await b.containers({ "mk.pod": "hello" });
    assert.deepEqual(
      list.map((c) => c.Id),
      [id],
    );
  }
  // docker ps by the contract label finds it too
  assert.match(
    await sh("docker", ["ps", "--filter", "label=mk.pod=hello", "--format", "{{.ID}}"]),
    new RegExp(id?.slice(0, 12) ?? "x"),
  );

  writeFileSync(file, podYaml("hello", IMAGE2));
  assert.match(await b.ok(["apply", "-f", file]), /pod\/hello configured/);
  list = await b.containers({ "mk.pod": "hello" });
  assert.equal(list.length, 1);
  assert.notEqual(list[0]?.Id, id);
  assert.equal(list[0]?.Image, IMAGE2);
  assert.equal(list[0]?.State, "running");

  assert.match(await b.ok(["delete", "-f", file]), /pod\/hello deleted/);
  assert.equal((await b.containers({ "mk.pod": "hello" })).length, 0);
  assert.deepEqual(await b.json<unknown[]>(["get", "pods"]), []);
});

test("PodSet: a Deployment of 3 runs 3 pods; scale to 5; a removed container is replaced; scale to 0", async () => {
  const b = box();
  const file = join(b.dir, "web.yaml");
  writeFileSync(file, deploymentYaml("web", 3));
  const srv = await b.server(["--resync", "1s"]);
  const env = { MK_SERVER: srv.url };
  await b.ok(["apply", "-f", file], { env });
  const running = async (n: number) =>
    waitFor(
      async () => {
        const c = (await b.containers({ "mk.owner": "web" })).filter((x) => x.State === "running");
        const pods = (await b.json<PodJson[]>(["get", "pods"])).filter((p) => p.phase === "Running");
        return c.length === n && pods.length === n ? c : false;
      },
      60_000,
      `${n} running pods of web`,
    );
  await running(3);
  await b.ok(["scale", "podset/web", "--replicas", "5"], { env });
  await running(5);

  const victim = (await b.containers({ "mk.owner": "web" }))[0];
  assert.ok(victim);
  await docker.getContainer(victim.Id).remove({ force: true });
  const after = await running(5);
  assert.ok(
    !after.some((c) => c.Id === victim.Id),
    "the removed container is gone and another runs in its place",
  );

  await b.ok(["scale", "podset/web", "--replicas", "0"], { env });
  await waitFor(
    async () => (await b.containers({ "mk.owner": "web" })).length === 0,
    60_000,
    "web scaled to 0",
  );
  assert.equal((await b.json<PodJson[]>(["get", "pods"])).length, 0);
});

test("a server killed with SIGKILL during a 20-pod apply converges after restart with no duplicates", async () => {
  const b = box();
  const file = join(b.dir, "many.yaml");
  writeFileSync(file, Array.from({ length: 20 }, (_, i) => podYaml(`p${i}`, IMAGE)).join("---\n"));
  const srv = await b.server(["--resync", "1s", "--lease", "3s"]);
  await b.ok(["apply", "-f", file, "--no-wait"], { env: { MK_SERVER: srv.url } });
  // Kill it while it is creating containers.
  await waitFor(async () => (await b.containers()).length >= 3, 30_000, "some containers created");
  srv.proc.kill("SIGKILL");
  await new Promise((r) => srv.proc.once("exit", r));
  // A new server must wait out the dead one's lease (15 s by default); a short lease keeps the test quick.
  await b.server(["--resync", "1s", "--lease", "3s"]);
  const final = await waitFor(
    async () => {
      const list = await b.containers();
      const running = list.filter((c) => c.State === "running");
      return running.length === 20 && list.length === 20 ? list : false;
    },
    90_000,
    "20 running containers",
  );
  const pods = new Set(final.map((c) => c.Labels["mk.pod"]));
  assert.equal(pods.size, 20, "one container per pod: no duplicates");
  const rows = await b.json<PodJson[]>(["get", "pods"]);
  assert.equal(rows.length, 20);
  assert.ok(rows.every((p) => p.phase === "Running"));
});

test("an orphan (mk labels, no pod) is removed; a foreign container (no labels) is untouched", async () => {
  const b = box();
  const file = join(b.dir, "one.yaml");
  writeFileSync(file, podYaml("keeper", IMAGE));
  await b.ok(["apply", "-f", file]);
  const cluster = await b.clusterId();
  const runId = process.env.MK_TEST_RUN_ID ?? "local";
  const orphan = await docker.createContainer({
    Image: IMAGE,
    Cmd: ["sleep", "3600"],
    name: `mk_ghost_main_${Date.now().toString(16)}`,
    Labels: {
      "mk.managed": "true",
      "mk.cluster": cluster,
      "mk.pod": "ghost",
      "mk.pod-uid": "0000",
      "mk.container": "main",
      "mk.node": "local",
      "mk.spec-hash": "x",
      "mk.test": runId,
    },
  });
  await orphan.start();
  const foreign = await docker.createContainer({
    Image: IMAGE,
    Cmd: ["sleep", "3600"],
    name: `foreign-${Date.now().toString(16)}`,
    Labels: { "mk.test": runId },
  });
  await foreign.start();
  try {
    await b.server(["--resync", "1s"]);
    await waitFor(async () => !(await orphan.inspect().catch(() => undefined)), 30_000, "orphan removed");
    const f = await foreign.inspect();
    assert.equal(f.State.Running, true, "foreign container still running");
    assert.equal((await b.containers({ "mk.pod": "keeper" })).length, 1);
  } finally {
    await foreign.remove({ force: true });
  }
});

test("mk logs prints a pod's output, locally and through the server, and -f follows it", async () => {
  const b = box();
  const file = join(b.dir, "talk.yaml");
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Pod\nmetadata: { name: talk }\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sh", "-c", "echo hello-from-mk; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done"]\n`,
  );
  await b.ok(["apply", "-f", file]);
  const local = await waitFor(
    async () => {
      const out = await b.ok(["logs", "talk", "--tail", "1000"]);
      return out.includes("hello-from-mk") ? out : false;
    },
    20_000,
    "hello in logs",
  );
  assert.match(local, /tick-1\n/);
  const srv = await b.server(["--resync", "1s"]);
  assert.match(await b.ok(["logs", "talk", "-c", "main", "--server", srv.url]), /hello-from-mk/);
  // -f keeps streaming: stop it after a few new lines arrive.
  const r = await b.mk(["logs", "talk", "-f", "--tail", "0", "--server", srv.url], { timeoutMs: 3000 });
  assert.match(r.stdout, /tick-\d+\n.*tick-\d+/s, `follow printed: ${r.stdout}`);
  const missing = await b.mk(["logs", "nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error from server \(NotFound\): pods "nope" not found/);
});

test("mk apply of 40 pods with no server converges by itself, and says nothing will restart them", async () => {
  const b = box();
  const file = join(b.dir, "forty.yaml");
  writeFileSync(file, Array.from({ length: 40 }, (_, i) => podYaml(`f${i}`, IMAGE)).join("---\n"));
  const r = await b.mk(["apply", "-f", file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /nothing will restart these pods until `mk server` runs/);
  const list = await b.containers();
  assert.equal(list.filter((c) => c.State === "running").length, 40);
  const pods = await b.json<PodJson[]>(["get", "pods"]);
  assert.equal(pods.filter((p) => p.phase === "Running").length, 40);
});
