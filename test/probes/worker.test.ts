import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { silentLogger } from "../../src/lib/log.ts";
import type { Probe } from "../../src/manifest/types.ts";
import type { ProbeTarget } from "../../src/node/agent.ts";
import { ProbeManager } from "../../src/probes/worker.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";
import { makeContainer, makeProbe } from "../fixtures.ts";

function target(spec: ProbeTarget["spec"]): ProbeTarget {
  return {
    pod: "web",
    uid: "u1",
    container: "main",
    containerId: "c1",
    ip: "172.17.0.2",
    spec,
    startedAt: 1,
  };
}

/** Lets the probe loop's promises settle between timer ticks. */
async function tick(ms: number): Promise<void> {
  for (let i = 0; i < ms / 100; i++) {
    mock.timers.tick(100);
    for (let j = 0; j < 5; j++) await Promise.resolve();
  }
}

test("ProbeManager holds liveness off until the startup probe succeeds, then kills after failureThreshold", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const calls: string[] = [];
    let startupOk = false;
    const startupProbe = makeProbe({ periodSeconds: 1, failureThreshold: 30 });
    const livenessProbe = makeProbe({ periodSeconds: 1, failureThreshold: 2 });
    const run = async (p: Probe) => {
      const kind = p === startupProbe ? "startup" : "liveness";
      calls.push(kind);
      return kind === "startup"
        ? { ok: startupOk, message: startupOk ? "up" : "not yet" }
        : { ok: false, message: "HTTP GET http://172.17.0.2:80/healthz: 500" };
    };
    let changes = 0;
    const m = new ProbeManager({
      runtime: new FakeRuntime(),
      dial: async () => Promise.reject(new Error("unused")),
      log: silentLogger,
      onChange: () => changes++,
      onFailure: () => undefined,
      run,
    });
    m.sync([target(makeContainer({ startupProbe, livenessProbe }))]);
    await tick(3000);
    assert.ok(
      calls.length >= 3 && calls.every((c) => c === "startup"),
      `only startup runs before it succeeds: ${calls}`,
    );
    assert.deepEqual(m.view("web", "u1", "main"), { ready: true, started: false });
    assert.equal(m.livenessFailures().size, 0);
    startupOk = true;
    await tick(1100);
    assert.equal(m.view("web", "u1", "main").started, true);
    await tick(3000);
    assert.ok((calls as string[]).includes("liveness"), "liveness runs once started");
    assert.equal(m.livenessFailures().get("web/main"), "HTTP GET http://172.17.0.2:80/healthz: 500");
    assert.ok(changes >= 2);
    m.stop();
  } finally {
    mock.timers.reset();
  }
});

test("ProbeManager gives no verdict while the node is unreachable", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const readinessProbe = makeProbe({ periodSeconds: 1, failureThreshold: 1 });
    const failures: string[] = [];
    const m = new ProbeManager({
      runtime: new FakeRuntime(),
      dial: async () => Promise.reject(new Error("unused")),
      log: silentLogger,
      onChange: () => undefined,
      onFailure: (f) => failures.push(f.message),
      run: async () => ({ ok: false, unreachable: true, message: "Cannot reach node n1 over SSH" }),
    });
    m.sync([target(makeContainer({ readinessProbe }))]);
    await tick(3000);
    assert.deepEqual(failures, []);
    assert.equal(m.view("web", "u1", "main").ready, false, "never judged ready either");
    m.stop();
  } finally {
    mock.timers.reset();
  }
});
