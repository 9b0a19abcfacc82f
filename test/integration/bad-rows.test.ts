// One bad row never stops a loop, on a real server and real Docker: rows damaged behind mk's back
// with SQL (a node whose taints are `5` — what POST /api/v1/nodes {"taints": 5} stored before
// the API validated it — a pod whose spec is not JSON, an object whose spec is garbage) are
// skipped with one Warning event each, while scheduling, scaling and restarts of the other rows go on.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { docker, IMAGE, requireDocker, Sandbox, sleeperYaml, waitFor } from "./harness.ts";

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

const podSet = (name: string, replicas: number) => sleeperYaml(name, replicas, { kind: "Deployment" });

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

const hpa = (name: string, target: string) => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: ${name} }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${target} }
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 50 } }
`;

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${url}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await r.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, json };
}

// Runs after the test above, on its damaged rows (node broken, one web pod, podset other).
test("every read path lists the good rows and names the bad one; a command on a bad row is a 409 naming the field", async () => {
  await apply("hpa.yaml", `${hpa("hpa-good", "nothing")}---\n${hpa("hpa-bad", "nothing")}`);
  const db = new Database(box.state);
  const victim = (db.prepare("select name from pods where spec = '{not json'").get() as { name: string })
    .name;
  db.prepare(
    `update objects set spec = json_set(spec, '$.spec.target', 5) where kind = 'Autoscaler' and name = 'hpa-bad'`,
  ).run();
  db.close();

  const invalidOf = (list: unknown, name: string) =>
    (list as { name: string; invalidRow?: string }[]).find((x) => x.name === name)?.invalidRow;
  const lists: [string, string, string | undefined, RegExp][] = [
    ["/api/v1/podsets", "other", "web", /^column spec: not valid JSON/],
    ["/api/v1/nodes", "broken", undefined, /^column taints: /],
    ["/api/v1/pods", victim, undefined, /^column spec: not valid JSON/],
    ["/api/v1/autoscalers", "hpa-bad", "hpa-good", /^column spec at spec\.target: /],
  ];
  for (const [path, bad, good, re] of lists) {
    const r = await call("GET", path);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
    assert.match(invalidOf(r.json, bad) ?? "", re, `${path} names ${bad}`);
    if (good) assert.equal(invalidOf(r.json, good), undefined, `${path}: ${good} is good`);
  }
  for (const [path, re] of [
    ["/api/v1/podsets/other", /^column spec: /],
    ["/api/v1/autoscalers/hpa-bad", /^column spec at spec\.target: /],
    ["/api/v1/describe/podset/other", /^column spec: /],
    [`/api/v1/describe/pod/${victim}`, /^column spec: /],
    ["/api/v1/describe/node/broken", /^column taints: /],
    ["/api/v1/describe/autoscaler/hpa-bad", /^column spec at spec\.target: /],
  ] as const) {
    const r = await call("GET", path);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
    assert.match((r.json as { invalidRow?: string }).invalidRow ?? "", re, path);
  }
  // Kubernetes-shaped listings, the status page, /metrics, top and status keep answering.
  for (const path of [
    "/api/v1/objects/pods",
    "/api/v1/objects/podsets",
    "/api/v1/objects/nodes",
    "/api/v1/objects/autoscalers",
    "/api/v1/top",
    "/api/v1/status",
    "/api/v1/events",
    "/metrics",
    "/",
  ]) {
    const r = await call("GET", path);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json).slice(0, 500)}`);
  }
  const objects = await call("GET", "/api/v1/objects/podsets");
  const items = objects.json as { metadata: { name: string }; status: { invalidRow?: string } }[];
  assert.deepEqual(items.map((i) => i.metadata.name).sort(), ["other", "web"]);
  assert.match(items.find((i) => i.metadata.name === "other")?.status.invalidRow ?? "", /^column spec: /);

  // Commands that must act on the bad row: 409 invalid_row, naming the row and the field; nothing written.
  for (const [method, path, body] of [
    ["POST", "/api/v1/podsets/other/scale", { replicas: 2 }],
    ["GET", "/api/v1/podsets/other/rollout", undefined],
    ["POST", "/api/v1/podsets/other/rollout/restart", {}],
    ["POST", "/api/v1/podsets/other/image", { images: { main: IMAGE } }],
  ] as const) {
    const r = await call(method, path, body);
    const err = (r.json as { error?: { code: string; message: string; details: Record<string, unknown> } })
      .error;
    assert.equal(r.status, 409, `${method} ${path}: ${JSON.stringify(r.json)}`);
    assert.equal(err?.code, "invalid_row");
    assert.match(err?.message ?? "", /^Cannot use podset "other": its stored row is invalid: column spec: /);
    assert.deepEqual(
      [err?.details.kind, err?.details.name, err?.details.column],
      ["PodSet", "other", "spec"],
    );
  }
  const stillBad = new Database(box.state, { readonly: true });
  assert.equal(
    (
      stillBad.prepare("select spec from objects where kind = 'PodSet' and name = 'other'").get() as {
        spec: string;
      }
    ).spec,
    "garbage",
    "nothing was written over the bad row",
  );
  stillBad.close();

  // The CLI: a listing prints the good rows and warns about the bad one; a command exits 3.
  const get = await box.mk(["get", "podsets", "--server", url]);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /\bweb\b/);
  assert.match(get.stderr, /Warning: podset\/other: the stored row is invalid: column spec: not valid JSON/);
  const scale = await box.mk(["scale", "podset/other", "--replicas", "2", "--server", url]);
  assert.equal(scale.code, 3, scale.stderr);
  assert.match(scale.stderr, /podset "other": its stored row is invalid: column spec: /);
  const logs = await box.mk(["logs", victim, "--server", url]);
  assert.equal(logs.code, 3, logs.stderr);
  assert.match(logs.stderr, new RegExp(`pod "${victim}": its stored row is invalid: column spec: `));

  // Applying the object again replaces (repairs) its row.
  await apply("other.yaml", podSet("other", 1));
  const repaired = await call("GET", "/api/v1/podsets/other");
  assert.equal(
    (repaired.json as { invalidRow?: string }).invalidRow,
    undefined,
    JSON.stringify(repaired.json),
  );
  assert.equal((repaired.json as { replicas: number }).replicas, 1);
});
