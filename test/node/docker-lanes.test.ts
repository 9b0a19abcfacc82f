// The per-node lanes of Docker calls over SSH (src/node/docker-lanes.ts): bulk calls never exceed
// their slots, and a heartbeat ping, a probe's exec or a graceful stop never waits behind them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BULK_CALLS, laneRuntime } from "../../src/node/docker-lanes.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";
import type { ContainerCreateSpec } from "../../src/runtime/runtime.ts";

/** create() blocks until released; ping/exec/stop answer at once; overlaps are counted. */
class GatedRuntime extends FakeRuntime {
  active = 0;
  peak = 0;
  private gates: (() => void)[] = [];
  override async create(spec: ContainerCreateSpec): Promise<string> {
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    await new Promise<void>((r) => this.gates.push(r));
    this.active--;
    return super.create(spec);
  }
  release(n: number): void {
    for (const g of this.gates.splice(0, n)) g();
  }
  waiting(): number {
    return this.gates.length;
  }
}

const spec = (name: string): ContainerCreateSpec => ({
  name,
  image: "mk.local/busybox:1",
  cmd: ["sleep", "1"],
  env: [],
  labels: {},
  ports: [],
});

const tick = () => new Promise((r) => setImmediate(r));

test("at most `concurrency` bulk calls run at once; the rest queue in order", async () => {
  const rt = new GatedRuntime();
  rt.images.add("mk.local/busybox:1");
  const laned = laneRuntime(rt, 4);
  const creates = Array.from({ length: 20 }, (_, i) => laned.runtime.create(spec(`c${i}`)));
  await tick();
  assert.equal(rt.waiting(), 4);
  assert.deepEqual(laned.load(), { active: 4, pending: 16 });
  while (rt.waiting() > 0) {
    rt.release(rt.waiting());
    await tick();
    await tick();
  }
  const ids = await Promise.all(creates);
  assert.equal(new Set(ids).size, 20);
  assert.equal(rt.peak, 4);
  assert.deepEqual(laned.load(), { active: 0, pending: 0 });
});

test("ping, info, exec, stop and stats pass while every bulk slot is taken", async () => {
  const rt = new GatedRuntime();
  rt.images.add("mk.local/busybox:1");
  const laned = laneRuntime(rt, 2);
  const blocked = Array.from({ length: 10 }, (_, i) => laned.runtime.create(spec(`b${i}`)));
  await tick();
  assert.deepEqual(laned.load(), { active: 2, pending: 8 });
  // None of these queue: each answers while 8 creates still wait for a slot.
  await laned.runtime.ping();
  await laned.runtime.info();
  await laned.runtime.stats("nothing").catch(() => undefined);
  await laned.runtime.exec("nothing", ["true"], 1000).catch(() => undefined);
  await laned.runtime.stop("nothing", 30).catch(() => undefined);
  assert.deepEqual(laned.load(), { active: 2, pending: 8 });
  while (rt.waiting() > 0) {
    rt.release(rt.waiting());
    await tick();
    await tick();
  }
  await Promise.all(blocked);
});

test("the bulk set is the short calls; long or liveness-critical ones stay out", () => {
  for (const m of ["create", "start", "remove", "list", "inspect", "kill", "hasImage"] as const)
    assert.ok(BULK_CALLS.has(m), m);
  for (const m of [
    "ping",
    "info",
    "stop",
    "exec",
    "execStream",
    "events",
    "logs",
    "stats",
    "loadImage",
    "saveImage",
    "pullImage",
  ] as const)
    assert.ok(!BULK_CALLS.has(m), m);
});

test("a concurrency below 1 is refused", () => {
  assert.throws(() => laneRuntime(new FakeRuntime(), 0), /expected a whole number of at least 1/);
});
