// The autoscaler end to end on real Docker: busybox CPU burners (request 100m, limit 200m, so a
// busy loop runs at 200 % of its request) behind an autoscaling/v2 HPA (50 %, 1..3). With a real
// Prometheus scraping mk every second: scale up to 3, back to 1 once idle after the (shortened)
// stabilization window, no scaling while Prometheus is down (and a condition that says so), then
// recovery. Without Prometheus: the same scale-up from mk's own Docker stats samples.
// Windows are shortened by flags and behavior so the file runs in about two minutes.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freePort, IMAGE, requireDocker, Sandbox, sh, waitFor } from "./harness.ts";

const PROMETHEUS = "/usr/bin/prometheus";
/** Sync every 2 s; rate over 10 s; Docker stats every 2 s; new pods' cpu ignored on scale-up for 5 s. */
const FAST = [
  "--autoscaler-sync",
  "2s",
  "--autoscaler-window",
  "10s",
  "--stats-interval",
  "2s",
  "--autoscaler-cpu-init",
  "5s",
  "--prometheus-timeout",
  "1s",
];
const SCALE_DOWN_WINDOW_S = 10;
/** Generous: on a machine shared by many test runs a burner gets well under its 200m. */
const SCALE_TIMEOUT_MS = 240_000;

/** A busy loop that idles while /tmp/idle exists: switched with docker exec. */
const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: burn}
spec:
  selector: {matchLabels: {app: burn}}
  template:
    metadata: {labels: {app: burn}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: ${IMAGE}
        command: ["sh", "-c", "while :; do if [ -f /tmp/idle ]; then sleep 1; fi; done"]
        resources:
          requests: {cpu: 100m}
          limits: {cpu: 200m}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: burn}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 50}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: ${SCALE_DOWN_WINDOW_S}
`;

interface HpaView {
  targets: string;
  currentReplicas: number | null;
  desiredReplicas: number | null;
  conditions: { type: string; status: string; reason: string; message: string }[];
}

const boxes: Sandbox[] = [];
const procs: ChildProcess[] = [];
before(requireDocker);
after(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  await Promise.all(boxes.map((b) => b.cleanup()));
});

async function replicas(box: Sandbox, url: string): Promise<number> {
  return (await box.json<{ replicas: number }>(["get", "podsets", "burn", "--server", url])).replicas;
}

/**
 * Waits for the PodSet to reach `n` replicas; on timeout the error carries `mk describe hpa`, so a
 * failure says what the autoscaler saw (on a starved machine a burner may not get its 200m).
 */
async function waitReplicas(box: Sandbox, url: string, n: number, what: string): Promise<void> {
  try {
    await waitFor(async () => (await replicas(box, url)) === n, SCALE_TIMEOUT_MS, what);
  } catch (err) {
    const described = await box.mk(["describe", "hpa", "burn", "--server", url]);
    throw new Error(`${(err as Error).message}\n${described.stdout}${described.stderr}`);
  }
}

async function hpa(box: Sandbox, url: string): Promise<HpaView> {
  return box.json<HpaView>(["get", "hpa", "burn", "--server", url]);
}

/** Creates or removes /tmp/idle in every running burner container. */
async function setIdle(box: Sandbox, idle: boolean): Promise<void> {
  const list = await box.containers({ "mk.owner": "burn" });
  await Promise.all(
    list
      .filter((c) => c.State === "running")
      .map((c) =>
        sh("docker", ["exec", c.Id, ...(idle ? ["touch", "/tmp/idle"] : ["rm", "-f", "/tmp/idle"])]),
      ),
  );
}

function startPrometheus(dir: string, port: number, target: string): ChildProcess {
  mkdirSync(join(dir, "data"), { recursive: true });
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: mk\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["${target}"]\n`,
  );
  const proc = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { cwd: dir, stdio: "ignore" },
  );
  procs.push(proc);
  return proc;
}

const condition = (h: HpaView, type: string) => h.conditions.find((c) => c.type === type);

