// kill -9 loop over node failover and rollouts: `mk server` (the bundle) is SIGKILLed again and
// again while a PodSet on two lab hosts rolls out new versions and is scaled, and one host dies
// (scripts/lab/node-kill.sh) in the middle of a rollout. Checked all along, from the state file and
// from the hosts' own Docker engines (not through mk): never two running containers for one pod's
// container; pods alive (not being deleted) never exceed replicas + maxSurge; while both hosts are
// up, ready pods never drop below replicas - maxUnavailable (a host's death is not the rollout's to
// bound, as in Kubernetes). After each restart every acknowledged write is in the state; at the end
// the rollout completes on the surviving host with the last acknowledged version and replicas, the
// dead host's pods replaced. Seeded: MK_FAILOVER_SEED=<n> replays the schedule. Run under the lab lock:
//   flock /tmp/mk-lab.lock bash scripts/test.sh test/integration/kill-loop-failover.test.ts
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { requireDocker, Sandbox, sleeperYaml, waitFor } from "./harness.ts";
import {
  ensureBundle,
  type KillServer,
  kill9,
  postAcked,
  seeded,
  startBundleServer,
} from "./kill-harness.ts";
import { LAB_ENV as ENV, LAB, lab, nodeDocker } from "./lab-hosts.ts";

