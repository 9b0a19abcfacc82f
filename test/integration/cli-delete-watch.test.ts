// mk delete's kubectl flags and mk get -w, against a real `mk server` on the real Docker engine:
// --grace-period reaches the container's stop (a 30 s pod stops in ~2 s), --force removes the pod
// from the state at once, --ignore-not-found, --wait=false, -l, progress while waiting; -w prints
// the list once and then one line per changed object, piped, with --output-watch-events.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, IMAGE, MAIN, requireDocker, Sandbox, waitFor } from "./harness.ts";

let box: Sandbox;
let url = "";
const TSX = import.meta.resolve("tsx");

const mk = (args: string[], input?: string) =>
  box.mk(args, { env: { MK_SERVER: url }, ...(input !== undefined ? { input } : {}) });
async function ok(args: string[], input?: string): Promise<string> {
  const r = await mk(args, input);
  assert.equal(r.code, 0, `mk ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A pod whose process ignores SIGTERM (PID 1 sleep): only the grace period ends it. */
function stubborn(name: string, labels = `{ app: ${name} }`): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: ${labels} }
spec:
  terminationGracePeriodSeconds: 30
  containers: [{ name: c, image: ${IMAGE}, command: [sleep, "3600"] }]
`;
}

async function applyAll(yaml: string): Promise<void> {
  const file = join(box.dir, `m${Date.now()}.yaml`);
  writeFileSync(file, yaml);
  await ok(["apply", "-f", file, "--timeout", "60s"]);
}

before(async () => {
  await requireDocker();
  box = new Sandbox();
  url = (await box.server(["--resync", "1s"])).url;
});
after(async () => {
  await box?.cleanup();
});

test("delete --grace-period 2 overrides a 30 s grace period: the container is stopped by SIGKILL after ~2 s", async () => {
  await applyAll(stubborn("slow"));
  const t0 = Date.now();
  const r = await mk(["delete", "pod/slow", "--grace-period", "2"]);
  const took = Date.now() - t0;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^pod\/slow deleted$/m);
  assert.match(
    r.stderr,
    /waiting for 1 pod\(s\) to stop:\n {2}pod\/slow is terminating/,
    "progress, not silence",
  );
  assert.ok(took < 20_000, `took ${took} ms: the 30 s grace period was used`);
  assert.equal((await box.containers({ "mk.pod": "slow" })).length, 0);
  const grace = await box.json<{ g: number | null }[]>([
    "sql",
    "select count(*) g from pods where name = 'slow'",
  ]);
  assert.equal(grace[0]?.g, 0);
});

test("delete --force --grace-period 0 removes the pod from the state at once and warns; its container goes too", async () => {
  await applyAll(stubborn("forced"));
  const r = await mk(["delete", "pod", "forced", "--force", "--grace-period", "0", "--wait=false"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Immediate deletion does not wait for confirmation/);
  assert.match(r.stdout, /^pod\/forced deleted \(force\)$/m);
  const gone = await mk(["get", "pod", "forced"]);
  assert.equal(gone.code, 1, "gone from the state right away");
  await waitFor(
    async () => (await box.containers({ "mk.pod": "forced" })).length === 0,
    15_000,
    "container removed",
  );
  const bad = await mk(["delete", "pod", "x", "--force", "--grace-period", "5"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--force deletes at once/);
  const nan = await mk(["delete", "pod", "x", "--grace-period", "soon"]);
  assert.equal(nan.code, 2);
  assert.match(nan.stderr, /--grace-period soon: expected a whole number of seconds/);
});

test("delete --ignore-not-found, --wait=false and -l", async () => {
  const missing = await mk(["delete", "pod", "nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\): pods "nope" not found$/m);
  const ignored = await mk(["delete", "pod/nope", "deploy/nope", "--ignore-not-found"]);
  assert.equal(ignored.code, 0, ignored.stderr);
  assert.equal(ignored.stderr, "");
  await applyAll(`${stubborn("sel-a", "{ app: sel }")}---\n${stubborn("sel-b", "{ app: sel }")}`);
  const t0 = Date.now();
  const r = await mk(["delete", "pods", "-l", "app=sel", "--wait=false"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - t0 < 15_000);
  assert.deepEqual(r.stdout.trim().split("\n").sort(), ["pod/sel-a deleted", "pod/sel-b deleted"]);
  // --wait=false returned while the pods still stop (30 s grace): they show Terminating.
  assert.match(await ok(["get", "pods", "-l", "app=sel"]), /Terminating/);
  await ok(["delete", "pods", "-l", "app=sel", "--force", "--wait=false"]);
  const needs = await mk(["delete", "pods"]);
  assert.equal(needs.code, 2);
  assert.match(needs.stderr, /needs names, -l SELECTOR or --all/);
});

function watch(args: string[]): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, ["--import", TSX, MAIN, ...args], {
    cwd: box.dir,
    env: box.env({ MK_SERVER: url }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  return { proc, out: () => out };
}

test("get -w prints the list once, then one line per added, changed or deleted pod (piped)", async () => {
  await applyAll(
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: w }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: w } }\n  template:\n    metadata: { labels: { app: w } }\n    spec:\n      terminationGracePeriodSeconds: 0\n      containers: [{ name: c, image: ${IMAGE}, command: [sleep, "3600"] }]\n`,
  );
  const w = watch(["get", "pods", "-l", "app=w", "-w", "--output-watch-events"]);
  const json = watch(["get", "deploy/w", "-w", "-o", "json"]);
  try {
    await waitFor(async () => /ADDED\s+w-/.test(w.out()), 20_000, "initial list");
    await waitFor(async () => json.out().includes('"kind": "Deployment"'), 20_000, "initial object");
    await ok(["scale", "deploy/w", "--replicas", "2"]);
    // The watch polls every 500 ms: a pod that starts within one poll is first seen Running (ADDED),
    // a slower one is ADDED Pending, then MODIFIED to Running. Either way the new pod ends Running.
    await waitFor(
      async () => {
        const added = [...w.out().matchAll(/^ADDED\s+(w-\S+)/gm)].map((m) => m[1] ?? "");
        const second = added[1];
        return (
          second !== undefined && new RegExp(`^(ADDED|MODIFIED)\\s+${second}\\s.*Running`, "m").test(w.out())
        );
      },
      30_000,
      "the new pod added, and seen Running",
    );
    await ok(["scale", "deploy/w", "--replicas", "1"]);
    await waitFor(async () => /^DELETED\s+w-/m.test(w.out()), 30_000, "a pod deleted");
    const lines = w.out().trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("EVENT")).length, 1, "header once");
    // Nothing is redrawn: the first pod appears once as ADDED and again only when it changes.
    const first = (lines[1] ?? "").split(/\s+/)[1] ?? "";
    assert.equal(lines.filter((l) => l.startsWith("ADDED") && l.includes(first)).length, 1);
    assert.ok(!w.out().includes("\x1b["), "no screen clearing when piped");
    // -o json -w: the object again only when it changed (the scale changed spec.replicas).
    await waitFor(
      async () => (json.out().match(/"kind": "Deployment"/g)?.length ?? 0) >= 2,
      20_000,
      "json watch",
    );
  } finally {
    w.proc.kill("SIGINT");
    json.proc.kill("SIGINT");
  }
  await waitFor(async () => w.proc.exitCode !== null, 10_000, "watch ends on SIGINT");
  assert.equal(w.proc.exitCode, 0);
  void docker;
});
