// kill -9 loop: `mk server` (the esbuild bundle, for a fast start) is SIGKILLed at random moments
// — while applies, scales, deletes and container crashes are being handled — 50 times on one
// state. After every kill, and again after every restart has converged, checked from Docker's own
// labels: never two running containers for one pod's container; every acknowledged write is in
// the state; the running containers match the desired counts; no container is left over.
// Seeded: the seed is printed; MK_KILL_SEED=<n> replays the same schedule of operations and kills.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { docker, IMAGE, requireDocker, Sandbox, sleeperYaml } from "./harness.ts";
import { ensureBundle, kill9, postAcked, seeded, startBundleServer } from "./kill-harness.ts";

const SEED = Number(process.env.MK_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = Number(process.env.MK_KILLS ?? 50);
const SETS = ["alpha", "beta"] as const;
const STANDALONE = "solo";

let box: Sandbox;
let cluster = "";
const { int } = seeded(SEED);

before(async () => {
  await requireDocker();
  ensureBundle();
  box = new Sandbox();
});
after(async () => {
  await box?.cleanup();
});

const startServer = () => startBundleServer(box);
const post = postAcked;

const podSetYaml = (name: string, replicas: number, version: number) =>
  sleeperYaml(name, replicas, { env: { VERSION: String(version) } });
const podYaml = (version: number) => `apiVersion: mk/v1
kind: Pod
metadata: { name: ${STANDALONE} }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sleep", "3600"]
      env: [{ name: VERSION, value: "${version}" }]
`;

/** What the test believes the desired state is: from acknowledged writes only. */
interface Desired {
  sets: Map<string, { replicas: number; version: number } | null>;
  solo: number | null;
}
/** A write that may or may not have landed (the server died before answering). */
type Maybe =
  | { kind: "set"; name: string; value: { replicas: number; version: number } | null }
  | { kind: "solo"; value: number | null };

function stateOf(): { sets: Map<string, { replicas: number; version: number }>; solo: number | null } {
  const db = new Database(box.state, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("select kind, name, spec from objects").all() as {
      kind: string;
      name: string;
      spec: string;
    }[];
    const sets = new Map<string, { replicas: number; version: number }>();
    let solo: number | null = null;
    for (const r of rows) {
      const o = JSON.parse(r.spec) as {
        spec: {
          replicas?: number;
          template?: { spec: { containers: { env: { value: string }[] }[] } };
          containers?: { env: { value: string }[] }[];
        };
      };
      if (r.kind === "PodSet")
        sets.set(r.name, {
          replicas: o.spec.replicas ?? 0,
          version: Number(o.spec.template?.spec.containers[0]?.env[0]?.value),
        });
      if (r.kind === "Pod" && r.name === STANDALONE) solo = Number(o.spec.containers?.[0]?.env[0]?.value);
    }
    return { sets, solo };
  } finally {
    db.close();
  }
}

function podRows(): Map<string, { uid: string; deleting: boolean }> {
  const db = new Database(box.state, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("select name, uid, deletion_at from pods").all() as {
      name: string;
      uid: string;
      deletion_at: number | null;
    }[];
    return new Map(rows.map((r) => [r.name, { uid: r.uid, deleting: r.deletion_at !== null }]));
  } finally {
    db.close();
  }
}

/** Never two running containers for one pod's container: checked from Docker's labels. */
async function assertNoDuplicates(when: string): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`mk.cluster=${cluster}`] } });
  const running = new Map<string, string[]>();
  for (const c of list) {
    if (c.State !== "running") continue;
    const key = `${c.Labels["mk.pod"]}/${c.Labels["mk.container"]}`;
    running.set(key, [...(running.get(key) ?? []), c.Names[0] ?? c.Id]);
  }
  for (const [key, names] of running)
    assert.equal(names.length, 1, `${when}: two running containers for ${key}: ${names.join(", ")}`);
  return list.length;
}

