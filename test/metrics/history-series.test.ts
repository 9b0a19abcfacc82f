// The status page's default series read the real store and the real prom-client metrics.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { LocalApi } from "../../src/api/local.ts";
import { createApiServer } from "../../src/api/server.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { type HistorySnapshot, MetricsHistory } from "../../src/metrics/history.ts";
import { addDefaultSeries } from "../../src/metrics/history-series.ts";
import { Metrics } from "../../src/metrics/registry.ts";
import { Store } from "../../src/store/store.ts";
import { upsertNodeMutation } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-history-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const PODSET = `apiVersion: mk/v1
kind: PodSet
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: c, image: mk.local/busybox:1 }]
`;

function line(s: HistorySnapshot, series: string, label: string): (number | null)[] | undefined {
  return s.series.find((x) => x.name === series)?.lines.find((l) => l.label === label)?.values;
}

test("addDefaultSeries() charts running pods per node, node states, restarts and latency from the store", async () => {
  const store = Store.open(join(dir, "state.db"));
  const metrics = new Metrics(store);
  const history = addDefaultSeries(new MetricsHistory({ intervalMs: 1000, capacity: 10 }), store, metrics);
  const api = new LocalApi(store);
  await api.apply([{ file: "web.yaml", text: PODSET }], { dryRun: false });
  const at = Date.now();
  const node = (name: string, state: "Ready" | "NotReady") => [
    upsertNodeMutation(name, at),
    { op: "setNodeStatus" as const, name, state, message: null, at, heartbeat: true },
  ];
  store.commit([...node("n1", "Ready"), ...node("n2", "NotReady")]);
  const pods = store.listPods().map((p) => p.name);
  assert.equal(pods.length, 3);
  store.commit(
    pods.flatMap((name, i) => [
      { op: "bindPod" as const, name, node: i < 2 ? "n1" : "n2", at },
      {
        op: "setPodStatus" as const,
        name,
        phase: "Running" as const,
        reason: null,
        message: null,
        ready: true,
        restartCount: 0,
        ip: null,
        startedAt: at,
      },
    ]),
  );
  await history.sampleOnce();
  metrics.podRestarts.inc({ reason: "exited" }, 2);
  metrics.schedulingLatency.observe(0.02);
  metrics.setUsage([{ pod: pods[0] ?? "", node: "n1", cpuSeconds: 1, memoryBytes: 1 }]);
  await history.sampleOnce();

  const s = history.snapshot();
  assert.deepEqual(
    s.series.map((x) => x.name),
    [
      "pods_running",
      "nodes",
      "restarts",
      "scheduling_latency",
      "startup_latency",
      "pod_cpu",
      "autoscaler_replicas",
      "autoscaler_ratio",
      "autoscaler_rescales",
    ],
  );
  assert.deepEqual(
    s.series.find((x) => x.name === "autoscaler_replicas")?.lines,
    [],
    "no autoscaler, no line",
  );
  assert.deepEqual(
    s.series.find((x) => x.name === "autoscaler_rescales")?.lines,
    [],
    "no rescale line either",
  );
  assert.deepEqual(line(s, "pods_running", "n1"), [2, 2]);
  assert.deepEqual(line(s, "pods_running", "n2"), [1, 1]);
  assert.deepEqual(line(s, "nodes", "Ready"), [1, 1]);
  assert.deepEqual(line(s, "nodes", "NotReady"), [1, 1]);
  assert.deepEqual(line(s, "nodes", "Unknown"), [0, 0]);
  assert.deepEqual(line(s, "restarts", ""), [0, 2]);
  assert.deepEqual(line(s, "scheduling_latency", "p50")?.[0], null);
  const p50 = line(s, "scheduling_latency", "p50")?.[1];
  assert.ok(typeof p50 === "number" && p50 > 0.01 && p50 <= 0.025, `p50 ${p50}`);
  assert.deepEqual(line(s, "startup_latency", ""), [null, null], "nothing started yet");
  assert.deepEqual(line(s, "pod_cpu", pods[0] ?? ""), [null, null], "one stats reading gives no rate");

  // The same snapshot over HTTP, as the status page fetches it.
  const http = createApiServer({
    api,
    log: silentLogger,
    ready: () => true,
    history: () => history.snapshot(),
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const a = http.address();
  const base = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  try {
    const res = await fetch(`${base}/api/v1/history`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(history.snapshot())));
    assert.equal((await fetch(`${base}/api/v1/history`, { method: "POST" })).status, 405);
  } finally {
    http.close();
    store.close();
  }
});