test("an autoscaling/v2 HPA scales CPU burners 1 -> 3 and back to 1 from Prometheus, and rides out a Prometheus outage", {
  timeout: 900_000,
}, async () => {
  assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} not found: run 'bash scripts/setup.sh --extras'`);
  const box = new Sandbox();
  boxes.push(box);
  const promPort = await freePort();
  const promUrl = `http://127.0.0.1:${promPort}`;
  const server = await box.server(["--prometheus", promUrl, ...FAST]);
  const promDir = join(box.dir, "prometheus");
  let prometheus = startPrometheus(promDir, promPort, new URL(server.url).host);
  await waitFor(
    async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status === 200,
    20_000,
    "prometheus ready",
  );
  writeFileSync(join(box.dir, "burn.yaml"), MANIFESTS);
  await box.ok(["apply", "-f", join(box.dir, "burn.yaml"), "--server", server.url]);

  // Load: one burner at 200 % of its request against a 50 % target asks for 4, capped at 3.
  const loadStart = Date.now();
  await waitReplicas(box, server.url, 3, "scale-up to 3");
  const upAfter = Date.now() - loadStart;
  const events = await box.ok(["events", "--for", "autoscaler/burn", "--server", server.url]);
  assert.match(
    events,
    /SuccessfulRescale.*New size: 3; reason: cpu resource utilization \(percentage of request\) above target/,
  );
  const table = await box.ok(["get", "hpa", "--server", server.url]);
  assert.match(
    table.split("\n")[0] ?? "",
    /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/,
  );
  assert.match(table, /burn\s+Deployment\/burn\s+(\d+%|<unknown>)\/50%\s+1\s+3\s+\d/);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /mk_autoscaler_desired_replicas\{autoscaler="burn"\} 3/);
  // One step when a burner gets its whole 200m; two (1 -> 2 -> 3) on a loaded machine.
  assert.match(metrics, /mk_autoscaler_rescales_total\{autoscaler="burn",direction="up"\} [12]\n/);
  assert.match(metrics, /mk_autoscaler_rescales_total\{autoscaler="burn",direction="down"\} 0/);
  assert.match(metrics, /mk_autoscaler_utilization_ratio\{autoscaler="burn"\} \d/);

  // Prometheus away under load for longer than the scale-down window, then back: its first rates
  // cover a second or two of mk's stepwise counter (0 for a busy pod). Nothing may scale down.
  prometheus.kill("SIGKILL");
  await new Promise((r) => prometheus.once("exit", r));
  await new Promise((r) => setTimeout(r, (SCALE_DOWN_WINDOW_S + 1) * 1000));
  assert.equal(await replicas(box, server.url), 3, "scaled while Prometheus was down");
  prometheus = startPrometheus(promDir, promPort, new URL(server.url).host);
  const backAt = Date.now();
  for (;;) {
    assert.equal(await replicas(box, server.url), 3, "scaled down after Prometheus came back");
    const active = condition(await hpa(box, server.url), "ScalingActive")?.status === "True";
    const elapsed = Date.now() - backAt;
    if (active && elapsed >= 12_000) break;
    assert.ok(elapsed < 60_000, "ScalingActive not True within 60 s of Prometheus' return");
    await new Promise((r) => setTimeout(r, 1000));
  }

  // Idle: back to 1, but not before the scale-down stabilization window has passed.
  await waitFor(
    async () =>
      (await box.containers({ "mk.owner": "burn" })).filter((c) => c.State === "running").length === 3,
    30_000,
    "3 burners running",
  );
  const idleStart = Date.now();
  await setIdle(box, true);
  await waitReplicas(box, server.url, 1, "scale-down to 1");
  const downAfter = Date.now() - idleStart;
  assert.ok(downAfter >= SCALE_DOWN_WINDOW_S * 1000, `scaled down after ${downAfter} ms, inside the window`);
  const described = await box.ok(["describe", "hpa", "burn", "--server", server.url]);
  assert.match(described, /Reference:\s+Deployment\/burn/);
  assert.match(described, /resource cpu on pods {2}\(as a percentage of request\): {2}\d+%.* \/ 50%/);
  assert.match(described, /ScalingActive\s+True\s+ValidMetricFound/);
  assert.match(described, /New size: 1; reason: All metrics below target/);

  // Prometheus stops: load comes back, but nothing scales, and the condition says why.
  prometheus.kill("SIGKILL");
  await new Promise((r) => prometheus.once("exit", r));
  await setIdle(box, false);
  const down = await waitFor(
    async () => {
      const h = await hpa(box, server.url);
      const c = condition(h, "ScalingActive");
      return c?.status === "False" && c.reason === "FailedGetResourceMetric" ? c : undefined;
    },
    20_000,
    "ScalingActive False while Prometheus is down",
  );
  assert.match(down.message, new RegExp(`Prometheus http://127\\.0\\.0\\.1:${promPort} unreachable`));
  await new Promise((r) => setTimeout(r, 6000));
  assert.equal(await replicas(box, server.url), 1, "scaled while Prometheus was down");

  // Prometheus is back: the autoscaler recovers by itself and scales up again.
  prometheus = startPrometheus(promDir, promPort, new URL(server.url).host);
  await waitReplicas(box, server.url, 3, "scale-up after recovery");
  assert.equal(condition(await hpa(box, server.url), "ScalingActive")?.status, "True");
  console.log(
    `# prometheus: load -> 3 in ${upAfter} ms; idle -> 1 in ${downAfter} ms (window ${SCALE_DOWN_WINDOW_S} s)`,
  );
  // Three burners would starve the next test's one of CPU.
  prometheus.kill("SIGKILL");
  boxes.splice(boxes.indexOf(box), 1);
  await box.cleanup();
});

test("without --prometheus the HPA scales the burner up from mk's own Docker stats", {
  timeout: 400_000,
}, async () => {
  const box = new Sandbox();
  boxes.push(box);
  const server = await box.server(FAST);
  // The Deployment alone, then the HPA as kubectl autoscale makes it (the php-apache walkthrough).
  writeFileSync(join(box.dir, "burn.yaml"), MANIFESTS.split("---\n")[0] ?? "");
  await box.ok(["apply", "-f", join(box.dir, "burn.yaml"), "--server", server.url]);
  const made = await box.ok([
    "autoscale",
    "deployment",
    "burn",
    "--cpu-percent=50",
    "--min=1",
    "--max=3",
    "--server",
    server.url,
  ]);
  assert.equal(made.trim(), "horizontalpodautoscaler.autoscaling/burn autoscaled");
  const loadStart = Date.now();
  await waitReplicas(box, server.url, 3, "scale-up to 3 from Docker stats");
  const h = await hpa(box, server.url);
  assert.match(h.targets, /^\d+%\/50%$/);
  assert.equal(condition(h, "ScalingActive")?.reason, "ValidMetricFound");
  console.log(`# docker stats: load -> 3 in ${Date.now() - loadStart} ms`);
});
