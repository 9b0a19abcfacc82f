// Metrics sources: PrometheusSource against a local HTTP server speaking Prometheus' query API
// (the queries, units, stale series, errors, timeouts, an unreachable port), and mk's own samples
// (rates over the window, counter resets, stale nodes).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { cpuRate, LocalSource, PrometheusSource, UsageHistory } from "../../src/autoscaler/sources.ts";

const NOW = 1_800_000_000_000;
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
});

/** A fake Prometheus: answers each query with `answer(query)`, records the queries. */
async function prometheus(
  answer: (q: string) => unknown,
  status = 200,
): Promise<{ url: string; queries: string[] }> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const q = url.searchParams.get("query") ?? "";
    queries.push(q);
    const body = answer(q);
    if (body === undefined) return; // never answers
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries };
}

const vector = (rows: [string, number][]) => ({
  status: "success",
  data: {
    resultType: "vector",
    result: rows.map(([pod, v]) => ({ metric: { pod }, value: [NOW / 1000, String(v)] })),
  },
});

test("PrometheusSource.fetch() turns per-pod cpu rates into millicores and drops stale series", async () => {
  const p = await prometheus((q) =>
    q.startsWith("max by (pod) (rate(")
      ? vector([
          ["a", 0.2],
          ["b", 0.05],
          ["gone", 0.1],
        ])
      : vector([
          ["a", NOW / 1000 - 1],
          ["b", NOW / 1000 - 2],
          ["gone", NOW / 1000 - 600],
        ]),
  );
  const source = new PrometheusSource({ url: p.url, windowMs: 30_000, timeoutMs: 2000 });
  const r = await source.fetch("cpu", NOW);
  assert.deepEqual(r, {
    ok: true,
    metrics: new Map([
      ["a", 200],
      ["b", 50],
    ]),
  });
  assert.deepEqual(p.queries.sort(), [
    "max by (pod) (rate(mk_pod_cpu_usage_seconds_total[30s]))",
    "max by (pod) (timestamp(mk_pod_cpu_usage_seconds_total offset 15s))",
    "max by (pod) (timestamp(mk_pod_cpu_usage_seconds_total))",
  ]);
});

test("PrometheusSource.fetch() leaves out pods with samples over less than half the window (Prometheus back from an outage)", async () => {
  // Prometheus came back 4 s ago after a long outage: "a" has a scrape from before it (outside the
  // 30 s window), "b" none at all before the offset, "c" samples over the whole window.
  const answer = (q: string) =>
    q.includes("rate(")
      ? vector([
          ["a", 0],
          ["b", 0],
          ["c", 0.2],
        ])
      : q.includes("offset 15s")
        ? vector([
            ["a", NOW / 1000 - 120],
            ["c", NOW / 1000 - 16],
          ])
        : vector([
            ["a", NOW / 1000 - 1],
            ["b", NOW / 1000 - 1],
            ["c", NOW / 1000 - 1],
          ]);
  const p = await prometheus(answer);
  const source = new PrometheusSource({ url: p.url, windowMs: 30_000, timeoutMs: 2000 });
  assert.deepEqual(await source.fetch("cpu", NOW), { ok: true, metrics: new Map([["c", 200]]) });

  const none = await prometheus((q) => (q.includes("offset") ? vector([]) : answer(q)));
  assert.deepEqual(
    await new PrometheusSource({ url: none.url, windowMs: 30_000, timeoutMs: 2000 }).fetch("cpu", NOW),
    {
      ok: false,
      error: `Prometheus ${none.url} has samples over less than half of the 30s window for 3 pod(s) (it just started or is back from an outage, or it scrapes mk less often than every 15s: then raise --autoscaler-window): waiting for the window to fill`,
    },
  );
  // Memory is a gauge: its newest sample is its value, no window to fill.
  const mem = await new PrometheusSource({ url: none.url, windowMs: 30_000, timeoutMs: 2000 }).fetch(
    "memory",
    NOW,
  );
  assert.equal(mem.ok, true);
});

test("PrometheusSource.fetch() judges staleness at Prometheus' evaluation time, not mk's clock", async () => {
  // Prometheus' host runs an hour ahead of mk's: its samples are 1 s old by its own clock.
  const ahead = NOW / 1000 + 3600;
  const at = (rows: [string, number][]) => ({
    status: "success",
    data: {
      resultType: "vector",
      result: rows.map(([pod, v]) => ({ metric: { pod }, value: [ahead, String(v)] })),
    },
  });
  const p = await prometheus((q) =>
    q.includes("rate(")
      ? at([["a", 0.1]])
      : q.includes("offset")
        ? at([["a", ahead - 20]])
        : at([["a", ahead - 1]]),
  );
  const r = await new PrometheusSource({ url: p.url, windowMs: 30_000, timeoutMs: 2000 }).fetch("cpu", NOW);
  assert.deepEqual(r, { ok: true, metrics: new Map([["a", 100]]) });
});