const SEED = Number(process.env.MK_FAILOVER_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = Number(process.env.MK_FAILOVER_KILLS ?? 12);
const SURGE = 1;
const UNAVAILABLE = 1;

let box: Sandbox | undefined;

before(async () => {
  assert.equal(process.getuid?.(), 0, "the multi-node lab needs root (scripts/test.sh runs as root in CI)");
  await requireDocker();
  ensureBundle();
  await lab("nodes-up.sh", "2");
});
after(async () => {
  await box?.cleanup();
  await lab("nodes-down.sh");
});

const podSetYaml = (replicas: number, version: number) =>
  sleeperYaml("web", replicas, {
    spec: [
      "minReadySeconds: 1",
      `strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: ${SURGE}, maxUnavailable: ${UNAVAILABLE} } }`,
    ],
    env: { VERSION: String(version) },
  });

interface Want {
  replicas: number;
  version: number;
}

/** The PodSet as stored, and its pods, straight from the state file (the server may be dead). */
function readState(state: string): {
  set: Want | null;
  pods: { name: string; uid: string; node: string | null; ready: boolean; deleting: boolean }[];
  nodes: Map<string, string>;
} {
  const db = new Database(state, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    const row = db.prepare("select spec from objects where kind = 'PodSet' and name = 'web'").get() as
      | { spec: string }
      | undefined;
    const o = row
      ? (JSON.parse(row.spec) as {
          spec: { replicas: number; template: { spec: { containers: { env: { value: string }[] }[] } } };
        })
      : undefined;
    const pods = (
      db.prepare("select name, uid, node, ready, deletion_at from pods where owner_name = 'web'").all() as {
        name: string;
        uid: string;
        node: string | null;
        ready: number;
        deletion_at: number | null;
      }[]
    ).map((p) => ({
      name: p.name,
      uid: p.uid,
      node: p.node,
      ready: p.ready === 1,
      deleting: p.deletion_at !== null,
    }));
    const nodes = new Map(
      (db.prepare("select name, state from nodes").all() as { name: string; state: string }[]).map((n) => [
        n.name,
        n.state,
      ]),
    );
    return {
      set: o
        ? { replicas: o.spec.replicas, version: Number(o.spec.template.spec.containers[0]?.env[0]?.value) }
        : null,
      pods,
      nodes,
    };
  } finally {
    db.close();
  }
}

/** A rollout is in progress: some live pod is not of the newest revision, or the newest has fewer than replicas. */
function midRollout(state: string): boolean {
  const db = new Database(state, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    const newest = db
      .prepare(
        "select template_hash as h from podset_revisions where podset = 'web' order by revision desc limit 1",
      )
      .get() as { h: string } | undefined;
    const live = db
      .prepare("select template_hash as h from pods where owner_name = 'web' and deletion_at is null")
      .all() as { h: string }[];
    const row = db.prepare("select spec from objects where kind = 'PodSet' and name = 'web'").get() as {
      spec: string;
    };
    const replicas = (JSON.parse(row.spec) as { spec: { replicas: number } }).spec.replicas;
    const fresh = live.filter((p) => p.h === newest?.h).length;
    return !newest || fresh < replicas || live.length !== fresh;
  } finally {
    db.close();
  }
}

interface Running {
  node: number;
  pod: string;
  container: string;
  uid: string;
  name: string;
}

/** The running containers of the PodSet on both hosts, asked of their engines (a dead one has none). */
async function running(cluster: string, alive: readonly number[]): Promise<Running[]> {
  const out: Running[] = [];
  for (const i of alive) {
    const list = await nodeDocker(i)
      .listContainers({ filters: { label: [`mk.cluster=${cluster}`, "mk.owner=web"], status: ["running"] } })
      .catch(() => []);
    for (const c of list)
      out.push({
        node: i,
        pod: c.Labels["mk.pod"] ?? "",
        container: c.Labels["mk.container"] ?? "",
        uid: c.Labels["mk.pod-uid"] ?? "",
        name: c.Names[0] ?? c.Id,
      });
  }
  return out;
}

async function versionOf(i: number, name: string): Promise<string> {
  const env = (await nodeDocker(i).getContainer(name.replace(/^\//, "")).inspect()).Config.Env ?? [];
  return env.find((e) => e.startsWith("VERSION="))?.slice(8) ?? "?";
}

test(`kill -9 loop over a rollout and a node failover (seed ${SEED}): ${KILLS} kills`, {
  timeout: 600_000,
}, async () => {
  console.log(`failover kill loop seed ${SEED} (rerun with MK_FAILOVER_SEED=${SEED})`);
  const { int } = seeded(SEED);
  const b = new Sandbox();
  box = b;
  let server: KillServer = await startBundleServer(b, ["--no-local-node"], ENV);
  for (const i of [1, 2]) {
    assert.ok(
      await postAcked(server.url, "/api/v1/nodes", {
        name: `n${i}`,
        docker: `ssh://root@10.231.0.${10 + i}`,
        identityFile: `${LAB}/ssh/id_ed25519`,
      }),
    );
  }
  const cluster = await b.clusterId();
  let want: Want = { replicas: 4, version: 1 };
  assert.ok(
    await postAcked(server.url, "/api/v1/apply", {
      manifests: [{ file: "web.yaml", text: podSetYaml(4, 1) }],
    }),
  );
  let alive = [1, 2];
  await waitFor(
    async () => {
      const st = readState(b.state);
      const live = st.pods.filter((p) => !p.deleting);
      return live.length === 4 && live.every((p) => p.ready) && (await running(cluster, alive)).length === 4;
    },
    90_000,
    "4 pods of version 1 ready on the two hosts",
  );

  // The watcher: samples the state and both engines every 200 ms, whether the server is up or not.
  const violations: string[] = [];
  const stats = {
    samples: 0,
    midRollout: 0,
    kills: 0,
    acked: 0,
    unacked: 0,
    landed: 0,
    rollouts: 0,
    scales: 0,
    maxAlive: 0,
  };
  let watching = true;
  let hostDown = false;
  let readyBaseline = want.replicas;
  const watcher = (async () => {
    while (watching) {
      try {
        const st = readState(b.state);
        const run = await running(cluster, alive);
        stats.samples++;
        const byContainer = new Map<string, string[]>();
        for (const r of run) {
          const key = `${r.pod}/${r.container}`;
          byContainer.set(key, [...(byContainer.get(key) ?? []), `n${r.node}:${r.name}`]);
        }
        for (const [key, where] of byContainer)
          if (where.length > 1) violations.push(`two running containers for ${key}: ${where.join(", ")}`);
        const replicas = st.set?.replicas ?? 0;
        const live = st.pods.filter((p) => !p.deleting);
        stats.maxAlive = Math.max(stats.maxAlive, live.length);
        // The bounds are against the replicas being rolled out; a scale in between changes them.
        if (live.length > Math.max(replicas, want.replicas) + SURGE)
          violations.push(`${live.length} pods alive > ${replicas} + maxSurge ${SURGE}`);
        const bothUp = !hostDown && [...st.nodes.values()].every((s) => s === "Ready");
        const ready = live.filter((p) => p.ready).length;
        // maxUnavailable bounds a rollout, not how fast a scale-up's new pods get ready: after a
        // scale-up the bound stays at the old count until the new pods have caught up with it.
        const target = Math.min(replicas, want.replicas);
        if (target <= readyBaseline || ready >= target - UNAVAILABLE) readyBaseline = target;
        if (bothUp && ready < readyBaseline - UNAVAILABLE)
          violations.push(
            `${ready} ready < ${readyBaseline} - maxUnavailable ${UNAVAILABLE} with both hosts up (replicas ${replicas})`,
          );
      } catch (err) {
        // A state file being written can be busy for a moment: the next sample reads it.
        if (!/SQLITE_BUSY|database is locked/.test(String(err))) violations.push(`watcher: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  let version = 1;
  let unsure: Want[] = [];
  const nodeKillAt = int(1, Math.max(1, Math.floor(KILLS / 2)));
  try {
    for (let i = 0; i < KILLS; i++) {
      // A new rollout most of the time, else a scale; at one iteration the host n1 dies mid-rollout.
      const scale = i > 0 && int(0, 3) === 0;
      const next: Want = scale
        ? { ...want, replicas: int(3, 5) }
        : { replicas: want.replicas, version: ++version };
      const op = scale
        ? postAcked(server.url, "/api/v1/podsets/web/scale", { replicas: next.replicas })
        : postAcked(server.url, "/api/v1/apply", {
            manifests: [{ file: "web.yaml", text: podSetYaml(next.replicas, next.version) }],
          });
      if (scale) stats.scales++;
      else stats.rollouts++;
      unsure.push(next);
      const acked = op.then((ok) => {
        if (!ok) return;
        stats.acked++;
        unsure = unsure.filter((u) => u !== next);
        want = next;
      });
      if (i === nodeKillAt) {
        await acked;
        // Mid-rollout: some pods of the new version exist, not all.
        await new Promise((r) => setTimeout(r, int(300, 1500)));
        assert.ok(midRollout(b.state), "the host dies while a rollout is in progress");
        await lab("node-kill.sh", "1");
        hostDown = true;
        alive = [2];
      }
      await new Promise((r) => setTimeout(r, int(0, 2500)));
      if (midRollout(b.state)) stats.midRollout++;
      await kill9(server);
      await acked;
      stats.kills++;
      stats.unacked += unsure.length;

      // Every acknowledged write is in the state; an unanswered one either way.
      const got = readState(b.state).set;
      assert.ok(
        got &&
          (JSON.stringify(got) === JSON.stringify(want) ||
            unsure.some((u) => JSON.stringify(u) === JSON.stringify(got))),
        `kill ${i}: podset is ${JSON.stringify(got)}, acknowledged ${JSON.stringify(want)}`,
      );
      if (got && JSON.stringify(got) !== JSON.stringify(want)) stats.landed++;
      if (got) want = got;
      unsure = [];
      server = await startBundleServer(b, ["--no-local-node"], ENV);
      // Let the restarted server act for a while (a rollout step or two), not to convergence.
      await new Promise((r) => setTimeout(r, int(500, 3000)));
    }

    // The rollout completes on the surviving host: the last acknowledged version and replicas.
    const t0 = Date.now();
    let why: string | undefined = "not checked";
    while (Date.now() - t0 < 120_000) {
      const st = readState(b.state);
      const live = st.pods.filter((p) => !p.deleting);
      const run = await running(cluster, alive);
      const status = await fetch(`${server.url}/api/v1/podsets/web/rollout`)
        .then(
          (r) =>
            r.json() as Promise<{ updatedReplicas: number; availableReplicas: number; replicas: number }>,
        )
        .catch(() => undefined);
      if (live.length !== want.replicas) why = `${live.length} pods alive, want ${want.replicas}`;
      else if (live.some((p) => p.node !== "n2"))
        why = `pods still bound to the dead host: ${JSON.stringify(live)}`;
      // Pods on the dead host stay Terminating until it answers again (as Kubernetes' do): only the
      // surviving host's must be finished.
      else if (st.pods.some((p) => p.deleting && p.node !== "n1")) why = "pods on n2 still being deleted";
      else if (run.length !== want.replicas)
        why = `${run.length} containers running on n2, want ${want.replicas}`;
      else if (
        !status ||
        status.updatedReplicas !== want.replicas ||
        status.availableReplicas !== want.replicas
      )
        why = `rollout status ${JSON.stringify(status)}`;
      else {
        const versions = await Promise.all(run.map((r) => versionOf(r.node, r.name)));
        why = versions.every((v) => v === String(want.version))
          ? undefined
          : `versions ${versions.join(",")}, want ${want.version}`;
        const uids = new Map(live.map((p) => [p.name, p.uid]));
        if (!why && run.some((r) => uids.get(r.pod) !== r.uid))
          why = "a container of an older incarnation runs";
      }
      if (!why) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(why, undefined, `not converged after the kills: ${why}\n${server.logs().slice(-3000)}`);
    // Nothing left over on the surviving host: every container there belongs to a live pod.
    const leftovers = (
      await nodeDocker(2).listContainers({ all: true, filters: { label: [`mk.cluster=${cluster}`] } })
    ).filter(
      (c) =>
        !readState(b.state).pods.some(
          (p) => p.name === c.Labels["mk.pod"] && p.uid === c.Labels["mk.pod-uid"],
        ),
    );
    assert.deepEqual(
      leftovers.map((c) => c.Names[0]),
      [],
      "no leftover containers on the surviving host",
    );
  } finally {
    watching = false;
    await watcher;
    await kill9(server);
  }
  assert.deepEqual(violations.slice(0, 20), [], `${violations.length} violations`);
  assert.ok(stats.samples > 20, `the watcher sampled (${stats.samples})`);
  assert.ok(
    stats.midRollout >= KILLS / 2,
    `most kills land mid-rollout (${stats.midRollout} of ${stats.kills})`,
  );
  console.log(
    `failover kill loop: ${stats.kills} kills, ${stats.rollouts} rollouts and ${stats.scales} scales (${stats.acked} acknowledged, all kept; ${stats.unacked} unanswered, ${stats.landed} landed), ${stats.midRollout} of them mid-rollout, host n1 killed mid-rollout at kill ${nodeKillAt}; ${stats.samples} samples, at most ${stats.maxAlive} pods alive, no duplicate, bounds held`,
  );
});
