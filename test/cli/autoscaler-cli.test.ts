// mk server's autoscaler flags and the hpa table and describe text, without a server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { autoscalerColumns, describeAutoscalerText } from "../../src/cli/commands/get-autoscalers.ts";
import {
  autoscalerSettings,
  prometheusUrl,
  statsInterval,
} from "../../src/cli/commands/server-autoscaler.ts";
import { fingerprint } from "../../src/cli/watch-diff.ts";
import { UsageError } from "../../src/lib/errors.ts";
import { type AutoscalerView, targetsColumn } from "../../src/ops/autoscaler-views.ts";
import type { KubeObject } from "../../src/ops/kube-objects.ts";

test("autoscalerSettings() takes Kubernetes' defaults and the flags", () => {
  assert.deepEqual(autoscalerSettings({}), {
    syncMs: 15_000,
    windowMs: 60_000,
    tolerance: 0.1,
    cpuInitializationMs: 30_000,
  });
  assert.deepEqual(
    autoscalerSettings({
      autoscalerSync: "2s",
      autoscalerWindow: "10s",
      autoscalerTolerance: "0.05",
      autoscalerCpuInit: "0",
      prometheus: "http://127.0.0.1:9090",
      prometheusTimeout: "1s",
    }),
    {
      syncMs: 2000,
      windowMs: 10_000,
      tolerance: 0.05,
      cpuInitializationMs: 0,
      prometheus: { url: "http://127.0.0.1:9090/", timeoutMs: 1000 },
    },
  );
  assert.equal(statsInterval({ statsInterval: "2s" }), 2000);
});

test("autoscalerSettings() refuses bad values naming the flag", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ autoscalerSync: "0" }, /^--autoscaler-sync 0: expected a duration above 0/],
    [{ autoscalerWindow: "fast" }, /^--autoscaler-window fast: expected duration/],
    [{ autoscalerTolerance: "1" }, /^--autoscaler-tolerance 1: expected a number 0 <= x < 1/],
    [{ autoscalerTolerance: "x" }, /^--autoscaler-tolerance x/],
    [{ prometheus: "ftp://host" }, /^--prometheus ftp:\/\/host: expected an http\(s\) URL/],
    [{ prometheus: "not a url" }, /^--prometheus not a url: expected an http\(s\) URL/],
    [
      { prometheus: "http://p:9090", prometheusTimeout: "10m" },
      /^--prometheus-timeout 10m: expected a duration above 0 and at most 300s/,
    ],
    // Without --prometheus too: a bad flag is never silently unused.
    [{ prometheusTimeout: "-1s" }, /^--prometheus-timeout -1s: expected duration/],
    [{ autoscalerCpuInit: "soon" }, /^--autoscaler-cpu-init soon: expected duration/],
  ];
  for (const [opts, message] of cases) {
    assert.throws(
      () => autoscalerSettings(opts),
      (err: unknown) => err instanceof UsageError && message.test(err.message),
    );
  }
  assert.equal(prometheusUrl(undefined), undefined);
});

const VIEW: AutoscalerView = {
  name: "web",
  apiVersion: "autoscaling/v2",
  reference: "Deployment/web",
  minReplicas: 1,
  maxReplicas: 3,
  targets: "63%/50%",
  metrics: [
    { resource: "cpu", targetType: "Utilization", target: "50%", current: "63%", averageValue: "63m" },
  ],
  currentReplicas: 2,
  desiredReplicas: 3,
  lastScaleTime: null,
  lastSyncTime: "2026-01-01T00:00:00.000Z",
  conditions: [
    {
      type: "AbleToScale",
      status: "True",
      reason: "SucceededRescale",
      message: "the HPA controller was able to update the target scale to 3",
      lastTransitionTime: null,
    },
  ],
  currentMetrics: [
    { type: "Resource", resource: { name: "cpu", current: { averageUtilization: 63, averageValue: "63m" } } },
  ],
  observedGeneration: 1,
  createdAt: new Date().toISOString(),
};

test("autoscalerColumns() prints kubectl's hpa columns", () => {
  const o = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    status: VIEW,
  } as unknown as KubeObject;
  const c = autoscalerColumns([o], false);
  assert.deepEqual(c.headers, ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]);
  assert.deepEqual(c.rows[0]?.slice(0, 6), ["web", "Deployment/web", "63%/50%", 1, 3, 2]);
  assert.deepEqual(autoscalerColumns([o], true).headers.slice(7), ["LAST SCALE", "APPLIED AS"]);
});

