// mk autoscale: kubectl autoscale's flags -> the autoscaling/v2 HPA kubectl creates, which the
// manifest pipeline reads back as the php-apache walkthrough's HPA; bad flags refused by name.
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { autoscaleDoc, autoscaleRequest } from "../../src/cli/commands/autoscale.ts";
import { UsageError } from "../../src/lib/errors.ts";
import { parseManifestText } from "../../src/manifest/parse.ts";

test("autoscaleRequest() + autoscaleDoc(): kubectl autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10", () => {
  const r = autoscaleRequest("php-apache", { cpuPercent: "50", min: "1", max: "10" });
  const doc = autoscaleDoc(r);
  assert.deepEqual(doc, {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "php-apache" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "php-apache" },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
        },
      ],
    },
  });
  const { objects, issues } = parseManifestText(stringify(doc), "mk autoscale");
  assert.deepEqual(issues, []);
  const spec = objects[0]?.kind === "Autoscaler" ? objects[0].spec : undefined;
  assert.equal(spec?.maxReplicas, 10);
  assert.deepEqual(spec?.metrics, [
    { type: "Resource", resource: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
  ]);
});

test("autoscaleRequest(): only --max is required; -1 is kubectl's unset; --name renames", () => {
  const r = autoscaleRequest("web", { max: 5, min: -1, cpuPercent: -1, name: "web-hpa" });
  assert.deepEqual(r, { target: "web", name: "web-hpa", max: 5 });
  // No --cpu-percent: no metrics, so Kubernetes' default (cpu at 80 %) applies.
  const { objects } = parseManifestText(stringify(autoscaleDoc(r)), "x");
  const spec = objects[0]?.kind === "Autoscaler" ? objects[0].spec : undefined;
  assert.equal(spec?.minReplicas, 1);
  assert.deepEqual(spec?.metrics[0]?.target, { type: "Utilization", averageUtilization: 80 });
});

test("autoscaleRequest() refuses bad flags naming them", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /^mk autoscale needs --max N/],
    [{ max: "0" }, /^--max 0: expected a whole number 1\.\.1000$/],
    [{ max: "ten" }, /^--max ten: expected a whole number/],
    [{ max: true }, /^--max \(no value\)/],
    [{ max: "3", min: "5" }, /^--min 5: expected at most --max \(3\)$/],
    [{ max: "3", cpuPercent: "0" }, /^--cpu-percent 0: expected a whole number 1\.\.1000$/],
    [{ max: "3", cpuPercent: "50%" }, /^--cpu-percent 50%: expected a whole number/],
  ];
  for (const [opts, message] of cases)
    assert.throws(
      () => autoscaleRequest("web", opts),
      (err: unknown) => err instanceof UsageError && message.test(err.message),
    );
});