/** Converged: running containers per PodSet = replicas (of the current version), the solo pod runs, nothing left over. */
async function converged(want: Desired): Promise<string | undefined> {
  const list = await docker.listContainers({ all: true, filters: { label: [`mk.cluster=${cluster}`] } });
  const pods = podRows();
  for (const c of list) {
    const p = pods.get(c.Labels["mk.pod"] ?? "");
    if (!p || p.uid !== c.Labels["mk.pod-uid"]) return `leftover container ${c.Names[0]} (${c.State})`;
    if (p.deleting) return `pod ${c.Labels["mk.pod"]} still being deleted`;
  }
  const running = list.filter((c) => c.State === "running");
  for (const name of SETS) {
    const d = want.sets.get(name);
    const mine = running.filter((c) => c.Labels["mk.owner"] === name);
    const n = d ? d.replicas : 0;
    if (mine.length !== n) return `podset ${name}: ${mine.length} running, want ${n}`;
    const stale = mine.filter((c) => !(c.Labels["mk.pod"] ?? "").startsWith(`${name}-`));
    if (stale.length) return `podset ${name}: foreign pods`;
  }
  const solo = running.filter((c) => c.Labels["mk.pod"] === STANDALONE);
  if (solo.length !== (want.solo === null ? 0 : 1)) return `pod ${STANDALONE}: ${solo.length} running`;
  return undefined;
}

