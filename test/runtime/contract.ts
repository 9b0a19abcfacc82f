// The ContainerRuntime contract: one set of tests, run against the in-memory fake
// (test/runtime/fake.test.ts) and against real Docker (test/integration/runtime-contract.test.ts),
// so the fake cannot drift from what Docker does. Each case states a Docker behaviour mk relies on.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import type { ContainerCreateSpec, ContainerRuntime, RuntimeEvent } from "../../src/runtime/runtime.ts";

export interface ContractTarget {
  runtime: ContainerRuntime;
  image: string;
  /** Labels every container of this run carries (cleanup finds them by these). */
  labels: Record<string, string>;
  cleanup(): Promise<void>;
}

const IGNORES_TERM = ["sleep", "3600"]; // PID 1 without a handler: SIGTERM does nothing
const TRAPS_TERM = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"];

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function runtimeContract(name: string, make: () => Promise<ContractTarget>): void {
  let t: ContractTarget;
  const run = randomUUID().slice(0, 8);
  let n = 0;
  before(async () => {
    t = await make();
  });
  after(async () => {
    await t?.cleanup();
  });
  const spec = (cmd: string[], extra: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec => ({
    name: `mk-contract-${run}-${n++}`,
    image: t.image,
    cmd,
    env: [],
    labels: { ...t.labels, "mk.contract": run },
    ports: [],
    ...extra,
  });

  test(`${name}: create() makes a created container; the name is unique; a missing image fails`, async () => {
    const rt = t.runtime;
    const s = spec(IGNORES_TERM);
    const id = await rt.create(s);
    const c = await rt.inspect(id);
    assert.equal(c?.state, "created");
    assert.equal(c?.name, s.name);
    assert.equal(c?.startedAt, null);
    assert.equal(c?.exitCode, null);
    assert.equal(c?.ip, null);
    assert.equal(c?.labels["mk.contract"], run);
    await assert.rejects(rt.create(s), /Conflict|already in use/);
    await assert.rejects(
      rt.create(spec(IGNORES_TERM, { image: "mk.local/no-such-image:0" })),
      /No such image/i,
    );
    const listed = await rt.list({ "mk.contract": run });
    assert.ok(listed.some((x) => x.id === id));
    assert.equal(await rt.inspect("0".repeat(64)), undefined, "an unknown id is undefined, not an error");
    await rt.remove(id);
  });

  test(`${name}: start() runs it with an address; start() on a running container changes nothing`, async () => {
    const rt = t.runtime;
    const id = await rt.create(spec(IGNORES_TERM));
    const t0 = Date.now();
    await rt.start(id);
    const c = await rt.inspect(id);
    assert.equal(c?.state, "running");
    assert.equal(c?.exitCode, null);
    assert.ok(c?.ip, "a running container has an address");
    assert.ok(c?.startedAt && Math.abs(c.startedAt - t0) < 5000);
    await new Promise((r) => setTimeout(r, 30));
    await rt.start(id); // Docker answers 304
    const again = await rt.inspect(id);
    assert.equal(again?.startedAt, c?.startedAt, "start time kept");
    assert.equal(again?.ip, c?.ip, "address kept");
    await rt.remove(id, { force: true });
  });

  test(`${name}: stop() of a process that ignores SIGTERM waits the grace period, then kills (137)`, async () => {
    const rt = t.runtime;
    const id = await rt.create(spec(IGNORES_TERM));
    await rt.start(id);
    const t0 = Date.now();
    await rt.stop(id, 1);
    const took = Date.now() - t0;
    const c = await rt.inspect(id);
    assert.ok(took >= 900, `stop took ${took} ms, less than the 1 s grace period`);
    assert.equal(c?.state, "exited");
    assert.equal(c?.exitCode, 137);
    assert.ok(c?.finishedAt);
    assert.equal(c?.ip, null, "a stopped container has no address");
    await rt.stop(id, 1); // stopping a stopped container: no error (Docker: 304)
    await rt.kill(id); // killing one: no error (Docker: 409)
    await rt.remove(id);
  });

  test(`${name}: stop() of a process that traps SIGTERM ends it at once with its own code`, async () => {
    const rt = t.runtime;
    const id = await rt.create(spec(TRAPS_TERM));
    await rt.start(id);
    await new Promise((r) => setTimeout(r, 300)); // let the shell install its trap
    const t0 = Date.now();
    await rt.stop(id, 10);
    assert.ok(Date.now() - t0 < 5000, "not the 10 s grace period");
    const c = await rt.inspect(id);
    assert.equal(c?.state, "exited");
    assert.equal(c?.exitCode, 0);
    await rt.remove(id);
  });

  test(`${name}: kill() ends it at once (137); a later start() is a new run`, async () => {
    const rt = t.runtime;
    const id = await rt.create(spec(IGNORES_TERM));
    await rt.start(id);
    const first = await rt.inspect(id);
    await new Promise((r) => setTimeout(r, 1100)); // Docker's start times have 1 s resolution in places
    await rt.kill(id);
    const killed = await until("the kill", async () => {
      const c = await rt.inspect(id);
      return c?.state === "exited" ? c : undefined;
    });
    assert.equal(killed.exitCode, 137);
    await rt.start(id);
    const second = await rt.inspect(id);
    assert.equal(second?.state, "running");
    assert.equal(second?.exitCode, null);
    assert.ok((second?.startedAt ?? 0) > (first?.startedAt ?? 0), "a new start time");
    await rt.remove(id, { force: true });
  });

  test(`${name}: a process that exits by itself ends exited with its code`, async () => {
    const rt = t.runtime;
    const id = await rt.create(spec(["sh", "-c", "exit 3"]));
    await rt.start(id);
    const c = await until("the exit", async () => {
      const x = await rt.inspect(id);
      return x?.state === "exited" ? x : undefined;
    });
    assert.equal(c.exitCode, 3);
    assert.equal(c.oomKilled, false);
    await rt.remove(id);
  });

  test(`${name}: remove() refuses a running container without force; unknown ids are no-ops`, async () => {
    const rt = t.runtime;
    const id = await rt.create(spec(IGNORES_TERM));
    await rt.start(id);
    await assert.rejects(rt.remove(id), /running/);
    assert.equal((await rt.inspect(id))?.state, "running", "still there");
    await rt.remove(id, { force: true });
    assert.equal(await rt.inspect(id), undefined);
    assert.ok(!(await rt.list({ "mk.contract": run })).some((x) => x.id === id));
    const ghost = "f".repeat(64);
    await rt.remove(ghost);
    await rt.stop(ghost, 1);
    await rt.kill(ghost);
  });

  test(`${name}: list() filters by every label given`, async () => {
    const rt = t.runtime;
    const a = await rt.create(spec(IGNORES_TERM, { labels: { ...t.labels, "mk.contract": run, role: "a" } }));
    const b = await rt.create(spec(IGNORES_TERM, { labels: { ...t.labels, "mk.contract": run, role: "b" } }));
    const onlyA = await rt.list({ "mk.contract": run, role: "a" });
    assert.deepEqual(
      onlyA.map((c) => c.id),
      [a],
    );
    await rt.remove(a);
    await rt.remove(b);
  });

  test(`${name}: events() delivers start and die of labelled containers until aborted`, async () => {
    const rt = t.runtime;
    const seen: RuntimeEvent[] = [];
    const abort = new AbortController();
    const watching = rt.events({ "mk.contract": run }, (e) => seen.push(e), abort.signal);
    await new Promise((r) => setTimeout(r, 200)); // the stream is open
    const id = await rt.create(spec(IGNORES_TERM));
    await rt.start(id);
    await rt.kill(id);
    await until("start and die events", async () => {
      const actions = seen.filter((e) => e.id === id).map((e) => e.action);
      return actions.includes("start") && actions.includes("die");
    });
    assert.equal(seen.find((e) => e.id === id)?.labels["mk.contract"], run);
    abort.abort();
    await watching;
    await rt.remove(id);
  });
}