test("PrometheusSource.fetch() says Prometheus is not scraping mk when every series is stale", async () => {
  const p = await prometheus((q) =>
    q.includes("rate(") ? vector([["a", 0.2]]) : vector([["a", NOW / 1000 - 3600]]),
  );
  const r = await new PrometheusSource({ url: p.url, windowMs: 60_000, timeoutMs: 2000 }).fetch("cpu", NOW);
  assert.deepEqual(r, {
    ok: false,
    error: `Prometheus ${p.url} has no sample newer than 60s for 1 pod(s): is it scraping mk?`,
  });
});

test("PrometheusSource.fetch() names an unreachable Prometheus, a timeout and a query error", async () => {
  const closed = await prometheus(() => ({}));
  const url = closed.url;
  const server = servers.pop();
  await new Promise((r) => server?.close(r));
  const down = await new PrometheusSource({ url, windowMs: 60_000, timeoutMs: 2000 }).fetch("cpu", NOW);
  assert.deepEqual(down, { ok: false, error: `Prometheus ${url} unreachable: ECONNREFUSED` });

  const slow = await prometheus(() => undefined);
  const late = await new PrometheusSource({ url: slow.url, windowMs: 60_000, timeoutMs: 200 }).fetch(
    "cpu",
    NOW,
  );
  assert.deepEqual(late, { ok: false, error: `Prometheus ${slow.url} did not answer within 200 ms` });

  const bad = await prometheus(() => ({ status: "error", errorType: "bad_data", error: "parse error" }), 400);
  const wrong = await new PrometheusSource({ url: bad.url, windowMs: 60_000, timeoutMs: 2000 }).fetch(
    "memory",
    NOW,
  );
  assert.deepEqual(wrong, { ok: false, error: `Prometheus ${bad.url} query failed (HTTP 400): parse error` });
});

test("cpuRate() is the counter's rise over the window, restarting after a counter drop", () => {
  const samples = [
    { at: NOW - 40_000, cpuSeconds: 1, memoryBytes: 0 },
    { at: NOW - 20_000, cpuSeconds: 3, memoryBytes: 0 },
    { at: NOW - 10_000, cpuSeconds: 5, memoryBytes: 0 },
    { at: NOW, cpuSeconds: 7, memoryBytes: 0 },
  ];
  assert.equal(cpuRate(samples, 30_000, NOW), 200); // 4 s of cpu over 20 s
  const reset = [...samples.slice(0, 3), { at: NOW, cpuSeconds: 0.5, memoryBytes: 0 }];
  assert.equal(cpuRate(reset, 30_000, NOW), undefined); // one sample since the restart
  assert.equal(cpuRate(samples.slice(3), 30_000, NOW), undefined);
  // Rounds slower than the window: the sample before it still gives a rate, up to 3 windows back.
  assert.equal(
    cpuRate(
      [samples[0], samples[3]].filter((x) => x !== undefined),
      30_000,
      NOW,
    ),
    150,
  );
  assert.equal(
    cpuRate(
      [samples[0], samples[3]].filter((x) => x !== undefined),
      10_000,
      NOW,
    ),
    undefined,
  );
});

test("LocalSource.fetch() reports running pods' rates and memory, and drops pods of a silent node", async () => {
  const history = new UsageHistory();
  history.record("n1", [{ pod: "a", node: "n1", cpuSeconds: 0, memoryBytes: 10 }], NOW - 10_000);
  history.record("n1", [{ pod: "a", node: "n1", cpuSeconds: 1, memoryBytes: 20 }], NOW);
  history.record("n2", [{ pod: "b", node: "n2", cpuSeconds: 0, memoryBytes: 5 }], NOW - 200_000);
  history.record("n2", [{ pod: "b", node: "n2", cpuSeconds: 9, memoryBytes: 5 }], NOW - 190_000);
  const source = new LocalSource(history, 30_000);
  assert.deepEqual(await source.fetch("cpu", NOW), { ok: true, metrics: new Map([["a", 100]]) });
  assert.deepEqual(await source.fetch("memory", NOW), { ok: true, metrics: new Map([["a", 20]]) });
  // A pod missing from its node's next round is gone.
  history.record("n1", [], NOW + 1000);
  assert.deepEqual(await source.fetch("cpu", NOW + 1000), {
    ok: false,
    error: "no cpu samples of running pods from Docker stats yet",
  });
});