test(`kill -9 loop (seed ${SEED}): ${KILLS} kills during applies, scales, deletes and crashes`, {
  timeout: 900_000,
}, async () => {
  console.log(`kill loop seed ${SEED} (rerun with MK_KILL_SEED=${SEED})`);
  const want: Desired = { sets: new Map(SETS.map((s) => [s, null])), solo: null };
  let maybe: Maybe[] = [];
  const stats = { kills: 0, acked: 0, unacked: 0, landedUnacked: 0, crashes: 0, convergeMs: [] as number[] };
  let version = 1;
  let server = await startServer();
  cluster = await box.clusterId();
  for (let i = 0; i < KILLS; i++) {
    // 1. After the restart: every acknowledged write is there; unacknowledged ones either way.
    const st = stateOf();
    for (const name of SETS) {
      const got = st.sets.get(name) ?? null;
      const unsure = maybe.filter((m) => m.kind === "set" && m.name === name);
      const ok =
        JSON.stringify(got) === JSON.stringify(want.sets.get(name)) ||
        unsure.some((m) => JSON.stringify(m.value) === JSON.stringify(got));
      assert.ok(
        ok,
        `iteration ${i}: podset ${name} is ${JSON.stringify(got)}, acknowledged ${JSON.stringify(want.sets.get(name))}`,
      );
      if (JSON.stringify(got) !== JSON.stringify(want.sets.get(name))) stats.landedUnacked++;
      want.sets.set(name, got);
    }
    {
      const unsure = maybe.filter((m) => m.kind === "solo");
      const ok = st.solo === want.solo || unsure.some((m) => m.value === st.solo);
      assert.ok(ok, `iteration ${i}: pod ${STANDALONE} is ${st.solo}, acknowledged ${want.solo}`);
      want.solo = st.solo;
    }
    maybe = [];

    // 2. Converge (short settle), checking for duplicates all along.
    const t0 = Date.now();
    let why: string | undefined = "not checked";
    while (Date.now() - t0 < 60_000) {
      await assertNoDuplicates(`iteration ${i}, converging`);
      why = await converged(want);
      if (!why) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.equal(
      why,
      undefined,
      `iteration ${i}: not converged after 60 s: ${why}\n${server.logs().slice(-3000)}`,
    );
    stats.convergeMs.push(Date.now() - t0);

    // 3. A few operations at once, then kill -9 at a random moment while they are handled.
    const ops: Promise<void>[] = [];
    // At most one write per object, so the order of the answers is the order of the commits.
    const targets = ["alpha", "beta", STANDALONE, "crash"].filter(() => int(0, 2) > 0);
    if (targets.length === 0) targets.push("alpha");
    for (const target of targets) {
      const what = target === STANDALONE ? 7 : target === "crash" ? 9 : int(0, 6);
      const name = target;
      const cur = want.sets.get(name) ?? null;
      let path: string;
      let body: unknown;
      let value: Maybe;
      if (what === 7) {
        const v = want.solo !== null && int(0, 1) === 0 ? null : version++;
        path = v === null ? "/api/v1/delete" : "/api/v1/apply";
        body =
          v === null
            ? { refs: [{ kind: "Pod", name: STANDALONE }] }
            : { manifests: [{ file: "solo.yaml", text: podYaml(v) }] };
        value = { kind: "solo", value: v };
      } else if (what === 9) {
        // A container crashes: the server must restart it (policy Always), killed or not.
        const running = await docker.listContainers({
          filters: { label: [`mk.cluster=${cluster}`], status: ["running"] },
        });
        const victim = running[int(0, Math.max(0, running.length - 1))];
        if (victim) {
          stats.crashes++;
          ops.push(
            docker
              .getContainer(victim.Id)
              .kill()
              .catch(() => undefined),
          );
        }
        continue;
      } else if (what <= 3 && cur) {
        const replicas = int(0, 3);
        path = `/api/v1/podsets/${name}/scale`;
        body = { replicas };
        value = { kind: "set", name, value: { ...cur, replicas } };
      } else if (what <= 5 || !cur) {
        const v = { replicas: int(1, 3), version: cur && int(0, 1) === 0 ? cur.version : version++ };
        path = "/api/v1/apply";
        body = { manifests: [{ file: `${name}.yaml`, text: podSetYaml(name, v.replicas, v.version) }] };
        value = { kind: "set", name, value: v };
      } else if (what === 6 && cur) {
        path = "/api/v1/delete";
        body = { refs: [{ kind: "PodSet", name }] };
        value = { kind: "set", name, value: null };
      } else {
        throw new Error("unreachable");
      }
      const m = value;
      maybe.push(m);
      ops.push(
        post(server.url, path, body).then((ok) => {
          if (!ok) return;
          // Acknowledged: it must survive whatever comes next.
          maybe = maybe.filter((x) => x !== m);
          stats.acked++;
          if (m.kind === "set") want.sets.set(m.name, m.value);
          else want.solo = m.value;
        }),
      );
    }
    // Half the kills land while the writes are in flight, half after they were answered, while
    // the server reconciles them (containers being created, stopped, removed).
    if (int(0, 1) === 0) await new Promise((r) => setTimeout(r, int(0, 1500)));
    else {
      await Promise.race([Promise.allSettled(ops), new Promise((r) => setTimeout(r, 10_000))]);
      await new Promise((r) => setTimeout(r, int(0, 1500)));
    }
    await kill9(server);
    for (const r of await Promise.allSettled(ops)) if (r.status === "rejected") throw r.reason;
    stats.kills++;
    stats.unacked += maybe.length;
    await assertNoDuplicates(`iteration ${i}, right after kill -9`);
    server = await startServer();
  }
  // The last restart converges too.
  const t0 = Date.now();
  let why: string | undefined;
  const st = stateOf();
  for (const name of SETS) want.sets.set(name, st.sets.get(name) ?? null);
  want.solo = st.solo;
  while (Date.now() - t0 < 60_000) {
    await assertNoDuplicates("final");
    why = await converged(want);
    if (!why) break;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(why, undefined, `final: ${why}`);
  await kill9(server);
  const sorted = [...stats.convergeMs].sort((a, b) => a - b);
  console.log(
    `kill loop: ${stats.kills} kills, ${stats.acked} acknowledged writes (all kept), ${stats.unacked} unanswered (${stats.landedUnacked} landed), ${stats.crashes} container crashes; convergence after restart p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`,
  );
});
