// The status page in a real browser: Debian's headless chromium driven by playwright-core (never a
// downloaded browser) against a real `mk server` on the Docker engine. The page must show an applied
// pod, then its restart count rising after `docker kill`, without a reload; it must fit a phone.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { docker, IMAGE, ROOT, requireDocker, Sandbox, waitFor } from "./harness.ts";

// The README's screenshots are remade with MK_SHOTS=docs/img; a plain run leaves the repository alone.
const SHOTS = process.env.MK_SHOTS
  ? join(ROOT, process.env.MK_SHOTS)
  : mkdtempSync(join(tmpdir(), "mk-shots-"));

let box: Sandbox;
let url = "";
let browser: Browser | undefined;

before(async () => {
  await requireDocker();
  box = new Sandbox();
  url = (await box.server(["--resync", "1s", "--backoff-initial", "1s"])).url;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await box?.cleanup();
});

const MANIFESTS = `apiVersion: mk/v1
kind: Pod
metadata: { name: hello }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sleep", "3600"]
      resources: { requests: { cpu: 100m, memory: 32Mi } }
---
apiVersion: mk/v1
kind: PodSet
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: web
          image: ${IMAGE}
          command: ["sleep", "3600"]
          resources: { requests: { cpu: 250m, memory: 64Mi } }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 2
  maxReplicas: 4
`;

const cell = (page: Page, pod: string, field: string) =>
  page.locator(`tr[data-pod="${pod}"] td[data-field="${field}"]`);

async function waitText(page: Page, pod: string, field: string, want: string): Promise<void> {
  await waitFor(
    async () => (await cell(page, pod, field).textContent({ timeout: 1000 }))?.trim() === want,
    30_000,
    `${pod} ${field} = ${want} on the page`,
  );
}

test("statusPage() shows an applied pod and its restart count rising after docker kill, without reload", async () => {
  assert.ok(browser, "chromium did not start");
  const file = join(box.dir, "status.yaml");
  writeFileSync(file, MANIFESTS);
  await box.ok(["apply", "-f", file, "--server", url]);

  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  const res = await page.goto(`${url}/`);
  assert.equal(res?.status(), 200);
  assert.match(res?.headers()["content-type"] ?? "", /^text\/html/);

  await waitText(page, "hello", "status", "Running");
  await waitText(page, "hello", "restarts", "0");
  assert.equal((await cell(page, "hello", "ready").textContent())?.trim(), "1/1");
  assert.ok((await cell(page, "hello", "node").textContent())?.trim());

  // A marker on window survives only if the page updates in place rather than reloading.
  // (Expressions as strings: this project's tsconfig has no DOM types.)
  await page.evaluate("window.mkMarker = 1");
  const [info] = (await box.containers({ "mk.pod": "hello" })).filter((c) => c.State === "running");
  assert.ok(info, "no running container for pod hello");
  await docker.getContainer(info.Id).kill();

  await waitText(page, "hello", "restarts", "1");
  await waitText(page, "hello", "status", "Running");
  const marker = await page.evaluate<unknown>("window.mkMarker");
  assert.equal(marker, 1, "the page reloaded instead of updating in place");
  assert.equal(await page.locator('[data-node] td[data-field="state"]').first().textContent(), "Ready");
  assert.ok((await page.locator("tr[data-event]").count()) > 0, "no events shown");
  const hpa = (field: string) => page.locator(`tr[data-hpa="web"] td[data-field="${field}"]`);
  assert.equal((await hpa("reference").textContent())?.trim(), "PodSet/web");
  assert.match((await hpa("targets").textContent())?.trim() ?? "", /^(\d+%|<unknown>)\/80%$/);
  assert.equal((await hpa("range").textContent())?.trim(), "2 / 4");

  // Let the restart highlight fade so the README screenshot shows the steady state.
  await page.waitForTimeout(1800);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "status-page.png"), fullPage: true });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const fit = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    "({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })",
  );
  assert.ok(
    fit.scrollWidth <= fit.innerWidth + 1,
    `page scrolls sideways on a phone: ${JSON.stringify(fit)}`,
  );
  assert.ok(await cell(page, "hello", "restarts").isVisible(), "restarts hidden on a phone");
  await page.screenshot({ path: join(SHOTS, "status-page-phone.png") });

  assert.deepEqual(problems, []);
  await page.close();
});

const chart = (page: Page, series: string) => page.locator(`figure[data-series="${series}"]`);

async function chartLast(page: Page, series: string): Promise<Record<string, number | null>> {
  const raw = await chart(page, series).getAttribute("data-last", { timeout: 1000 });
  return JSON.parse(raw ?? "{}") as Record<string, number | null>;
}

test("status page charts move live: the restarts line rises after docker kill, without reload", async () => {
  assert.ok(browser, "chromium did not start");
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(`${url}/`);
  // Every default series has its chart, in the server's order.
  await waitFor(async () => (await page.locator("figure[data-series]").count()) === 9, 15_000, "9 charts");
  assert.deepEqual(
    await page.evaluate<string[]>(
      "Array.from(document.querySelectorAll('figure[data-series]')).map((e) => e.dataset.series)",
    ),
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
  // The HPA applied above has its line of desired replicas, within its 2..4 range.
  await waitFor(
    async () => {
      const web = (await chartLast(page, "autoscaler_replicas")).web ?? 0;
      return web >= 2 && web <= 4 && (await chart(page, "autoscaler_replicas").isVisible());
    },
    30_000,
    "the autoscaler chart shows hpa web's desired replicas",
  );
  // mk_autoscaler_rescales_total: hpa web's line, at 0 or more (2 pods asked, 2 there: no rescale yet).
  await waitFor(
    async () => typeof (await chartLast(page, "autoscaler_rescales")).web === "number",
    30_000,
    "the rescales chart shows hpa web's line",
  );
  await waitFor(
    async () => ((await chartLast(page, "pods_running")).local ?? 0) >= 3,
    30_000,
    "the running-pods chart shows the 3 pods on node local",
  );
  assert.equal((await chartLast(page, "nodes")).Ready, 1);
  const before = (await chartLast(page, "restarts")).restarts ?? 0;
  const path = chart(page, "restarts").locator("path.line");
  const dBefore = await path.getAttribute("d");
  assert.ok(dBefore?.startsWith("M"), `restarts line drawn: ${dBefore}`);
  await page.screenshot({ path: join(SHOTS, "status-charts-1-steady.png"), fullPage: true });

  const [victim] = (await box.containers({ "mk.owner": "web" })).filter((c) => c.State === "running");
  assert.ok(victim, "no running container for podset web");
  await docker.getContainer(victim.Id).kill();

  await waitFor(
    async () => ((await chartLast(page, "restarts")).restarts ?? 0) > before,
    30_000,
    `the restarts chart rises above ${before}`,
  );
  assert.notEqual(await path.getAttribute("d"), dBefore, "the restarts line was not redrawn");
  await page.screenshot({ path: join(SHOTS, "status-charts-2-after-kill.png"), fullPage: true });
  // The startup-latency chart has values once pods started within its window.
  const startup = await chartLast(page, "startup_latency");
  assert.ok((startup.p50 ?? 0) > 0 && (startup.p99 ?? 0) >= (startup.p50 ?? 0), JSON.stringify(startup));
  assert.deepEqual(problems, []);
  await page.close();
});
