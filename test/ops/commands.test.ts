import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { InvalidInputError, NotFoundError } from "../../src/lib/errors.ts";
import type { MkObject } from "../../src/manifest/types.ts";
import { applyObjects } from "../../src/ops/apply.ts";
import {
  addNode,
  cordonNode,
  deleteObjects,
  drainNode,
  removeNode,
  scalePodSet,
} from "../../src/ops/commands.ts";
import { Store } from "../../src/store/store.ts";
import { makePodSpec } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-ops-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function podSet(replicas: number): MkObject {
  return {
    kind: "PodSet",
    metadata: { name: "web", labels: {}, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" }, annotations: {} }, spec: makePodSpec() },
      strategy: { type: "Recreate" },
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      rollbackOnFailure: false,
    },
    source: { file: "web.yaml", line: 1, doc: 0, apiVersion: "mk/v1" },
  };
}

function setup(name: string): Store {
  const s = Store.open(join(dir, `${name}.db`));
  addNode(s, { name: "n1", docker: "ssh://root@10.0.0.1" });
  addNode(s, {
    name: "n2",
    docker: "ssh://root@10.0.0.2",
    labels: { zone: "b" },
    taints: [{ key: "gpu", effect: "NoSchedule" }],
  });
  applyObjects(s, [podSet(3)]);
  for (const p of s.listPods()) s.commit([{ op: "bindPod", name: p.name, node: "n1", at: 1 }]);
  return s;
}

test("scalePodSet() changes replicas (a new generation) and refuses nonsense", () => {
  const s = setup("scale");
  const r = scalePodSet(s, "web", 5);
  assert.deepEqual([r.previous, r.replicas], [3, 5]);
  assert.equal(s.getObject("PodSet", "web")?.generation, 2);
  assert.throws(() => scalePodSet(s, "web", -1), InvalidInputError);
  assert.throws(() => scalePodSet(s, "web", 1.5), InvalidInputError);
  assert.throws(() => scalePodSet(s, "nope", 1), NotFoundError);
  s.close();
});

test("addNode() validates the name and URL and stores labels and taints", () => {
  const s = setup("add");
  assert.throws(() => addNode(s, { name: "Bad_Name", docker: "ssh://x" }), InvalidInputError);
  assert.throws(() => addNode(s, { name: "ok", docker: "tcp://1.2.3.4:2375" }), InvalidInputError);
  const n2 = s.getNode("n2");
  assert.deepEqual(JSON.parse(n2?.labels ?? "{}"), { zone: "b" });
  assert.deepEqual(JSON.parse(n2?.taints ?? "[]"), [{ key: "gpu", effect: "NoSchedule" }]);
  assert.equal(addNode(s, { name: "n2", docker: "ssh://root@10.0.0.2" }).action, "configured");
  s.close();
});

test("cordonNode() and drainNode(): drain cordons and marks every pod on the node for deletion", () => {
  const s = setup("drain");
  assert.equal(cordonNode(s, "n2", true).unschedulable, true);
  assert.equal(s.getNode("n2")?.unschedulable, true);
  cordonNode(s, "n2", false);
  const r = drainNode(s, "n1");
  assert.equal(r.evicted.length, 3);
  assert.equal(s.getNode("n1")?.unschedulable, true);
  assert.ok(s.listPods().every((p) => p.deletionAt !== null));
  assert.throws(() => drainNode(s, "zz"), NotFoundError);
  s.close();
});

test("removeNode() drops the node; its PodSet pods go, to be replaced elsewhere", () => {
  const s = setup("rm");
  removeNode(s, "n1");
  assert.equal(s.getNode("n1"), undefined);
  assert.equal(s.listPods({ node: "n1" }).length, 0);
  assert.throws(() => removeNode(s, "n1"), NotFoundError);
  s.close();
});

test("deleteObjects() deletes objects, requests deletion of a PodSet's pod, and reports what was not found", () => {
  const s = setup("delete");
  const pod = s.listPods()[0]?.name ?? "";
  const r = deleteObjects(s, [
    { kind: "Pod", name: pod },
    { kind: "Pod", name: "ghost" },
    { kind: "PodSet", name: "web" },
  ]);
  assert.deepEqual(
    r.map((x) => x.action),
    ["deleted", "not-found", "deleted"],
  );
  assert.notEqual(s.getPod(pod)?.deletionAt, null);
  assert.equal(s.getObject("PodSet", "web"), undefined);
  s.close();
});
