import assert from "node:assert/strict";
import { test } from "node:test";
import { customColumnCells, parseCustomColumns } from "../../src/cli/custom-columns.ts";
import { UsageError } from "../../src/lib/errors.ts";
import type { KubeObject } from "../../src/ops/kube-objects.ts";

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web",
    namespace: "default",
    uid: "u",
    creationTimestamp: null,
    labels: { app: "web" },
    annotations: {},
  },
  status: { phase: "Running", containerStatuses: [{ restartCount: 1 }, { restartCount: 0 }] },
} as KubeObject;

test("custom-columns: HEADER:JSONPATH pairs, braces optional, several values joined by a comma", () => {
  const cols = parseCustomColumns(
    "NAME:.metadata.name,PHASE:{.status.phase},RESTARTS:.status.containerStatuses[*].restartCount,APP:.metadata.labels.app,IP:.status.podIP",
  );
  assert.deepEqual(
    cols.map((c) => c.header),
    ["NAME", "PHASE", "RESTARTS", "APP", "IP"],
  );
  assert.deepEqual(customColumnCells(cols, pod), ["web", "Running", "1,0", "web", ""]);
});

test("custom-columns: a spec that is not HEADER:JSONPATH is a usage error naming it", () => {
  for (const [spec, re] of [
    ["", /expected HEADER:JSONPATH/],
    ["NAME", /"NAME" is not HEADER:JSONPATH/],
    ["NAME:", /"NAME:" is not HEADER:JSONPATH/],
    ["NAME:.metadata[", /-o custom-columns=NAME:\.metadata\[/],
  ] as const)
    assert.throws(
      () => parseCustomColumns(spec),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
      spec,
    );
});
