// Doing things to pods, on the real Docker engine through a real `mk server`: restarts as new
// containers (logs -p, a fresh writable layer), logs flags, exec (stdin, TTY, exit codes),
// port-forward, top, honest waiting (fail fast, never-ready, delete) and hostPort scheduling.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, freePort, IMAGE, MAIN, requireDocker, Sandbox, waitFor } from "./harness.ts";

const TSX = import.meta.resolve("tsx");

interface PodJson {
  name: string;
  phase: string;
  status: string;
  reason: string | null;
  message: string | null;
  ready: boolean;
  restarts: number;
}

let box: Sandbox;
let url = "";

before(async () => {
  await requireDocker();
  box = new Sandbox();
  url = (await box.server(["--resync", "1s", "--backoff-initial", "1s", "--backoff-max", "4s"])).url;
});
after(async () => {
  await box?.cleanup();
});

function pod(name: string, containers: string, extra = ""): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 0\n${extra}  containers:\n${containers}`;
}

function container(command: string, extra = "", name = "main"): string {
  return `    - name: ${name}\n      image: ${IMAGE}\n      command: ["sh", "-c", ${JSON.stringify(command)}]\n${extra}`;
}

function write(name: string, yaml: string): string {
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** The args with --server URL, before a `--` (what follows it is the command exec runs). */
function viaServer(args: string[]): string[] {
  const dashes = args.indexOf("--");
  return dashes < 0
    ? [...args, "--server", url]
    : [...args.slice(0, dashes), "--server", url, ...args.slice(dashes)];
}
const mk = (args: string[], opts: { input?: string } = {}) => box.mk(viaServer(args), opts);
const ok = (args: string[], opts: { input?: string } = {}) => box.ok(viaServer(args), opts);
const get = (name: string) => box.json<PodJson>(["get", "pods", name, "--server", url]);

async function applyNoWait(name: string, yaml: string): Promise<void> {
  await ok(["apply", "-f", write(name, yaml), "--no-wait"]);
}

test("a restart is a new container: logs -p shows the previous run, and its writable layer is gone", async () => {
  // Each run prints an id of its own, whether a file left by an earlier run is there, and a
  // stderr line between two stdout lines; then it waits to be killed (docker kill = a crash).
  await applyNoWait(
    "crashy",
    pod(
      "crashy",
      container(
        "echo run=$(cat /proc/sys/kernel/random/uuid); if [ -e /left-behind ]; then echo found-left-behind; fi; echo x > /left-behind; echo first-out; sleep 0.1; echo middle-err >&2; sleep 0.1; echo last-out; exec sleep 3600",
      ),
    ),
  );
  const run = (n: number) =>
    waitFor(
      async () => {
        const [c] = await box.containers({ "mk.pod": "crashy", "mk.restart": String(n) });
        if (!c) return false;
        const logs = (await docker.getContainer(c.Id).logs({ stdout: true, stderr: true })).toString();
        return logs.includes("last-out") ? c : false;
      },
      30_000,
      `crashy run ${n} printed its lines`,
    );
  const run0 = await run(0);
  await docker.getContainer(run0.Id).kill();
  await run(1);
  const current = await ok(["logs", "crashy"]);
  const previous = await ok(["logs", "pod/crashy", "-p"]);
  const runId = (text: string) => /run=([0-9a-f-]+)/.exec(text)?.[1];
  assert.ok(runId(current) && runId(previous), `${current}\n${previous}`);
  assert.notEqual(runId(current), runId(previous), "the previous run's logs are another container's");
  const run0Logs = (await docker.getContainer(run0.Id).logs({ stdout: true, stderr: true })).toString();
  assert.ok(run0Logs.includes(`run=${runId(previous)}`), "-p reads run 0's container");
  assert.doesNotMatch(current, /found-left-behind/, "the next run does not see the crashed run's files");
  // stdout and stderr in the order they were written.
  assert.deepEqual(
    previous.split("\n").filter((l) => /first-out|middle-err|last-out/.test(l)),
    ["first-out", "middle-err", "last-out"],
  );
  const stamped = await ok(["logs", "crashy", "-p", "--timestamps", "--tail", "1"]);
  assert.match(stamped.trim(), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z last-out$/);
  assert.equal((await ok(["logs", "crashy", "-p", "--since", "1h"])).trim(), previous.trim());
  const future = new Date(Date.now() + 3_600_000).toISOString();
  assert.equal((await ok(["logs", "crashy", "-p", "--since", future])).trim(), "");
  // The next crash: run 2 starts, run 1 becomes the previous one, run 0 is removed.
  const [run1] = await box.containers({ "mk.pod": "crashy", "mk.restart": "1" });
  await docker.getContainer(run1?.Id ?? "").kill();
  await run(2);
  const kept = await waitFor(
    async () => {
      const list = await box.containers({ "mk.pod": "crashy" });
      return list.length === 2 ? list : false;
    },
    10_000,
    "run 0 removed",
  );
  assert.deepEqual(kept.map((c) => c.Labels["mk.restart"]).sort(), ["1", "2"]);
  assert.equal((await get("crashy")).restarts, 2);
});

test("logs: a pod with no container says why; -p with no previous run and a bad -c are clear errors", async () => {
  await applyNoWait(
    "nopull",
    pod("nopull", `    - name: main\n      image: mk.local/not-there:1\n      imagePullPolicy: Never\n`),
  );
  await waitFor(
    async () => (await get("nopull")).status === "ErrImageNeverPull",
    20_000,
    "ErrImageNeverPull",
  );
  const r = await mk(["logs", "nopull"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /container "main" in pod "nopull" is waiting to start: ErrImageNeverPull/);

  await applyNoWait("steady", pod("steady", container("echo hello-steady; exec sleep 3600")));
  await ok(["wait", "--for=condition=Ready", "pod/steady", "--timeout", "30s"]);
  const p = await mk(["logs", "steady", "-p"]);
  assert.equal(p.code, 1);
  assert.match(p.stderr, /previous terminated container "main" in pod "steady" not found/);
  const c = await mk(["logs", "steady", "-c", "nope"]);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /container "nope" is not valid for pod "steady": choose one of main/);
  assert.match(await ok(["logs", "steady", "--all-containers"]), /hello-steady/);
  const bad = await mk(["logs", "steady", "--since", "yesterday"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--since yesterday: expected a duration/);
});

test("two containers: logs and exec default to the first (saying so), --all-containers shows both, wait -l", async () => {
  await applyNoWait(
    "duo",
    pod(
      "duo",
      `${container("echo from-a; exec sleep 3600", "", "a")}${container("echo from-b; exec sleep 3600", "", "b")}`,
      "  # two containers\n",
    ).replace("metadata: { name: duo }", "metadata: { name: duo, labels: { app: duo } }"),
  );
  assert.match(
    await ok(["wait", "--for=condition=Ready", "pods", "-l", "app=duo", "--timeout", "30s"]),
    /^pod\/duo condition met$/m,
  );
  const first = await mk(["logs", "duo"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, "from-a\n");
  assert.match(first.stderr, /Defaulted container "a" out of: a, b/);
  const both = await ok(["logs", "duo", "--all-containers"]);
  assert.deepEqual(both.trim().split("\n").sort(), ["from-a", "from-b"]);
  const prefixed = await ok(["logs", "duo", "--all-containers", "--prefix"]);
  assert.match(prefixed, /^\[pod\/duo\/b\] from-b$/m);
  const e = await mk(["exec", "duo", "-c", "b", "--", "sh", "-c", "echo in-b"]);
  assert.equal(e.stdout, "in-b\n");
  const d = await mk(["exec", "duo", "--", "hostname"]);
  assert.equal(d.code, 0);
  assert.match(d.stderr, /Defaulted container "a"/);
  const none = await mk(["wait", "--for=condition=Ready", "pods", "-l", "app=nothing"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no matching resources found/);
  await ok(["delete", "pod", "duo", "--no-wait"]);
});

test("wait fails at once on a crash loop and an image that cannot be had, and times out on a never-ready pod", async () => {
  const t0 = Date.now();
  const loop = await mk([
    "apply",
    "-f",
    write("loop", pod("loop", container("echo run=$(cat /proc/sys/kernel/random/uuid); exit 1"))),
    "--timeout",
    "60s",
  ]);
  const secs = (Date.now() - t0) / 1000;
  assert.equal(loop.code, 1, loop.stdout + loop.stderr);
  assert.match(loop.stderr, /pod\/loop is CrashLoopBackOff \(container main\)/);
  assert.ok(secs < 30, `apply --wait took ${secs}s to see the crash loop`);
  const w = await mk(["wait", "--for=condition=Ready", "pod/loop", "--timeout", "60s"]);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /pod\/loop is CrashLoopBackOff/);
  // In back-off the crashed run is the last terminated one: logs and logs -p both show it, as
  // kubectl's do (read through the API, so that no restart falls between the looks).
  const logsOf = async (q: string) =>
    (await fetch(`${url}/api/v1/pods/loop/logs${q}`)).text().then((t) => /run=\S+/.exec(t)?.[0]);
  const same = await waitFor(
    async () => {
      const before = await get("loop");
      const [cur, prev] = await Promise.all([logsOf(""), logsOf("?previous=true")]);
      const after = await get("loop");
      const stable = before.restarts === after.restarts && after.status === "CrashLoopBackOff";
      return stable && cur && before.status === "CrashLoopBackOff" ? { cur, prev } : false;
    },
    20_000,
    "two looks within one back-off",
  );
  assert.equal(same.prev, same.cur, "logs -p in CrashLoopBackOff is the run that crashed");

  const np = await mk(["wait", "--for=condition=Ready", "pods", "nopull", "--timeout", "60s"]);
  assert.equal(np.code, 1);
  assert.match(np.stderr, /pod\/nopull is ErrImageNeverPull/);

  await applyNoWait(
    "unready",
    pod(
      "unready",
      container(
        "exec sleep 3600",
        '      readinessProbe:\n        exec: { command: ["false"] }\n        periodSeconds: 1\n',
      ),
    ),
  );
  const nr = await mk(["wait", "--for=condition=Ready", "pod/unready", "--timeout", "4s"]);
  assert.equal(nr.code, 1);
  assert.match(
    nr.stderr,
    /timed out after 4s waiting for pod\/unready:\n\s+pod\/unready is (Running but not Ready|ContainerCreating)/,
  );
  const ap = await mk(["apply", "-f", join(box.dir, "unready.yaml"), "--timeout", "3s"]);
  assert.equal(ap.code, 1, "apply --wait of a never-ready pod does not succeed");

  assert.match(await ok(["wait", "--for=condition=Ready", "pod/steady"]), /^pod\/steady condition met$/m);
  await ok(["delete", "pod", "unready", "--no-wait"]);
  assert.match(await ok(["wait", "--for=delete", "pod/unready", "--timeout", "30s"]), /pod\/unready deleted/);
  const missing = await mk(["wait", "--for=condition=Ready", "pod/never-was"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error from server \(NotFound\): pods "never-was" not found/);
});

test("exec: exit code passed through, stdout and stderr apart, stdin with -i, a terminal with -it", async () => {
  const r = await mk(["exec", "steady", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 7"]);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, "to-out\n");
  assert.equal(r.stderr, "to-err\n");
  const i = await mk(["exec", "-i", "pod/steady", "--", "sh", "-c", "tr a-z A-Z; echo done"], {
    input: "hello\n",
  });
  assert.equal(i.code, 0, i.stderr);
  assert.equal(i.stdout, "HELLO\ndone\n");
  // A terminal: `script` gives the CLI one, the command sees a pts device.
  const tty = await new Promise<{ code: number; out: string }>((resolve) => {
    const cmd = [
      process.execPath,
      "--import",
      TSX,
      MAIN,
      "exec",
      "-it",
      "steady",
      "--server",
      url,
      "--",
      "sh",
      "-c",
      "tty; exit 5",
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    const child = spawn("script", ["-qec", cmd, "/dev/null"], {
      env: box.env(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
  assert.match(tty.out, /\/dev\/pts\/\d+/);
  assert.equal(tty.code, 5);
  const notRunning = await mk(["exec", "nopull", "--", "true"]);
  assert.equal(notRunning.code, 1);
  assert.match(notRunning.stderr, /waiting to start: ErrImageNeverPull/);
  // Without the server: the CLI reaches the node's Docker itself.
  const local = await box.mk(["exec", "steady", "--", "sh", "-c", "exit 9"]);
  assert.equal(local.code, 9);
});

test("port-forward: LOCAL:REMOTE and :REMOTE reach the pod's port, through the server and without it", async () => {
  await applyNoWait(
    "web",
    pod(
      "web",
      container(
        "echo pod-web > /tmp/index.html; exec httpd -f -p 8080 -h /tmp",
        "      ports: [{ containerPort: 8080 }]\n",
      ),
    ),
  );
  await ok(["wait", "--for=condition=Ready", "pod/web", "--timeout", "30s"]);
  const fixed = await freePort();
  for (const viaServer of [true, false]) {
    const args = [
      "--import",
      TSX,
      MAIN,
      "port-forward",
      "web",
      `${fixed}:8080`,
      ":8080",
      ...(viaServer ? ["--server", url] : []),
    ];
    const child = spawn(process.execPath, args, { env: box.env(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    try {
      const ports = await waitFor(
        async () => {
          const m = [...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/g)].map((x) => Number(x[1]));
          return m.length === 2 ? m : false;
        },
        20_000,
        `port-forward listening (${out})`,
      );
      assert.equal(ports[0], fixed);
      for (const port of ports) {
        const body = await (await fetch(`http://127.0.0.1:${port}/index.html`)).text();
        assert.equal(body, "pod-web\n", `via ${viaServer ? "server" : "CLI"} on ${port}`);
      }
      assert.match(out, new RegExp(`Handling connection for ${fixed}`));
    } finally {
      child.kill("SIGINT");
    }
  }
});