test("describeAutoscalerText() shows metrics as current / target, pods, conditions and events as kubectl does", () => {
  const now = Date.now();
  const text = describeAutoscalerText({
    kind: "Autoscaler",
    name: "web",
    object: null,
    status: VIEW,
    events: [
      {
        id: 1,
        type: "Normal",
        reason: "SuccessfulRescale",
        object: "autoscaler/web",
        node: null,
        message: "New size: 3; reason: cpu resource utilization (percentage of request) above target",
        count: 1,
        firstSeen: new Date(now - 30_000).toISOString(),
        lastSeen: new Date(now - 30_000).toISOString(),
      },
      {
        id: 2,
        type: "Warning",
        reason: "FailedGetResourceMetric",
        object: "autoscaler/web",
        node: null,
        message: "failed to get cpu utilization: no cpu samples of running pods from Docker stats yet",
        count: 4,
        firstSeen: new Date(now - 300_000).toISOString(),
        lastSeen: new Date(now - 60_000).toISOString(),
      },
    ],
  });
  assert.match(text, /^Name:\s+web$/m);
  assert.match(text, /^Namespace:\s+default$/m);
  assert.match(text, /^Labels:\s+<none>$/m);
  assert.match(text, /^Reference:\s+Deployment\/web$/m);
  assert.match(text, /^Metrics:\s+\( current \/ target \)$/m);
  assert.match(text, /^ {2}resource cpu on pods {2}\(as a percentage of request\): {2}63% \(63m\) \/ 50%$/m);
  assert.match(text, /^Min replicas:\s+1$/m);
  assert.match(text, /^Max replicas:\s+3$/m);
  assert.match(text, /^Deployment pods:\s+2 current \/ 3 desired$/m);
  assert.match(text, /^ {2}Type\s+Status\s+Reason\s+Message$/m);
  assert.match(
    text,
    /^ {2}AbleToScale\s+True\s+SucceededRescale\s+the HPA controller was able to update the target scale to 3$/m,
  );
  assert.match(text, /^ {2}Type\s+Reason\s+Age\s+From\s+Message$/m);
  assert.match(
    text,
    /^ {2}Normal\s+SuccessfulRescale\s+30s\s+horizontal-pod-autoscaler\s+New size: 3; reason: cpu resource utilization \(percentage of request\) above target$/m,
  );
  assert.match(
    text,
    /^ {2}Warning\s+FailedGetResourceMetric\s+60s \(x4 over 5m\)\s+horizontal-pod-autoscaler\s+failed to get/m,
  );
  const quiet = describeAutoscalerText({
    kind: "Autoscaler",
    name: "web",
    object: null,
    status: VIEW,
    events: [],
  });
  assert.match(quiet, /^Events:\s+<none>$/m);
});

test("targetsColumn() prints kubectl's TARGETS: one metric bare, several named, at most two", () => {
  const cpu = {
    resource: "cpu",
    targetType: "Utilization" as const,
    target: "50%",
    current: "63%",
    averageValue: "63m",
  };
  const mem = {
    resource: "memory",
    targetType: "AverageValue" as const,
    target: "100Mi",
    current: "<unknown>",
    averageValue: null,
  };
  assert.equal(targetsColumn([]), "<none>");
  assert.equal(targetsColumn([cpu]), "63%/50%");
  assert.equal(targetsColumn([{ ...cpu, current: "<unknown>" }]), "<unknown>/50%");
  assert.equal(targetsColumn([cpu, mem]), "cpu: 63%/50%, memory: <unknown>/100Mi");
  assert.equal(targetsColumn([cpu, mem, cpu]), "cpu: 63%/50%, memory: <unknown>/100Mi + 1 more...");
});

test("get hpa -w: a sync that changed nothing (only lastSyncTime) is not a MODIFIED row", () => {
  const o = (status: AutoscalerView) =>
    ({ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", status }) as unknown as KubeObject;
  const later = { ...VIEW, lastSyncTime: "2026-01-01T00:00:15.000Z" };
  assert.equal(fingerprint(o(VIEW)), fingerprint(o(later)));
  assert.notEqual(fingerprint(o(VIEW)), fingerprint(o({ ...later, targets: "80%/50%" })));
});
