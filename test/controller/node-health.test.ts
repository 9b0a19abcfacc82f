import assert from "node:assert/strict";
import { test } from "node:test";
import { DisruptionWatch, disruptionOf, NodeHealth } from "../../src/controller/node-health.ts";
import { nextLifecycleDeadline, planNodeLifecycle } from "../../src/controller/nodes.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import type { Mutation } from "../../src/store/mutations.ts";
import type { NodeRow, PodRow } from "../../src/store/rows.ts";
import { makeNodeRow, makePodRow } from "../fixtures.ts";

const node = (name: string, o: Partial<NodeRow> = {}): NodeRow =>
  makeNodeRow({ name, docker: `ssh://root@${name}`, ...o });

const pod = (name: string, nodeName: string): PodRow =>
  makePodRow({ name, uid: `u-${name}`, node: nodeName });

const GRACE = 4000;
const DELAY = 2000;
const evictions = (m: Mutation[]) =>
  m
    .filter((x) => x.op === "requestPodDeletion" || x.op === "unbindPod")
    .map((x) => ("name" in x ? x.name : ""));
const unknowns = (m: Mutation[]) =>
  m.filter((x) => x.op === "setNodeStatus" && x.state === "Unknown").map((x) => ("name" in x ? x.name : ""));

/** A leader's view: wall clock (`wall`, what rows say) and its own monotonic clock (`mono`). */
function leader(wallMs: number) {
  const mono = new FakeClock(0);
  const health = new NodeHealth({ now: () => mono.now(), stallMs: 1000 });
  const plan = (nodes: NodeRow[], pods: PodRow[]) => {
    health.observe(nodes);
    return planNodeLifecycle({
      nodes,
      pods,
      now: wallMs + mono.now(),
      graceMs: GRACE,
      evictionDelayMs: DELAY,
      ages: health,
      disruption: health.disruption(nodes),
    });
  };
  return { mono, health, plan };
}

test("NodeHealth: a new leader grants every node a full grace period, whatever old heartbeat times the rows hold", () => {
  // The rows say node b's last heartbeat was a minute ago (the old leader stalled before it died).
  const nodes = [node("a", { lastHeartbeatAt: 60_000 }), node("b", { lastHeartbeatAt: 0 })];
  const { mono, plan } = leader(60_000);
  assert.deepEqual(unknowns(plan(nodes, [])), [], "nothing judged on the predecessor's data");
  mono.step(GRACE);
  assert.deepEqual(unknowns(plan(nodes, [])), [], "within the grace period from the first sight");
  // a beats (its row changes), b stays silent: only b turns Unknown, a full grace after the first sight.
  nodes[0] = node("a", { lastHeartbeatAt: 64_000 });
  mono.step(1);
  assert.deepEqual(unknowns(plan(nodes, [])), ["b"]);
});

test("NodeHealth: a heartbeat counts when the controller saw it change, not by the time written in it", () => {
  const { mono, plan } = leader(0);
  const nodes = [node("a"), node("b"), node("c")];
  plan(nodes, []);
  // a's heartbeats carry a clock 10 minutes behind (another process wrote them): still fresh.
  for (let i = 1; i <= 10; i++) {
    mono.step(1000);
    nodes[0] = node("a", { lastHeartbeatAt: -600_000 + i });
    nodes[1] = node("b", { lastHeartbeatAt: i * 1000 });
    nodes[2] = node("c", { lastHeartbeatAt: i * 1000 });
    assert.deepEqual(unknowns(plan(nodes, [])), []);
  }
});

test("NodeHealth: a stall of the controller's own loop gives every node a fresh grace period", () => {
  const { mono, health, plan } = leader(0);
  const nodes = [node("a"), node("b"), node("c")];
  health.tick();
  plan(nodes, []);
  mono.step(200);
  assert.equal(health.tick(), 0);
  // The event loop blocked 5 s (a slow etcd write): no heartbeat could have been seen meanwhile.
  mono.step(5000);
  assert.equal(health.tick(), 5000);
  assert.equal(health.stalls, 1);
  assert.deepEqual(unknowns(plan(nodes, [])), [], "no node judged on the stalled interval");
  mono.step(GRACE + 1);
  assert.equal(health.tick(), GRACE + 1, "a gap again");
  // without stalls, silence is judged again: ticks every 200 ms for a full grace period
  for (let t = 0; t <= GRACE; t += 200) {
    mono.step(200);
    health.tick();
  }
  assert.deepEqual(unknowns(plan(nodes, [])).sort(), ["a", "b", "c"]);
});

