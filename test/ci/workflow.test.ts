// .github/workflows/ci.yml cannot run here, so this keeps it honest: it must run the same command as
// .ci/run (which must run scripts/test.sh), on Node 20, as root, with Ubuntu's names for every package
// scripts/setup.sh --extras installs on Debian.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";

const ROOT = join(import.meta.dirname, "../..");
const read = (f: string) => readFileSync(join(ROOT, f), "utf8");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<
    string,
    { "runs-on": string; "timeout-minutes"?: number; env?: Record<string, string>; steps: Step[] }
  >;
}

const wf = parse(read(".github/workflows/ci.yml")) as Workflow;
const job = wf.jobs.test;

/** Shell lines without comments and line continuations. */
function commands(script: string): string[] {
  return script
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l && !l.startsWith("#"));
}

/** The package names in `PKGS=(...)` and `PKGS+=(...)` of scripts/setup.sh. */
function setupPackages(): string[] {
  const text = read("scripts/setup.sh");
  return [...text.matchAll(/PKGS\+?=\(([^)]*)\)/g)].flatMap((m) => (m[1] ?? "").trim().split(/\s+/));
}

test("ci.yml runs on push to main and on pull requests, on an Ubuntu runner, within the 30-minute budget", () => {
  assert.ok(job, "ci.yml has no job named test");
  assert.deepEqual(Object.keys(wf.on).sort(), ["pull_request", "push"]);
  assert.match(job["runs-on"], /^ubuntu-/);
  assert.ok((job["timeout-minutes"] ?? 360) <= 30, "the suite must stay under 30 minutes");
});

test("ci.yml's test step is .ci/run as root, and .ci/run is exactly scripts/test.sh", () => {
  const ci = commands(read(".ci/run"));
  assert.equal(ci.at(-1), "bash scripts/test.sh", ".ci/run must end by running bash scripts/test.sh");
  const runs = job?.steps.flatMap((s) => (s.run ? commands(s.run) : [])) ?? [];
  const test = runs.filter((c) => /\.ci\/run|scripts\/test\.sh/.test(c));
  assert.equal(test.length, 1, `one test command, got ${JSON.stringify(test)}`);
  assert.match(test[0] ?? "", /^sudo .*\bbash \.ci\/run$/);
  assert.equal(job?.steps.at(-1)?.run?.trim(), test[0], "the test runs last");
});

test("ci.yml uses Node 20 as package.json's engines and checks out the code first", () => {
  const setup = job?.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
  assert.equal(String(setup?.with?.["node-version"]), "20");
  const engines = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines.node;
  assert.match(engines, /^>=20\./);
  assert.match(job?.steps[0]?.uses ?? "", /^actions\/checkout@/);
});

test("ci.yml installs every package setup.sh --extras would, and tells setup.sh not to use apt", () => {
  assert.equal(job?.env?.MK_SETUP_APT, "0");
  assert.match(read("scripts/setup.sh"), /apt=\$\{MK_SETUP_APT:-1\}/);
  const install = job?.steps.find((s) => /apt-get install/.test(s.run ?? ""));
  const words = new Set(
    commands(install?.run ?? "")
      .join(" ")
      .split(/\s+/),
  );
  // On the runner Docker (moby) is preinstalled, and Chromium is Google Chrome linked to /usr/bin/chromium.
  const provided: Record<string, RegExp> = {
    "docker.io": /^$/,
    chromium: /ln -sf .*google-chrome.* \/usr\/bin\/chromium/,
  };
  const missing = setupPackages().filter((p) => {
    const alt = provided[p];
    if (alt) return alt.source !== "^$" && !alt.test(install?.run ?? "");
    return !words.has(p);
  });
  assert.deepEqual(missing, [], "packages setup.sh installs that ci.yml does not");
  assert.ok(
    setupPackages().includes("chromium") && setupPackages().includes("etcd-server"),
    "setup.sh parsed",
  );
});