test("top pods and nodes: millicores and Mi from Docker's stats, kubectl's columns", async () => {
  await applyNoWait(
    "burner",
    pod(
      "burner",
      container(
        "x=$(head -c 30000000 /dev/zero | tr '\\0' a); while :; do :; done",
        "      resources: { limits: { cpu: 200m } }\n",
      ),
    ),
  );
  await ok(["wait", "--for=condition=Ready", "pod/burner", "--timeout", "30s"]);
  const top = await waitFor(
    async () => {
      const list = await box.json<{ name: string; cpuMilli: number | null; memoryBytes: number }[]>([
        "top",
        "pods",
        "--server",
        url,
      ]);
      const b = list.find((p) => p.name === "burner");
      return b && (b.cpuMilli ?? 0) > 50 && b.memoryBytes > 20 * 2 ** 20 ? b : false;
    },
    // The server samples every 10 s; each Docker stats call takes a second or more.
    60_000,
    "burner using CPU and 30 MB",
  );
  assert.ok((top.cpuMilli ?? 0) < 400, `capped at 200m by its limit, got ${top.cpuMilli}m`);
  const table = await ok(["top", "pods", "burner"]);
  assert.match(table, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\nburner\s+\d+m\s+\d+Mi\n$/);
  const nodes = await ok(["top", "nodes"]);
  assert.match(
    nodes,
    /^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%\nlocal\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\n$/,
  );
  await ok(["delete", "pod", "burner", "--no-wait"]);
});

