// Checkpoint C on real hosts: two lab nodes (network namespaces with their own dockerd and sshd)
// reached over SSH-tunneled Docker sockets. Spread, crash failover, reboot fencing, partition
// failover and heal fencing, taints, and image distribution without a registry.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type Docker from "dockerode";
import { addLabNodes, docker, IMAGE, requireDocker, Sandbox, waitFor } from "./harness.ts";
import { LAB_ENV as ENV, LAB, lab, nodeDocker } from "./lab-hosts.ts";

// Server defaults for everything failover depends on (heartbeat, grace, eviction, resync): "within 10 s by default".
const FAST = ["--lease", "3s", "--no-local-node"];

interface PodJson {
  name: string;
  phase: string;
  node: string | null;
  owner: { kind: string; name: string };
  deletionRequestedAt: string | null;
  ready: boolean;
}

let box: Sandbox;
let url = "";
let serverLogs = () => "";

before(async () => {
  assert.equal(process.getuid?.(), 0, "the multi-node lab needs root (scripts/test.sh runs as root in CI)");
  await requireDocker();
  await lab("nodes-up.sh", "2");
});

after(async () => {
  await box?.cleanup();
  for (const i of [1, 2]) {
    await lab("node-link.sh", String(i), "up").catch(() => undefined);
  }
  await lab("nodes-down.sh");
});

function podSet(name: string, replicas: number, extra = ""): string {
  return `apiVersion: mk/v1
kind: PodSet
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
${extra}      containers:
        - name: main
          image: ${IMAGE}
          command: ["httpd", "-f", "-p", "80", "-h", "/www"]
          readinessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 1 }
`;
}

async function pods(owner: string): Promise<PodJson[]> {
  return (await box.json<PodJson[]>(["get", "pods", "--server", url])).filter((p) => p.owner.name === owner);
}

/** Running containers of one PodSet on a lab node, straight from that node's dockerd. */
async function onNode(i: number, owner: string, all = false): Promise<Docker.ContainerInfo[]> {
  const list = await nodeDocker(i).listContainers({ all, filters: { label: [`mk.owner=${owner}`] } });
  return list;
}

async function addNodes(): Promise<void> {
  await addLabNodes(box, url, ENV);
}

test("Checkpoint C: 4 replicas spread 2/2; a crashed node's pods run on the other within 10 s; reboot fences", async () => {
  box = new Sandbox();
  const server = await box.server(FAST, ENV);
  url = server.url;
  serverLogs = server.logs;
  await addNodes();
  const file = join(box.dir, "web.yaml");
  writeFileSync(file, podSet("web", 4));
  await box.ok(["apply", "-f", file, "--server", url]);
  await waitFor(
    async () => (await onNode(1, "web")).length === 2 && (await onNode(2, "web")).length === 2,
    60_000,
    "2/2 spread",
  );
  // Readiness probes reach the containers through the nodes' SSH tunnels (direct-tcpip).
  await waitFor(
    async () => {
      const list = await pods("web");
      return list.length === 4 && list.every((p) => p.ready);
    },
    30_000,
    "4 pods ready through probes over SSH",
  );

  const t0 = Date.now();
  await lab("node-kill.sh", "1");
  await waitFor(
    async () => (await onNode(2, "web")).filter((c) => c.State === "running").length === 4,
    30_000,
    "4 running on n2",
  );
  const failover = (Date.now() - t0) / 1000;
  console.log(`failover after node crash: ${failover.toFixed(2)} s`);
  assert.ok(failover <= 10, `failover took ${failover}s, over 10 s`);

  await lab("node-reboot.sh", "1");
  // The rebooted node's stale (Exited) containers are removed; no pod runs on two nodes.
  await waitFor(
    async () => (await onNode(1, "web", true)).length === 0,
    30_000,
    "stale containers on n1 removed",
  );
  const p = await waitFor(
    async () => {
      const list = await pods("web");
      return list.length === 4 && list.every((x) => x.phase === "Running" && x.node === "n2") ? list : false;
    },
    30_000,
    "4 pods Running on n2, none left on n1",
  );
  assert.equal(new Set(p.map((x) => x.name)).size, 4);
  const events = await box.json<{ reason: string; object: string }[]>(["events", "--server", url]);
  assert.ok(
    events.some((e) => e.reason === "Evicted"),
    "eviction recorded",
  );
  assert.ok(
    events.some((e) => e.reason === "Removed" || e.reason === "RemovedOrphan"),
    "fencing recorded",
  );
});

