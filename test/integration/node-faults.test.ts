// Faults of the pieces around mk, on the SSH lab (run under `flock /tmp/mk-lab.lock`):
//  - a node's dockerd dies and comes back (scripts/lab/node-kill.sh + node-reboot.sh): its
//    containers end Exited, and mk restarts them per restartPolicy (Always and OnFailure run
//    again, Never ends Failed), with never two running containers for one pod;
//  - the SSH link of a node flaps every few seconds for a minute (node-link.sh down|up, seeded):
//    never two running containers for one pod, convergence afterwards with nothing left over,
//    and no leaked SSH channels (mk_ssh_channels) or connections (the server's established TCP
//    connections to the node's sshd).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { addLabNodes, IMAGE, requireDocker, Sandbox, sleeperYaml, waitFor } from "./harness.ts";
import { LAB_ENV as ENV, lab, nodeDocker } from "./lab-hosts.ts";

const run = promisify(execFile);
const SEED = Number(process.env.MK_FLAP_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FLAP_MS = Number(process.env.MK_FLAP_MS ?? 60_000);

interface PodJson {
  name: string;
  phase: string;
  node: string | null;
  restarts: number;
  owner: { kind: string; name: string };
}

let box: Sandbox | undefined;
let serverLogs: () => string = () => "";

before(async () => {
  assert.equal(process.getuid?.(), 0, "the multi-node lab needs root (scripts/test.sh runs as root in CI)");
  await requireDocker();
  await lab("nodes-up.sh", "2");
});
after(async () => {
  await box?.cleanup();
  for (const i of [1, 2]) await lab("node-link.sh", String(i), "up").catch(() => undefined);
  await lab("nodes-down.sh");
});

/**
 * A read of the server's API. Polls go through it, not through a CLI process per look: on a busy
 * 2-core machine each `mk get` costs seconds of start-up, and the fault windows are what is tested.
 */
async function api<T>(url: string, path: string): Promise<T> {
  return (await (await fetch(`${url}${path}`)).json()) as T;
}

async function addNodes(b: Sandbox, url: string): Promise<void> {
  await addLabNodes(b, url, ENV);
}

/** Running containers per pod on both lab engines, asked directly (not through mk or SSH). */
async function runningByPod(cluster: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const i of [1, 2]) {
    const list = await nodeDocker(i)
      .listContainers({ filters: { label: [`mk.cluster=${cluster}`], status: ["running"] } })
      .catch(() => []);
    for (const c of list) {
      const key = `${c.Labels["mk.pod"]}/${c.Labels["mk.container"]}`;
      out.set(key, [...(out.get(key) ?? []), `n${i}:${c.Names[0]}`]);
    }
  }
  return out;
}

function assertNoDuplicates(by: Map<string, string[]>, when: string): void {
  for (const [key, where] of by)
    assert.equal(where.length, 1, `${when}: two running containers for ${key}: ${where.join(", ")}`);
}

test("a node's dockerd restarted: its Exited containers are restarted per restartPolicy", async () => {
  box = new Sandbox();
  // A long grace: the node's pods must be restarted in place, not evicted.
  const srv = await box.server(
    ["--no-local-node", "--lease", "3s", "--resync", "1s", "--node-grace", "60s", "--backoff-initial", "1s"],
    ENV,
  );
  await addNodes(box, srv.url);
  const pod = (name: string, policy: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: n1
  restartPolicy: ${policy}
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sleep", "3600"]
`;
  const file = join(box.dir, "pods.yaml");
  writeFileSync(
    file,
    [pod("always", "Always"), pod("onfailure", "OnFailure"), pod("never", "Never")].join("---\n"),
  );
  await box.ok(["apply", "-f", file, "--server", srv.url]);
  const cluster = await box.clusterId();
  const pods = () => api<PodJson[]>(srv.url, "/api/v1/pods");
  await waitFor(
    async () => (await pods()).every((p) => p.phase === "Running"),
    60_000,
    "three pods running on n1",
  );

  await lab("node-kill.sh", "1");
  await lab("node-reboot.sh", "1");
  const exited = await nodeDocker(1).listContainers({
    all: true,
    filters: { label: [`mk.cluster=${cluster}`] },
  });
  assert.ok(exited.length >= 3, "the old containers are still there after the restart");

  const t0 = Date.now();
  await waitFor(
    async () => {
      assertNoDuplicates(await runningByPod(cluster), "after the dockerd restart");
      const list = await pods();
      const by = new Map(list.map((p) => [p.name, p]));
      return (
        by.get("always")?.phase === "Running" &&
        (by.get("always")?.restarts ?? 0) >= 1 &&
        by.get("onfailure")?.phase === "Running" &&
        (by.get("onfailure")?.restarts ?? 0) >= 1 &&
        by.get("never")?.phase === "Failed"
      );
    },
    90_000,
    "Always and OnFailure restarted, Never Failed",
  );
  console.log(
    `dockerd restart: pods restarted per policy ${Date.now() - t0} ms after the node's dockerd came back`,
  );
  const never = await box.json<{ containers: { lastTermination: { exitCode: number | null } | null }[] }>([
    "get",
    "pods",
    "never",
    "--server",
    srv.url,
  ]);
  assert.ok(never.containers[0], "the Never pod's container status is kept");
  assertNoDuplicates(await runningByPod(cluster), "at the end");
  await box.cleanup();
  box = undefined;
});

