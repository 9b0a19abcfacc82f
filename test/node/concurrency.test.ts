// The one limiter (p-limit) as the agent, the executor and the usage collector use it: never more
// than the limit at once, even when slots are handed over while new work keeps arriving (the
// hand-written limiter it replaced let limit+1 run in that window).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { planPods } from "../../src/controller/pods.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import type { PodObject } from "../../src/manifest/types.ts";
import { collectUsage } from "../../src/metrics/usage.ts";
import { NodeAgent } from "../../src/node/agent.ts";
import type { Action } from "../../src/reconcile/actions.ts";
import { executeActions } from "../../src/reconcile/execute.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";
import type { ContainerCreateSpec, ContainerStats } from "../../src/runtime/runtime.ts";
import { Store } from "../../src/store/store.ts";
import { makePod, makePodSpec, makeRuntimeContainer } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-limit-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fake runtime whose create and stats take a few random milliseconds and count overlaps. */
class SlowRuntime extends FakeRuntime {
  active = 0;
  peak = 0;
  private async busy<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      await new Promise((r) => setTimeout(r, 1 + Math.floor(Math.random() * 8)));
      return await fn();
    } finally {
      this.active--;
    }
  }
  override create(spec: ContainerCreateSpec): Promise<string> {
    return this.busy(() => super.create(spec));
  }
  override stats(): Promise<ContainerStats> {
    return this.busy(() => super.stats());
  }
}

test("NodeAgent runs at most `concurrency` pods' actions at once while passes keep arriving", async () => {
  const clock = new FakeClock(1_000_000);
  const store = Store.open(join(dir, "agent.db"), { clock });
  const rt = new SlowRuntime(clock);
  rt.images.add("mk.local/busybox:1");
  const objects: PodObject[] = Array.from({ length: 40 }, (_, i) => ({
    kind: "Pod",
    metadata: { name: `p${i}`, labels: {}, annotations: {} },
    spec: makePodSpec({ nodeName: "local" }),
  }));
  let n = 0;
  store.commit(
    planPods({ objects, pods: [], now: clock.now(), random: Math.random, newUid: () => `u${n++}` }),
  );
  const agent = new NodeAgent({
    store,
    runtime: rt,
    node: "local",
    cluster: store.clusterId(),
    clock,
    backoff: { initialMs: 1000, maxMs: 4000, resetMs: 60_000 },
    concurrency: 3,
    log: silentLogger,
  });
  for (let i = 0; i < 200 && rt.containers.size < 40; i++) {
    await agent.pass({ wait: false });
    await new Promise((r) => setTimeout(r, 2));
  }
  while (agent.busy() > 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(rt.containers.size, 40, "every pod got its container");
  assert.equal(rt.peak, 3, "the limit was reached and never exceeded");
  store.close();
});

test("executeActions() and collectUsage() keep to their concurrency", async () => {
  const rt = new SlowRuntime();
  rt.images.add("mk.local/busybox:1");
  const actions: Action[] = Array.from({ length: 20 }, (_, i) => {
    const pod = makePod({ name: `p${i}`, uid: `u${i}` });
    return {
      type: "create",
      pod,
      container: pod.spec.containers[0]!,
      pull: false,
      attempt: 0,
      restart: false,
      reason: "test",
    };
  });
  const results = await executeActions(actions, {
    runtime: rt,
    node: "local",
    cluster: "c",
    now: () => Date.now(),
    concurrency: 4,
    statuses: new Map(),
    backoffFor: () => ({ initialMs: 1000, maxMs: 4000, resetMs: 60_000 }),
  });
  assert.equal(results.length, 20);
  assert.equal(rt.peak, 4);

  rt.peak = 0;
  const containers = Array.from({ length: 30 }, (_, i) =>
    makeRuntimeContainer({
      id: `c${i}`,
      labels: {
        "mk.managed": "true",
        "mk.pod": `p${i}`,
        "mk.pod-uid": `u${i}`,
        "mk.container": "main",
        "mk.spec-hash": "h",
      },
    }),
  );
  const usage = await collectUsage(rt, "local", containers, 5);
  assert.equal(usage.length, 30);
  assert.equal(rt.peak, 5);
});
