import assert from "node:assert/strict";
import { test } from "node:test";
import { fingerprint, WatchState } from "../../src/cli/watch-diff.ts";
import type { KubeObject } from "../../src/ops/kube-objects.ts";

function obj(name: string, status: Record<string, unknown> = {}): { key: string; object: KubeObject } {
  return {
    key: `pods/${name}`,
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: "default",
        uid: name,
        creationTimestamp: null,
        labels: {},
        annotations: {},
      },
      status,
    },
  };
}

const types = (events: { type: string; key: string }[]) => events.map((e) => `${e.type} ${e.key}`);

test("WatchState.diff() reports every object ADDED first, then only what changed, then DELETED", () => {
  const w = new WatchState();
  assert.deepEqual(types(w.diff([obj("a"), obj("b")])), ["ADDED pods/a", "ADDED pods/b"]);
  assert.deepEqual(types(w.diff([obj("a"), obj("b")])), [], "nothing changed: nothing printed");
  assert.deepEqual(types(w.diff([obj("a", { phase: "Running" }), obj("b"), obj("c")])), [
    "MODIFIED pods/a",
    "ADDED pods/c",
  ]);
  const gone = w.diff([obj("c")]);
  assert.deepEqual(types(gone), ["DELETED pods/a", "DELETED pods/b"]);
  assert.deepEqual(gone[0]?.object.status, { phase: "Running" }, "a deleted object is printed as last seen");
  assert.deepEqual(
    types(w.diff([obj("a")])),
    ["ADDED pods/a", "DELETED pods/c"],
    "a re-created object is ADDED",
  );
});

test("fingerprint() ignores a node's heartbeat time and key order, not real changes", () => {
  const a = obj("n", { state: "Ready", lastHeartbeatAt: "2026-01-01T00:00:01Z" }).object;
  const b = obj("n", { lastHeartbeatAt: "2026-01-01T00:00:09Z", state: "Ready" }).object;
  const c = obj("n", { state: "NotReady", lastHeartbeatAt: "2026-01-01T00:00:09Z" }).object;
  assert.equal(fingerprint(a), fingerprint(b));
  assert.notEqual(fingerprint(a), fingerprint(c));
});