/** mulberry32: the printed seed replays the same down/up schedule. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function sshChannels(url: string, node: string): Promise<number> {
  let text = "";
  try {
    // A kept-alive connection the server closed just then resets once (undici): ask again.
    text = await fetch(`${url}/metrics`)
      .catch(() => fetch(`${url}/metrics`, { headers: { connection: "close" } }))
      .then((r) => r.text());
  } catch (err) {
    throw new Error(
      `GET ${url}/metrics failed: ${(err as Error).message}: ${String((err as Error).cause)}\n${serverLogs().slice(-4000)}`,
    );
  }
  const m = new RegExp(`^mk_ssh_channels\\{node="${node}"\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/** The server process's established TCP connections to a node's sshd. */
async function sshConnections(pid: number, addr: string): Promise<number> {
  const { stdout } = await run("ss", ["-Htnp", "state", "established", `dst ${addr}:22`]);
  return stdout.split("\n").filter((l) => l.includes(`pid=${pid},`)).length;
}

test(`SSH that flaps every few seconds for a minute (seed ${SEED}): no duplicate pods, no leaked channels`, async () => {
  console.log(`ssh flap seed ${SEED} (rerun with MK_FLAP_SEED=${SEED})`);
  box = new Sandbox();
  const srv = await box.server(["--no-local-node", "--lease", "3s", "--resync", "1s"], ENV);
  serverLogs = () => `server exit ${srv.proc.exitCode} ${srv.proc.signalCode}\n${srv.logs()}`;
  await addNodes(box, srv.url);
  const file = join(box.dir, "web.yaml");
  writeFileSync(file, sleeperYaml("web", 4, { kind: "Deployment" }));
  await box.ok(["apply", "-f", file, "--server", srv.url, "--no-wait"]);
  const cluster = await box.clusterId();
  const settled = async () => {
    const by = await runningByPod(cluster);
    assertNoDuplicates(by, "settling");
    const list = await api<PodJson[]>(srv.url, "/api/v1/pods");
    const live = list.filter((p) => p.phase === "Running");
    const nodes = await api<{ name: string; state: string }[]>(srv.url, "/api/v1/nodes");
    return by.size === 4 && list.length === 4 && live.length === 4 && nodes.every((n) => n.state === "Ready");
  };
  await waitFor(settled, 90_000, "4 pods running before the flapping").catch((err: Error) => {
    throw new Error(`${err.message}\n${serverLogs().slice(-6000)}`);
  });
  const pid = srv.proc.pid ?? 0;
  const baseline = {
    channels: await sshChannels(srv.url, "n1"),
    conns: await sshConnections(pid, "10.231.0.11"),
  };

  const rand = prng(SEED);
  const t0 = Date.now();
  let flaps = 0;
  let samples = 0;
  let maxChannels = 0;
  let down = false;
  const sampler = (async () => {
    while (Date.now() - t0 < FLAP_MS) {
      assertNoDuplicates(await runningByPod(cluster), `flapping at ${Date.now() - t0} ms`);
      maxChannels = Math.max(maxChannels, await sshChannels(srv.url, "n1"));
      samples++;
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  try {
    while (Date.now() - t0 < FLAP_MS) {
      await lab("node-link.sh", "1", "down");
      down = true;
      flaps++;
      await new Promise((r) => setTimeout(r, 1000 + rand() * 4000)); // 1-5 s: some longer than the 4 s grace
      await lab("node-link.sh", "1", "up");
      down = false;
      await new Promise((r) => setTimeout(r, 1000 + rand() * 3000));
    }
  } finally {
    if (down) await lab("node-link.sh", "1", "up");
  }
  await sampler;

  // Afterwards: converged, nothing left over on either node, channels and connections back.
  await waitFor(settled, 90_000, "4 pods running after the flapping").catch((err: Error) => {
    throw new Error(`${err.message}\n${serverLogs().slice(-6000)}`);
  });
  await waitFor(
    async () => {
      const pods = new Map((await api<{ name: string }[]>(srv.url, "/api/v1/pods")).map((p) => [p.name, p]));
      for (const i of [1, 2]) {
        const all = await nodeDocker(i).listContainers({
          all: true,
          filters: { label: [`mk.cluster=${cluster}`] },
        });
        if (all.some((c) => !pods.has(c.Labels["mk.pod"] ?? ""))) return false;
      }
      return true;
    },
    60_000,
    "no container left over on n1 or n2",
  );
  const channels = await sshChannels(srv.url, "n1");
  const conns = await sshConnections(pid, "10.231.0.11");
  console.log(
    `ssh flap: ${flaps} link flaps in ${Math.round((Date.now() - t0) / 1000)} s, ${samples} duplicate checks; SSH channels to n1 ${baseline.channels} before, max ${maxChannels} during, ${channels} after; connections ${baseline.conns} before, ${conns} after`,
  );
  assert.ok(flaps >= 8, `only ${flaps} flaps`);
  assert.ok(channels <= baseline.channels + 8, `channels leaked: ${baseline.channels} -> ${channels}`);
  assert.ok(conns <= 1, `SSH connections leaked: ${conns} established to n1`);
});
