import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import { checkAutoscaler, checkAutoscalerStatus, checkPodSet } from "../../src/controller/row-check.ts";
import { MkError } from "../../src/lib/errors.ts";
import {
  decodeColumn,
  faultReason,
  InvalidRowError,
  orElse,
  orThrow,
  type RowFault,
} from "../../src/store/row-decode.ts";
import type { AutoscalerStatusRow, ObjectRow } from "../../src/store/rows.ts";

const ref = { kind: "PodSet", name: "web" };
const schema = v.looseObject({ replicas: v.number(), tags: v.array(v.string()) });

test("decodeColumn() yields the value when the column decodes", () => {
  const d = decodeColumn(ref, "spec", '{"replicas":2,"tags":["a"],"extra":true}', schema);
  assert.deepEqual(d, { ok: true, value: { replicas: 2, tags: ["a"], extra: true } });
});

test("decodeColumn() names the row, the column and the field of what does not decode", () => {
  const cases: [string | null, Pick<RowFault, "path">, RegExp][] = [
    ["{not json", { path: "" }, /^column spec: not valid JSON \(/],
    ["", { path: "" }, /^column spec: not valid JSON \(/],
    [null, { path: "" }, /^column spec: not valid JSON \(expected text, got null\)$/],
    [
      '{"replicas":"2","tags":[]}',
      { path: "replicas" },
      /^column spec at replicas: Invalid type: Expected number/,
    ],
    [
      '{"replicas":2,"tags":["a",5]}',
      { path: "tags.1" },
      /^column spec at tags\.1: Invalid type: Expected string/,
    ],
    ["5", { path: "" }, /^column spec: Invalid type: Expected Object/],
  ];
  for (const [text, { path }, re] of cases) {
    const d = decodeColumn(ref, "spec", text, schema);
    assert.equal(d.ok, false, String(text));
    if (d.ok) continue;
    assert.equal(d.fault.kind, "PodSet");
    assert.equal(d.fault.name, "web");
    assert.equal(d.fault.column, "spec");
    assert.equal(d.fault.path, path, String(text));
    assert.match(d.reason, re);
    assert.equal(d.reason, faultReason(d.fault));
  }
});

test("orThrow() throws InvalidRowError (409, exit 3) naming the row and field", () => {
  const d = decodeColumn(ref, "spec", '{"replicas":"x","tags":[]}', schema);
  assert.throws(
    () => orThrow(d),
    (err: unknown) => {
      assert.ok(err instanceof InvalidRowError && err instanceof MkError);
      assert.equal(err.code, "invalid_row");
      assert.equal(err.httpStatus, 409);
      assert.equal(err.exitCode, 3);
      assert.match(
        err.message,
        /^Cannot use podset "web": its stored row is invalid: column spec at replicas: /,
      );
      assert.deepEqual(
        {
          kind: err.details.kind,
          name: err.details.name,
          column: err.details.column,
          path: err.details.path,
        },
        { kind: "PodSet", name: "web", column: "spec", path: "replicas" },
      );
      return true;
    },
  );
  assert.deepEqual(orThrow(decodeColumn(ref, "spec", '{"replicas":1,"tags":[]}', schema)), {
    replicas: 1,
    tags: [],
  });
});

test("orElse() gives the fallback and hands the fault over", () => {
  const faults: RowFault[] = [];
  assert.equal(
    orElse(decodeColumn(ref, "spec", "x", schema), undefined, (f) => faults.push(f)),
    undefined,
  );
  assert.equal(faults.length, 1);
  assert.equal(faults[0]?.column, "spec");
  assert.deepEqual(orElse(decodeColumn(ref, "spec", '{"replicas":1,"tags":[]}', schema), undefined), {
    replicas: 1,
    tags: [],
  });
});

const objectRow = (kind: string, name: string, spec: unknown): ObjectRow =>
  ({ kind, name, spec: typeof spec === "string" ? spec : JSON.stringify(spec) }) as ObjectRow;

test("checkPodSet() and checkAutoscaler() refuse a row of another kind or a broken field", () => {
  const meta = { name: "h", labels: {}, annotations: {} };
  const hpa = {
    kind: "Autoscaler",
    metadata: meta,
    spec: {
      target: { kind: "PodSet", name: "web" },
      minReplicas: 1,
      maxReplicas: 3,
      metrics: [
        { type: "Resource", resource: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
      ],
    },
  };
  assert.equal(checkAutoscaler(objectRow("Autoscaler", "h", hpa)).ok, true);
  const noTarget = checkAutoscaler(
    objectRow("Autoscaler", "h", { ...hpa, spec: { ...hpa.spec, target: 5 } }),
  );
  assert.match(!noTarget.ok ? noTarget.reason : "", /^column spec at spec\.target: /);
  const badMetric = checkAutoscaler(
    objectRow("Autoscaler", "h", {
      ...hpa,
      spec: {
        ...hpa.spec,
        metrics: [{ resource: "gpu", target: { type: "Utilization", averageUtilization: 1 } }],
      },
    }),
  );
  assert.match(!badMetric.ok ? badMetric.reason : "", /^column spec at spec\.metrics\.0\.resource: /);
  const wrongKind = checkPodSet(objectRow("PodSet", "h", { ...hpa, metadata: meta }));
  assert.equal(wrongKind.ok, false);
});

test("checkAutoscalerStatus() names the status column at fault", () => {
  const row = (o: Partial<AutoscalerStatusRow>) =>
    ({ name: "h", currentMetrics: "[]", conditions: "[]", ...o }) as AutoscalerStatusRow;
  assert.equal(checkAutoscalerStatus(row({})).ok, true);
  const m = checkAutoscalerStatus(row({ currentMetrics: '[{"resource":"cpu","averageValue":"x"}]' }));
  assert.match(!m.ok ? m.reason : "", /^column autoscaler_status\.current_metrics at 0\.averageValue: /);
  const c = checkAutoscalerStatus(row({ conditions: "{" }));
  assert.match(!c.ok ? c.reason : "", /^column autoscaler_status\.conditions: not valid JSON/);
  assert.equal(!c.ok ? c.fault.kind : "", "Autoscaler");
});
