// The HA control plane against real parts: a 3-member etcd on loopback, three `mk server --etcd`
// processes (each with its own SQLite), the local Docker engine as the node they share (only the
// leader's agent acts on it). Leader kill -9 during a 20-pod apply (10 times), a leader cut off
// from etcd, etcd members killed, a follower restarted and wiped.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { launchChromium } from "./chromium.ts";
import { HaCluster, type HaServer } from "./ha-cluster.ts";
import {
  docker,
  IMAGE,
  MAIN,
  removeContainers,
  requireDocker,
  Sandbox,
  sleeperYaml,
  waitFor,
} from "./harness.ts";

const cluster = new HaCluster();
let clusterId = "";
const violations: string[] = [];
let watching = true;
let watcher: Promise<void> | undefined;

const podSet = (name: string, replicas: number): string => sleeperYaml(name, replicas);

/** An API call with the CLI's failover: any server, retried while there is no leader. */
async function api<T>(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    for (const s of cluster.servers) {
      try {
        const r = await fetch(`${s.url}${path}`, {
          method,
          ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
          signal: AbortSignal.timeout(10_000),
        });
        const json = (await r.json()) as T & { error?: { code: string; message: string } };
        if (r.ok) return json;
        last = `${s.id}: ${r.status} ${json.error?.code} ${json.error?.message}`;
        if (r.status !== 503) throw new Error(last);
      } catch (err) {
        if (String((err as Error).message).startsWith(s.id)) throw err;
        last = `${s.id}: ${(err as Error).message}`;
      }
    }
    if (Date.now() > deadline) throw new Error(`no server took ${method} ${path}: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const apply = (name: string, replicas: number) =>
  api("POST", "/api/v1/apply", { manifests: [{ file: `${name}.yaml`, text: podSet(name, replicas) }] });

async function sql(s: HaServer, query: string): Promise<unknown[]> {
  const r = await fetch(`${s.url}/api/v1/sql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const j = (await r.json()) as { rows: unknown[] };
  return j.rows;
}

async function running(owner: string): Promise<string[]> {
  const list = await docker.listContainers({
    filters: { label: [`mk.cluster=${clusterId}`, `mk.owner=${owner}`], status: ["running"] },
  });
  return list.map((c) => c.Id).sort();
}

/** Two running containers for one pod, ever, is the failure this whole design exists to prevent. */
async function watchDuplicates(): Promise<void> {
  while (watching) {
    try {
      const list = await docker.listContainers({
        filters: { label: [`mk.cluster=${clusterId}`], status: ["running"] },
      });
      const byPod = new Map<string, number>();
      for (const c of list) {
        const key = `${c.Labels["mk.pod"]}/${c.Labels["mk.container"]}`;
        byPod.set(key, (byPod.get(key) ?? 0) + 1);
      }
      for (const [pod, n] of byPod)
        if (n > 1) violations.push(`${new Date().toISOString()} ${pod}: ${n} running`);
    } catch {
      // docker busy: next round
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function converged(owner: string, n: number, others: string[] = []): Promise<void> {
  await waitFor(
    async () => {
      if ((await running(owner)).length !== n) return false;
      for (const o of others) if ((await running(o)).length !== 0) return false;
      const leader = await cluster.leader();
      const rows = (await sql(
        leader,
        `select count(*) n from pods where owner_name = '${owner}' and phase = 'Running' and deletion_at is null`,
      )) as { n: number }[];
      return rows[0]?.n === n;
    },
    90_000,
    `${owner} at ${n} running pods`,
  );
}

/** Polls every server's /readyz in parallel until a leader other than `not` answers. */
async function newLeader(not: HaServer, t0: number, limitMs: number): Promise<{ s: HaServer; ms: number }> {
  for (;;) {
    const rs = await Promise.all(
      cluster.servers.filter((s) => s !== not).map(async (s) => ({ s, r: await s.readyz() })),
    );
    const hit = rs.find((x) => x.r?.role === "leader" && x.r.ready);
    if (hit) return { s: hit.s, ms: Date.now() - t0 };
    if (Date.now() - t0 > limitMs + 10_000) throw new Error(`no new leader within ${limitMs + 10_000} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  await requireDocker();
  await cluster.start(3, ["--election-ttl", "2s", "--resync", "2s"]);
  clusterId = await cluster.clusterId();
  watcher = watchDuplicates();
});

after(async () => {
  watching = false;
  await watcher;
  await cluster.close();
  if (clusterId) await removeContainers(`mk.cluster=${clusterId}`);
});

test("three replicas: one leader, two followers, the same cluster id and term everywhere", async () => {
  const rs = await waitFor(
    async () => {
      const all = await Promise.all(cluster.servers.map((s) => s.readyz()));
      return all.every((r) => r?.ready) ? all : undefined;
    },
    15_000,
    "every replica ready",
  );
  assert.equal(rs.filter((r) => r?.role === "leader").length, 1);
  assert.equal(rs.filter((r) => r?.role === "follower").length, 2);
  assert.equal(new Set(rs.map((r) => r?.leader)).size, 1);
  assert.equal(new Set(rs.map((r) => r?.term)).size, 1);
  for (const s of cluster.servers) {
    assert.deepEqual(await sql(s, "select value from meta where key = 'cluster_id'"), [{ value: clusterId }]);
    const r = rs.find((x) => x?.id === s.id);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^mk_leader ${r?.role === "leader" ? 1 : 0}$`, "m"));
    assert.match(metrics, /^mk_ha_log_entries_total\{source="applied"\} \d+$/m);
    assert.match(metrics, /^mk_ha_log_apply_lag_seconds /m);
    assert.match(metrics, /^mk_leader_changes_total /m);
    const status = (await (await fetch(`${s.url}/api/v1/status`)).json()) as {
      ha?: { members: { id: string }[]; leader: string };
    };
    assert.deepEqual(status.ha?.members.map((m) => m.id).sort(), ["mk-1", "mk-2", "mk-3"]);
    assert.equal(status.ha?.leader, r?.leader);
  }
});

test("the status page of a follower, in a real browser, shows the members, their roles and the leader", async () => {
  const leader = await cluster.leader();
  const follower = cluster.servers.find((s) => s !== leader) as HaServer;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${follower.url}/`);
    // The page's CSP forbids string evaluation: poll its text from here.
    const members = await waitFor(
      async () => {
        const text = (await page.textContent("#members")) ?? "";
        return text.startsWith(`${leader.id} (leader`) && /follower.*follower/.test(text) ? text : undefined;
      },
      15_000,
      "the members on the status page",
    );
    assert.equal(members.match(/\(follower, rev \d+\)/g)?.length, 2, members);
    for (const s of cluster.servers) assert.match(members, new RegExp(`${s.id} \\(`));
    assert.ok(await page.isVisible("#members-box"));
  } finally {
    await browser.close();
  }
});

test("the CLI with MK_SERVER=a,b,c applies through a follower and reads from any replica", async () => {
  const box = new Sandbox();
  try {
    const leader = await cluster.leader();
    const follower = cluster.servers.find((s) => s !== leader) as HaServer;
    // The follower first in the list: it forwards the write to the leader.
    const urls = [follower.url, ...cluster.servers.filter((s) => s !== follower).map((s) => s.url)].join(",");
    const out = await box.ok(["apply", "-f", "-", "--no-wait"], {
      input: podSet("steady", 3),
      env: { MK_SERVER: urls },
    });
    assert.match(out, /podset\/steady created/);
    await converged("steady", 3);
    const r = await fetch(`${follower.url}/api/v1/pods`);
    assert.ok(Number(r.headers.get("x-mk-applied-revision")) > 0, "the applied revision in a header");
    const listed = await box.ok(["get", "pods"], { env: { MK_SERVER: urls } });
    assert.equal(listed.split("\n").filter((l) => l.startsWith("steady-")).length, 3);
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
});

test("exec and port-forward through a follower reach the pod (served by the follower, whose node connection is its own)", async () => {
  const box = new Sandbox();
  try {
    const leader = await cluster.leader();
    const follower = cluster.servers.find((s) => s !== leader) as HaServer;
    const env = { MK_SERVER: follower.url };
    await api("POST", "/api/v1/apply", {
      manifests: [
        {
          file: "web.yaml",
          text: `apiVersion: mk/v1
kind: Pod
metadata: { name: web }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "echo via-follower > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
      ports: [{ containerPort: 8080 }]
`,
        },
      ],
    });
    await waitFor(
      async () =>
        ((await sql(follower, "select ready from pods where name = 'web'")) as { ready: number }[])[0]
          ?.ready === 1,
      60_000,
      "pod web ready on the follower's copy",
    );
    const e = await box.mk(["exec", "web", "--", "sh", "-c", "cat /tmp/index.html; exit 7"], { env });
    assert.equal(e.code, 7, e.stderr);
    assert.equal(e.stdout, "via-follower\n");
    const child = spawn(
      process.execPath,
      [
        "--import",
        import.meta.resolve("tsx"),
        MAIN,
        "port-forward",
        "web",
        ":8080",
        "--server",
        follower.url,
      ],
      { env: box.env(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    try {
      const port = await waitFor(
        async () => Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1] ?? 0) || false,
        20_000,
        `port-forward listening (${out})`,
      );
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text(), "via-follower\n");
    } finally {
      child.kill("SIGINT");
    }
    await api("POST", "/api/v1/delete", { refs: [{ kind: "Pod", name: "web" }] });
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
});

test("kill -9 of the leader during a 20-pod apply, 10 times: a new leader within 3 s, nothing acknowledged lost, no duplicate, adoption", async () => {
  const steady = await running("steady");
  assert.equal(steady.length, 3);
  const failovers: number[] = [];
  const kills = Number(process.env.MK_HA_KILLS ?? 10);
  for (let i = 0; i < kills; i++) {
    const leader = await cluster.leader();
    const name = `w${i}`;
    await apply(name, 20); // acknowledged: committed in etcd
    if (i > 0) await api("POST", "/api/v1/delete", { refs: [{ kind: "PodSet", name: `w${i - 1}` }] });
    await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 1500)));
    const t0 = Date.now();
    leader.kill();
    const { s: next, ms } = await newLeader(leader, t0, 3000);
    failovers.push(ms);
    assert.notEqual(next, leader);
    await leader.stopped();
    const restart = leader.start();
    try {
      // Every acknowledged apply is in the new leader's state.
      assert.equal(
        ((await sql(next, `select count(*) n from objects where name = '${name}'`)) as { n: number }[])[0]?.n,
        1,
      );
      await converged(name, 20, i > 0 ? [`w${i - 1}`] : []);
    } finally {
      await restart;
    }
    console.log(`kill ${i + 1}: ${leader.id} -> ${next.id} in ${ms} ms`);
    // Healthy pods were adopted by each new leader's agent, never restarted.
    assert.deepEqual(await running("steady"), steady);
  }
  console.log(`failover ms: ${failovers.join(", ")}`);
  for (const ms of failovers) assert.ok(ms <= 3000, `failover took ${ms} ms: ${failovers.join(", ")}`);
  assert.deepEqual(violations, []);
  await api("POST", "/api/v1/delete", { refs: [{ kind: "PodSet", name: `w${kills - 1}` }] });
  await converged(`w${kills - 1}`, 0);
});

test("a leader cut off from etcd stops within its TTL, its writes are refused, another leads; healed, it follows", async () => {
  const leader = await cluster.leader();
  const before = await waitFor(() => leader.readyz(), 10_000, "readyz");
  leader.cut();
  const t0 = Date.now();
  try {
    // It stops acting before its lease can expire (renew deadline < TTL).
    await waitFor(
      async () => (await leader.readyz())?.role !== "leader",
      2000,
      "the cut-off leader to step down",
    );
    const stepDown = Date.now() - t0;
    assert.ok(stepDown < 2000, `stepped down after ${stepDown} ms`);
    // A write sent to it is not acknowledged, and never shows up anywhere.
    const r = await fetch(`${leader.url}/api/v1/apply`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ manifests: [{ file: "x.yaml", text: podSet("cutoff", 1) }] }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(r.status, 503);
    const { s: next, ms } = await newLeader(leader, t0, 3000);
    assert.ok(ms <= 3000, `a new leader after ${ms} ms`);
    const after = await waitFor(() => next.readyz(), 10_000, "readyz");
    assert.ok(after.term > before.term, "a new term");
    await apply("after-cut", 1);
  } finally {
    leader.heal();
  }
  const next = await cluster.leader();
  await waitFor(
    async () => {
      const rz = await leader.readyz();
      return rz?.role === "follower" && rz.leader === next.id && rz.ready;
    },
    15_000,
    "the healed replica to follow",
  );
  for (const s of cluster.servers) {
    assert.deepEqual(
      await sql(s, "select name from objects where name in ('cutoff', 'after-cut') order by name"),
      [{ name: "after-cut" }],
    );
  }
  await converged("after-cut", 1);
  assert.deepEqual(violations, []);
});

test("etcd: one member of three killed changes nothing; two killed stops writes and /readyz says why; quorum back resumes", async () => {
  const leader = await cluster.leader();
  await cluster.etcd.kill(1);
  try {
    await apply("one-down", 1);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await cluster.leader()).id, leader.id, "the same leader");
    await cluster.etcd.kill(2);
    await waitFor(
      async () => {
        const rs = await Promise.all(cluster.servers.map((s) => s.readyz()));
        return rs.every((r) => r && !r.ready && r.role !== "leader" && r.reason);
      },
      10_000,
      "every replica not ready without quorum",
    );
    const rz = await cluster.servers[0]?.readyz();
    assert.match(String(rz?.reason), /etcd|lease|log/);
    const r = await fetch(`${leader.url}/api/v1/apply`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ manifests: [{ file: "x.yaml", text: podSet("no-quorum", 1) }] }),
      signal: AbortSignal.timeout(15_000),
    });
    assert.equal(r.status, 503);
  } finally {
    await cluster.etcd.up();
  }
  await cluster.leader(20_000);
  await apply("quorum-back", 1);
  await converged("quorum-back", 1);
  for (const s of cluster.servers) {
    await waitFor(async () => (await s.readyz())?.ready, 15_000, `${s.id} ready`);
    assert.deepEqual(await sql(s, "select count(*) n from objects where name = 'no-quorum'"), [{ n: 0 }]);
  }
});

async function sameRows(a: HaServer, b: HaServer): Promise<void> {
  const q = [
    "select kind, name, generation, spec_hash from objects order by kind, name",
    "select name, uid, owner_name, node, spec_hash from pods order by name",
    "select name, docker, labels, taints from nodes order by name",
  ];
  await waitFor(
    async () => {
      for (const query of q) {
        if (JSON.stringify(await sql(a, query)) !== JSON.stringify(await sql(b, query))) return false;
      }
      return true;
    },
    20_000,
    `${a.id} and ${b.id} to hold the same rows`,
  );
}

test("a follower killed and restarted catches up from the log; mk sql on it equals the leader", async () => {
  const leader = await cluster.leader();
  const follower = cluster.servers.find((s) => s !== leader) as HaServer;
  follower.kill();
  await follower.stopped();
  await apply("while-down", 2);
  await follower.start();
  await sameRows(follower, leader);
});

test("a follower wiped and restarted catches up from a snapshot of the leader", async () => {
  const leader = await cluster.leader();
  const follower = cluster.servers.find((s) => s !== leader) as HaServer;
  follower.kill();
  await follower.stopped();
  for (const ext of ["", "-wal", "-shm"]) rmSync(`${follower.state}${ext}`, { force: true });
  await apply("while-wiped", 1);
  // Wait until the leader compacted the log past its start (the wiped member's record expired).
  const prefix = (await sql(leader, "select value from meta where key = 'ha_etcd_prefix'")) as {
    value: string;
  }[];
  const logPrefix = `${prefix[0]?.value}/log/`;
  await waitFor(
    async () => {
      const r = await cluster.etcd.call<{ kvs?: { key: string }[] }>("/v3/kv/range", {
        key: Buffer.from(logPrefix).toString("base64"),
        range_end: Buffer.from(`${logPrefix.slice(0, -1)}0`).toString("base64"),
        limit: "1",
      });
      const first = r.kvs?.[0] ? Buffer.from(r.kvs[0].key, "base64").toString().slice(logPrefix.length) : "0";
      return Number(first) > 1;
    },
    30_000,
    "the log compacted",
  );
  follower.logs = "";
  await follower.start();
  await sameRows(follower, leader);
  assert.match(follower.logs, /Restoring a snapshot from the leader/);
  assert.deepEqual(violations, []);
});

test("the etcd prefix wiped under a running cluster: nothing deleted, /readyz says why; --etcd-reseed recovers", async () => {
  const steady = await running("steady");
  assert.equal(steady.length, 3);
  const prefix = (
    (await sql(await cluster.leader(), "select value from meta where key = 'ha_etcd_prefix'")) as {
      value: string;
    }[]
  )[0]?.value as string;
  await cluster.etcd.call("/v3/kv/deleterange", {
    key: Buffer.from(`${prefix}/`).toString("base64"),
    range_end: Buffer.from(`${prefix}0`).toString("base64"),
  });
  const rs = await waitFor(
    async () => {
      const all = await Promise.all(cluster.servers.map((s) => s.readyz()));
      return all.every((r) => r && !r.ready && /lost its data/.test(r.reason ?? "")) ? all : undefined;
    },
    15_000,
    "every replica refusing the empty log",
  );
  assert.ok(
    rs.every((r) => r?.role !== "leader"),
    "nobody leads on an empty log",
  );
  // Longer than the node grace period and eviction delay: an empty log is never "delete everything".
  await new Promise((r) => setTimeout(r, 7000));
  assert.deepEqual(await running("steady"), steady);
  for (const s of cluster.servers) {
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /^mk_ha_log_lost 1$/m);
    assert.deepEqual(await sql(s, "select count(*) n from objects where name = 'steady'"), [{ n: 1 }]);
  }
  // Recovery: the most advanced replica restarts with --etcd-reseed; the others follow by themselves.
  const seqs = await Promise.all(
    cluster.servers.map(async (s) =>
      Number(
        ((await sql(s, "select value from meta where key = 'ha_applied_seq'")) as { value: string }[])[0]
          ?.value,
      ),
    ),
  );
  const best = cluster.servers[seqs.indexOf(Math.max(...seqs))] as HaServer;
  best.kill();
  await best.stopped();
  best.logs = "";
  await best.start(["--etcd-reseed"]);
  assert.match(best.logs, /Reseeded etcd prefix/);
  for (const s of cluster.servers)
    await waitFor(async () => (await s.readyz())?.ready, 30_000, `${s.id} ready after the reseed`);
  await apply("after-reseed", 1);
  await converged("after-reseed", 1);
  assert.deepEqual(await running("steady"), steady);
  assert.deepEqual(violations, []);
});
