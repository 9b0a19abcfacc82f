// Observability on a real mk server: every metric the Grafana dashboard queries is exported with
// bounded labels, a real Prometheus scrapes /metrics and answers the dashboard's queries, and the
// server's JSON log lines carry ts, level, msg and pod/node/event fields.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freePort, IMAGE, ROOT, requireDocker, Sandbox, waitFor } from "./harness.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const DASHBOARD = join(ROOT, "docs/grafana/mk-dashboard.json");
/** PromQL words that look like identifiers but name no metric. */
const PROMQL_WORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "inf",
  "nan",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
]);
const LOG_LEVELS = new Set(["trace", "debug", "info", "warn", "error"]);

interface DashboardPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}

interface PromQueryResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

let box: Sandbox;
let server: { url: string; logs: () => string };
let prometheus: ChildProcess | undefined;

before(async () => {
  await requireDocker();
  box = new Sandbox();
  server = await box.server();
});
after(async () => {
  if (prometheus && prometheus.exitCode === null) prometheus.kill("SIGKILL");
  await box?.cleanup();
});

/** Applies a one-container sleeping pod and waits until it is Running. */
async function runPod(name: string): Promise<void> {
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: mk/v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n    - name: main\n      image: ${IMAGE}\n      command: ["sleep", "3600"]\n`,
  );
  await box.ok(["apply", "-f", file, "--server", server.url]);
  await waitFor(
    async () =>
      (await box.json<{ phase: string }>(["get", "pods", name, "--server", server.url])).phase === "Running",
    30_000,
    `${name} Running`,
  );
}

/** Every `expr` of the dashboard, rows' nested panels included. */
function dashboardExprs(): string[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: DashboardPanel[] };
  const walk = (panels: DashboardPanel[]): string[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])),
      ...walk(p.panels ?? []),
    ]);
  return walk(dash.panels);
}

/**
 * The metric names a PromQL expression reads: identifiers left once strings, label matchers,
 * range selectors and by/without/on/ignoring groupings are removed, minus function calls.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const before = bare[m.index - 1] ?? " ";
    const rest = bare.slice(m.index + m[0].length).trimStart();
    if (/[\w.]/.test(before) || rest.startsWith("(") || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

/** `# TYPE` lines of an exposition: metric name to type. */
function metricTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1] ?? "", m[2] ?? "");
  return types;
}

/** A histogram or summary series name back to its base name, as `# TYPE` spells it. */
function baseName(name: string, types: Map<string, string>): string {
  const base = name.replace(/_(?:bucket|sum|count)$/, "");
  const type = types.get(base);
  return base !== name && (type === "histogram" || type === "summary") ? base : name;
}

async function prom(base: string, query: string): Promise<PromQueryResponse> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
  return (await r.json()) as PromQueryResponse;
}

test("every metric the dashboard queries is exported", async () => {
  await runPod("obs-metrics");
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const types = metricTypes(text);

  const wanted = [...new Set(dashboardExprs().flatMap(metricNames))].map((n) => baseName(n, types));
  assert.ok(wanted.length >= 12, `dashboard queries only ${wanted.length} metrics: ${wanted.join(", ")}`);
  const missing = wanted.filter((n) => !types.has(n));
  assert.deepEqual(missing, [], `dashboard metrics without a # TYPE line in /metrics:\n${text}`);
  const running = /^mk_pods_running (\S+)$/m.exec(text)?.[1];
  assert.ok(Number(running) >= 1, `mk_pods_running is ${running} with a Running pod`);

  // Cardinality: a label value must never be a container id, a uid or a timestamp.
  const bad: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const labels = /^[A-Za-z_:][\w:]*\{(.*)\}\s/.exec(line)?.[1] ?? "";
    for (const [, key = "", value = ""] of labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (
        /[0-9a-f]{64}/.test(value) ||
        /^[0-9a-f]{12}$/.test(value) ||
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ||
        /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value) ||
        /^\d{10}(?:\d{3})?(?:\.\d+)?$/.test(value) ||
        /(?:^|_)(?:id|uid|ts|time|timestamp)$/.test(key)
      ) {
        bad.push(line);
      }
    }
  }
  assert.deepEqual(bad, [], "label values that grow without bound");
});

test("a real Prometheus scrapes mk", { timeout: 45_000 }, async () => {
  assert.ok(
    existsSync(PROMETHEUS),
    `${PROMETHEUS} not found: run 'bash scripts/setup.sh --extras' (or apt-get install -y prometheus)`,
  );
  await runPod("obs-prom");
  const dir = join(box.dir, "prometheus");
  mkdirSync(join(dir, "data"), { recursive: true });
  const target = new URL(server.url).host;
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: mk\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["${target}"]\n`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = "";
  const proc = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  prometheus = proc;
  proc.stdout?.on("data", (d) => {
    output += d;
  });
  proc.stderr?.on("data", (d) => {
    output += d;
  });

  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}: ${output}`);
      const r = await fetch(`${base}/-/ready`).catch(() => undefined);
      return r?.status === 200;
    },
    15_000,
    "prometheus /-/ready",
  );
  const sample = await waitFor(
    async () => {
      const r = await prom(base, "mk_pods_running");
      const v = r.data?.result[0]?.value[1];
      return v !== undefined && Number(v) >= 1 ? r.data?.result[0] : false;
    },
    15_000,
    "mk_pods_running >= 1 in Prometheus",
  );
  assert.equal(sample?.metric.job, "mk");
  assert.equal(sample?.metric.instance, target);

  // Every dashboard query must at least parse and evaluate on a real Prometheus.
  for (const expr of dashboardExprs()) {
    const r = await prom(base, expr.replaceAll("$node", ".*"));
    assert.equal(r.status, "success", `${expr}: ${r.error ?? ""}`);
  }
});

test("server logs are JSON lines with ts, level, msg and pod/node/event for pod lines", async () => {
  const name = "obs-logs";
  await runPod(name);
  const podLine = await waitFor(
    async () => {
      const text = server.logs();
      // Only whole lines: the last one may still be being written.
      const lines = text
        .slice(0, text.lastIndexOf("\n") + 1)
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const l of lines) {
        assert.equal(typeof l.ts, "string", JSON.stringify(l));
        assert.equal(new Date(String(l.ts)).toISOString(), l.ts, `ts is not ISO 8601: ${JSON.stringify(l)}`);
        assert.ok(typeof l.level === "string" && LOG_LEVELS.has(l.level), `level: ${JSON.stringify(l)}`);
        assert.equal(typeof l.msg, "string", JSON.stringify(l));
      }
      return lines.find((l) => l.pod === name && l.node === "local" && typeof l.event === "string");
    },
    10_000,
    `a log line with pod ${name}, node local and an event`,
  );
  assert.ok(podLine);
});
