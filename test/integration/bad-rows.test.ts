// One bad row never stops a loop, on a real server and real Docker: rows damaged behind mk's back
// with SQL (a node whose taints are `5` — what POST /api/v1/nodes {"taints": 5} stored before
// the API validated it — a pod whose spec is not JSON, an object whose spec is garbage) are
// skipped with one Warning event each, while scheduling, scaling and restarts of the other rows go on.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { docker, IMAGE, requireDocker, Sandbox, waitFor } from "./harness.ts";

let box: Sandbox;
let url = "";

before(async () => {
  await requireDocker();
  box = new Sandbox();
  url = (await box.server(["--resync", "1s", "--backoff-initial", "1s"])).url;
});
after(async () => {
  await box?.cleanup();
});

const podSet = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: ${IMAGE}
          command: ["sleep", "3600"]
`;

interface PodJson {
  name: string;
  owner: { kind: string; name: string };
  phase: string;
  node: string | null;
}

async function apply(file: string, text: string): Promise<void> {
  writeFileSync(join(box.dir, file), text);
  await box.ok(["apply", "-f", join(box.dir, file), "--server", url, "--no-wait"]);
}

const running = async (owner: string) => {
  const pods = await box.json<PodJson[]>(["get", "pods", "--server", url]);
  return pods.filter((p) => p.owner?.name === owner && p.phase === "Running");
};

test("a server skips a bad node, pod and object row and keeps scheduling, scaling and restarting the rest", async () => {
  await apply("web.yaml", podSet("web", 2));
  await apply("other.yaml", podSet("other", 1));
  await waitFor(
    async () => (await running("web")).length === 2 && (await running("other")).length === 1,
    60_000,
    "first pods",
  );

  // The damage, straight into SQLite (another process, as `sqlite3 state.db` would).
  const db = new Database(box.state);
  const now = Date.now();
  db.prepare(
    `insert into nodes (name, docker, labels, taints, unschedulable, state, state_since, created_at, cpu_milli, memory_bytes, last_heartbeat_at)
     values ('broken', 'unix:///nonexistent.sock', '{}', '5', 0, 'Ready', ?, ?, 64000, 68719476736, ?)`,
  ).run(now, now, now);
  const [victim] = (await running("web")).map((p) => p.name);
  assert.ok(victim);
  db.prepare("update pods set spec = '{not json' where name = ?").run(victim);
  db.prepare("update objects set spec = 'garbage' where kind = 'PodSet' and name = 'other'").run();
  db.close();

  // Scaling still works: new pods are scheduled (never to the bad node) and run.
  await box.ok(["scale", "podset/web", "--replicas", "4", "--server", url]);
  await waitFor(async () => (await running("web")).length >= 3, 60_000, "web scaled up past the bad pod");
  // A crash elsewhere is still restarted.
  const [first] = await box.containers({ "mk.owner": "web" });
  const others = (await box.containers({ "mk.owner": "web" })).filter((c) => c.Labels["mk.pod"] !== victim);
  const crash = others[0] ?? first;
  assert.ok(crash);
  await docker.getContainer(crash.Id).kill();
  // A restart is a new container (kubelet-style): wait for the pod to run again, whatever its id.
  await waitFor(
    async () =>
      (await box.containers({ "mk.pod": crash.Labels["mk.pod"] ?? "" })).some(
        (c) => c.State === "running" && c.Id !== crash.Id,
      ) || (await docker.getContainer(crash.Id).inspect()).State.Running,
    30_000,
    "the crashed container restarted",
  );

  const pods = await box.json<PodJson[]>(["get", "pods", "--server", url]);
  assert.ok(
    pods.every((p) => p.node !== "broken"),
    "nothing was bound to the node whose row is bad",
  );
  assert.ok(
    pods.some((p) => p.owner?.name === "other"),
    "the pods of the object whose row is bad are left alone, not deleted",
  );
  const victimContainers = await box.containers({ "mk.pod": victim });
  assert.equal(victimContainers[0]?.State, "running", "the bad pod's container is left as it was");

  const warnings = await box.json<
    { reason: string; object_kind: string; object_name: string; count: number; message: string }[]
  >([
    "sql",
    "select reason, object_kind, object_name, count, message from events where reason = 'InvalidRow' order by object_kind",
  ]);
  const names = [...new Set(warnings.map((w) => `${w.object_kind}/${w.object_name}`))].sort();
  assert.deepEqual(names, ["Node/broken", `Pod/${victim}`, "PodSet/other"].sort(), JSON.stringify(warnings));
  assert.ok(
    warnings.every((w) => w.count <= 3),
    `aggregated, not one per pass: ${JSON.stringify(warnings)}`,
  );
  assert.match(
    warnings.find((w) => w.object_kind === "Node")?.message ?? "",
    /Skipped node "broken" in the state: column taints: /,
  );
});