test("NodeHealth: the eviction delay runs from this controller's own sight of the Unknown state", () => {
  // Node b was marked Unknown long ago by the previous leader (its row's stateSince is old).
  const nodes = [node("a", { lastHeartbeatAt: 1 }), node("b", { state: "Unknown", stateSince: 0 })];
  const pods = [pod("web-1", "b")];
  const { mono, plan } = leader(100_000);
  assert.deepEqual(evictions(plan(nodes, pods)), [], "not on the predecessor's clock");
  mono.step(DELAY - 1);
  nodes[0] = node("a", { lastHeartbeatAt: 2 });
  assert.deepEqual(evictions(plan(nodes, pods)), []);
  mono.step(1);
  nodes[0] = node("a", { lastHeartbeatAt: 3 });
  assert.deepEqual(evictions(plan(nodes, pods)), ["web-1"]);
});

test("NodeHealth: full disruption (every node silent) marks them Unknown but evicts nothing", () => {
  const nodes = [node("a"), node("b")];
  const pods = [pod("web-1", "a"), pod("web-2", "b")];
  const { mono, plan } = leader(0);
  plan(nodes, pods);
  mono.step(GRACE + 1);
  assert.deepEqual(unknowns(plan(nodes, pods)).sort(), ["a", "b"]);
  const down = nodes.map((n) => ({ ...n, state: "Unknown" }));
  plan(down, pods);
  mono.step(DELAY * 10);
  assert.deepEqual(evictions(plan(down, pods)), [], "the controller's own network is the likelier fault");
  // One node answers again: one of two unhealthy is Normal, the other's pods go.
  const back = [node("a", { lastHeartbeatAt: 99 }), down[1] as NodeRow];
  assert.deepEqual(evictions(plan(back, pods)), ["web-2"]);
});

test("disruptionOf(): Kubernetes' zone states, one zone (55% and more than two unhealthy is partial)", () => {
  const ready = (n: string) => node(n);
  const lost = (n: string) => node(n, { state: "Unknown" });
  assert.equal(disruptionOf([]), "Normal");
  assert.equal(disruptionOf([lost("a")]), "FullDisruption");
  assert.equal(disruptionOf([ready("a"), lost("b")]), "Normal");
  assert.equal(disruptionOf([ready("a"), lost("b"), lost("c")]), "Normal", "only two unhealthy");
  assert.equal(disruptionOf([ready("a"), lost("b"), lost("c"), lost("d")]), "PartialDisruption");
  assert.equal(disruptionOf([ready("a"), ready("b"), lost("c"), lost("d"), lost("e")]), "PartialDisruption");
  assert.equal(disruptionOf([ready("a"), ready("b"), ready("c"), lost("d"), lost("e"), lost("f")]), "Normal");
});

test("DisruptionWatch: one event when evictions stop and one when they resume", () => {
  const w = new DisruptionWatch();
  assert.deepEqual(w.check([node("a"), node("b")], 1).events, []);
  const stop = w.check([node("a", { state: "Unknown" }), node("b", { state: "Unknown" })], 2);
  assert.equal(stop.state, "FullDisruption");
  assert.deepEqual(
    stop.events.map((e) => (e.op === "recordEvent" ? e.reason : "")),
    ["EvictionsStopped"],
  );
  assert.equal(
    w.check([node("a", { state: "Unknown" }), node("b", { state: "Unknown" })], 3).events.length,
    0,
  );
  const resume = w.check([node("a"), node("b", { state: "Unknown" })], 4);
  assert.deepEqual(
    resume.events.map((e) => (e.op === "recordEvent" ? e.reason : "")),
    ["EvictionsResumed"],
  );
});

test("nextLifecycleDeadline() with observed ages: the controller wakes when the observed grace runs out", () => {
  const mono = new FakeClock(0);
  const health = new NodeHealth({ now: () => mono.now(), stallMs: 1000 });
  const nodes = [node("a", { lastHeartbeatAt: 0 })];
  health.observe(nodes);
  mono.step(1000);
  // wall clock 50_000 now; observed silence 1000 ms of 4000: wake 3001 ms from now.
  assert.equal(
    nextLifecycleDeadline(nodes, { graceMs: GRACE, evictionDelayMs: DELAY }, 50_000, health),
    53_001,
  );
});