test("Partition: cutting node 2's link moves its pods to node 1; healing fences the old ones", async () => {
  // All of web runs on n2 after the previous test; spread it again by scaling.
  await box.ok(["node", "cordon", "n2", "--server", url]);
  await box.ok(["scale", "podset/web", "--replicas", "6", "--server", url]);
  await waitFor(async () => (await onNode(1, "web")).length === 2, 60_000, "2 new replicas on n1");
  await box.ok(["node", "uncordon", "n2", "--server", url]);
  const t0 = Date.now();
  await lab("node-link.sh", "2", "down");
  try {
    await waitFor(
      async () => (await onNode(1, "web")).filter((c) => c.State === "running").length === 6,
      40_000,
      "6 running on n1",
    );
    const failover = (Date.now() - t0) / 1000;
    console.log(`failover after partition: ${failover.toFixed(2)} s`);
    assert.ok(failover <= 10, `partition failover took ${failover}s`);
    // n2's containers still run during the partition (nobody can stop them).
    assert.equal((await onNode(2, "web")).length, 4);
  } finally {
    await lab("node-link.sh", "2", "up");
  }
  await waitFor(async () => (await onNode(2, "web", true)).length === 0, 40_000, "n2 fenced after heal");
  const list = await pods("web");
  assert.equal(list.filter((x) => x.deletionRequestedAt === null).length, 6);
});

test("Taints: a node tainted dedicated=db:NoSchedule receives only pods that tolerate it", async () => {
  await box.ok(["scale", "podset/web", "--replicas", "0", "--server", url]);
  await waitFor(async () => (await pods("web")).length === 0, 60_000, "web gone");
  await box.ok(["node", "rm", "n2", "--server", url]);
  // db pods also need a node labelled mk/db=yes: only n2 has that label.
  await box.ok(
    [
      "node",
      "add",
      "n2",
      "--docker",
      "ssh://root@10.231.0.12",
      "--identity",
      `${LAB}/ssh/id_ed25519`,
      "--taint",
      "dedicated=db:NoSchedule",
      "--label",
      "mk/db=yes",
      "--server",
      url,
    ],
    { env: ENV },
  );
  await waitFor(
    async () =>
      (await box.json<{ name: string; state: string }[]>(["get", "nodes", "--server", url])).every(
        (n) => n.state === "Ready",
      ),
    30_000,
    "nodes Ready",
  );
  const file = join(box.dir, "taints.yaml");
  const toleration = `      tolerations:\n        - { key: dedicated, operator: Equal, value: db, effect: NoSchedule }\n      nodeSelector: { "mk/db": "yes" }\n`;
  writeFileSync(file, `${podSet("plain", 4)}---\n${podSet("db", 2, toleration)}`);
  await box.ok(["apply", "-f", file, "--server", url]);
  await waitFor(
    async () => (await onNode(1, "plain")).length === 4 && (await onNode(2, "db")).length === 2,
    60_000,
    "plain on n1, db on n2",
  );
  assert.equal((await onNode(2, "plain")).length, 0, "no untolerating pod on the tainted node");
});