test("hostPort: a second pod wanting the same host port stays Pending with the scheduler's reason", async () => {
  const port = await freePort();
  const spec = (name: string) =>
    pod(name, container("exec sleep 3600", `      ports: [{ containerPort: 80, hostPort: ${port} }]\n`));
  await ok(["apply", "-f", write("hp1", spec("hp1")), "--timeout", "30s"]);
  const second = await mk(["apply", "-f", write("hp2", spec("hp2")), "--timeout", "30s"]);
  const reason = "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports";
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`pod/hp2 is unschedulable: ${reason.replace(/[()]/g, "\\$&")}`));
  const p = await get("hp2");
  assert.equal(p.phase, "Pending");
  assert.equal(p.message, reason);
  // get: Pending as kubectl shows it, the scheduler's reason in the PodScheduled condition.
  assert.match(await ok(["get", "pods", "hp2"]), /hp2\s+0\/1\s+Pending\s/);
  assert.equal(
    await ok(["get", "pod/hp2", "-o", 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']),
    reason,
  );
  assert.ok((await ok(["describe", "pod", "hp2"])).includes(reason));
  const events = await box.json<{ reason: string; message: string }[]>([
    "events",
    "--for",
    "pod/hp2",
    "--server",
    url,
  ]);
  assert.ok(
    events.some((e) => e.reason === "FailedScheduling" && e.message === reason),
    JSON.stringify(events),
  );
  assert.equal((await box.containers({ "mk.pod": "hp2" })).length, 0, "no container tried the port");
  // Once the first pod is gone, the second gets the port.
  await ok(["delete", "pod", "hp1"]);
  await ok(["wait", "--for=condition=Ready", "pod/hp2", "--timeout", "30s"]);
  const [c] = await box.containers({ "mk.pod": "hp2" });
  const info = await docker.getContainer(c?.Id ?? "").inspect();
  assert.equal(info.HostConfig.PortBindings?.["80/tcp"]?.[0]?.HostPort, String(port));
});
