// The HA control plane with real SSH nodes: three `mk server --etcd` (no local node) drive two lab
// hosts (network namespaces with their own dockerd and sshd, scripts/lab). The leader is killed
// twice while pods run on the hosts: each new leader's agents reconnect over SSH and adopt the
// containers — no eviction, no restart. Run under the lab lock:
//   flock /tmp/mk-lab.lock bash scripts/test.sh test/integration/ha-lab.test.ts
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { HaCluster, type HaServer } from "./ha-cluster.ts";
import { addLabNodes, requireDocker, Sandbox, sleeperYaml, waitFor } from "./harness.ts";
import { LAB_ENV as ENV, lab, nodeDocker } from "./lab-hosts.ts";

const cluster = new HaCluster();
let clusterId = "";

before(async () => {
  assert.equal(process.getuid?.(), 0, "the multi-node lab needs root (scripts/test.sh runs as root in CI)");
  await requireDocker();
  await lab("nodes-up.sh", "2");
  // The servers reach the lab hosts with the lab's known_hosts (they inherit this environment).
  process.env.MK_KNOWN_HOSTS = ENV.MK_KNOWN_HOSTS;
  await cluster.start(3, ["--election-ttl", "2s", "--resync", "2s", "--no-local-node"]);
  clusterId = await cluster.clusterId();
});

after(async () => {
  await cluster.close();
  await lab("nodes-down.sh");
});

/** Running containers of this cluster on both lab hosts, straight from their dockerd: id@node. */
async function onNodes(): Promise<string[]> {
  const out: string[] = [];
  for (const i of [1, 2]) {
    const list = await nodeDocker(i).listContainers({
      filters: { label: [`mk.cluster=${clusterId}`], status: ["running"] },
    });
    for (const c of list) out.push(`${c.Id.slice(0, 12)}@n${i}`);
  }
  return out.sort();
}

async function sql<T>(s: HaServer, query: string): Promise<T[]> {
  const r = await fetch(`${s.url}/api/v1/sql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  return ((await r.json()) as { rows: T[] }).rows;
}

test("leader killed twice while pods run on SSH nodes: the new leader adopts them, no eviction, no restart", async () => {
  const box = new Sandbox();
  try {
    const first = await cluster.leader();
    await addLabNodes(box, first.url, ENV);
    await box.ok(["apply", "-f", "-", "--no-wait"], {
      input: sleeperYaml("lab", 4),
      env: { MK_SERVER: cluster.urls },
    });
    const before = await waitFor(
      async () => {
        const ids = await onNodes();
        return ids.length === 4 && ids.some((x) => x.endsWith("@n1")) && ids.some((x) => x.endsWith("@n2"))
          ? ids
          : undefined;
      },
      90_000,
      "4 pods running across both lab hosts",
    );
    for (let k = 0; k < 2; k++) {
      const leader = await cluster.leader();
      leader.kill();
      await leader.stopped();
      const next = await cluster.leader(15_000, leader);
      await leader.start();
      // Longer than the node grace (4 s) plus the eviction delay (2 s) after the new leader took over.
      await new Promise((r) => setTimeout(r, 8000));
      assert.deepEqual(await onNodes(), before, `after kill ${k + 1}: the same containers, none restarted`);
      const nodes = await sql<{ name: string; state: string }>(
        next,
        "select name, state from nodes order by name",
      );
      assert.deepEqual(
        nodes.map((n) => `${n.name}=${n.state}`),
        ["n1=Ready", "n2=Ready"],
      );
    }
    const leader = await cluster.leader();
    assert.deepEqual(
      await sql(leader, "select count(*) n from events where reason in ('Evicted', 'NodeNotReady')"),
      [{ n: 0 }],
    );
    assert.deepEqual(
      await sql(
        leader,
        "select count(*) n from pods where owner_name = 'lab' and deletion_at is null and phase = 'Running'",
      ),
      [{ n: 4 }],
    );
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
});