test("Bulk: 20 pods created and then deleted at once on one SSH node never make it NotReady", async () => {
  // n2 is tainted (previous test): all 20 land on n1, 20 creates and starts over its one SSH
  // connection, with 20 readiness probes a second riding the same connection once they run.
  const logsBefore = serverLogs().length;
  const since = Date.now();
  const states: string[] = [];
  let maxAgeMs = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const r = await fetch(`${url}/api/v1/nodes`).catch(() => undefined);
      if (r?.ok) {
        const n1 = (
          (await r.json()) as { name: string; state: string; lastHeartbeatAt: string | null }[]
        ).find((n) => n.name === "n1");
        if (n1) {
          states.push(n1.state);
          if (n1.lastHeartbeatAt) maxAgeMs = Math.max(maxAgeMs, Date.now() - Date.parse(n1.lastHeartbeatAt));
        }
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  const file = join(box.dir, "bulk.yaml");
  writeFileSync(file, podSet("bulk", 20));
  try {
    const t0 = Date.now();
    await box.ok(["apply", "-f", file, "--server", url]);
    await waitFor(
      async () => {
        const list = await pods("bulk");
        return list.length === 20 && list.every((p) => p.ready && p.node === "n1");
      },
      120_000,
      "20 bulk pods ready on n1",
    );
    const up = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    await box.ok(["scale", "podset/bulk", "--replicas", "0", "--server", url]);
    await waitFor(async () => (await onNode(1, "bulk", true)).length === 0, 120_000, "bulk containers gone");
    console.log(
      `bulk on n1: 20 ready in ${up.toFixed(1)} s, removed in ${((Date.now() - t1) / 1000).toFixed(1)} s; ${states.length} samples, oldest heartbeat seen ${maxAgeMs} ms`,
    );
  } finally {
    sampling = false;
    await sampler;
  }
  assert.ok(states.length > 10, `only ${states.length} samples of node n1`);
  assert.deepEqual(
    [...new Set(states)],
    ["Ready"],
    `node n1 left Ready during the bulk: ${states.join(",")}`,
  );
  const closed = serverLogs()
    .slice(logsBefore)
    .split("\n")
    .filter((l) => l.includes('"ssh-closed"'));
  assert.deepEqual(closed, [], "an SSH connection closed during the bulk");
  const events = await box.json<{ reason: string; object: string; lastSeen: string | null }[]>([
    "events",
    "--server",
    url,
  ]);
  const bad = events.filter(
    (e) => (e.reason === "NodeNotReady" || e.reason === "Evicted") && Date.parse(e.lastSeen ?? "") >= since,
  );
  assert.deepEqual(bad, [], "a node went NotReady or a pod was evicted during the bulk");
});

test("Images: an image only the controller has is copied to the node over the tunnel", async () => {
  const tag = `mk.local/transfer:${Date.now()}`;
  await docker.getImage(IMAGE).tag({ repo: "mk.local/transfer", tag: tag.split(":")[1] ?? "x" });
  try {
    const file = join(box.dir, "xfer.yaml");
    writeFileSync(
      file,
      `apiVersion: mk/v1\nkind: Pod\nmetadata: { name: xfer }\nspec:\n  nodeName: n1\n  terminationGracePeriodSeconds: 1\n  containers:\n    - name: main\n      image: ${tag}\n      command: ["sleep", "3600"]\n`,
    );
    await box.ok(["apply", "-f", file, "--server", url]);
    await waitFor(
      async () => (await nodeDocker(1).listContainers({ filters: { label: ["mk.pod=xfer"] } })).length === 1,
      60_000,
      "xfer running on n1",
    );
    const events = await box.json<{ reason: string; object: string; message: string }[]>([
      "events",
      "--for",
      "pod/xfer",
      "--server",
      url,
    ]);
    assert.ok(
      events.some((e) => e.reason === "Transferred" && /Copied image/.test(e.message)),
      JSON.stringify(events),
    );
  } finally {
    await docker
      .getImage(tag)
      .remove()
      .catch(() => undefined);
  }
});

test("SSH host keys: unknown refused without --accept-new-host-key, accepted with it, a changed key always refused", async () => {
  const kh = join(box.dir, "known_hosts");
  writeFileSync(kh, "");
  const env = { MK_KNOWN_HOSTS: kh };
  const add = (extra: string[]) =>
    box.mk(
      [
        "node",
        "add",
        "n9",
        "--docker",
        "ssh://root@10.231.0.11",
        "--identity",
        `${LAB}/ssh/id_ed25519`,
        "--server",
        url,
        ...extra,
      ],
      { env },
    );
  const refused = await add([]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /unknown.*--accept-new-host-key/);
  const accepted = await add(["--accept-new-host-key"]);
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.match(readFileSync(kh, "utf8"), /^10\.231\.0\.11 ssh-ed25519 /m);
  await box.ok(["node", "rm", "n9", "--server", url]);
  // Another host's key recorded for this address: a changed key.
  const other = readFileSync(`${LAB}/ssh/known_hosts`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("10.231.0.12 ssh-ed25519"));
  assert.ok(other);
  writeFileSync(kh, `${other.replace("10.231.0.12", "10.231.0.11")}\n`);
  const changed = await add(["--accept-new-host-key"]);
  assert.equal(changed.code, 1);
  assert.match(changed.stderr, /CHANGED/);
});
