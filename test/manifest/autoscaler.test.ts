// autoscaling/v2 and autoscaling/v1 HorizontalPodAutoscaler and mk/v1 Autoscaler: all normalize to
// one AutoscalerSpec with Kubernetes' defaults; everything mk cannot act on is refused by path.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AutoscalerObject, MkObject, ScalingRules } from "../../src/manifest/types.ts";
import { issuesOf, objectOf } from "./helpers.ts";

const DEFAULT_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ],
};
const DEFAULT_DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: "Max",
  policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
};

test("parseManifestText() reads an autoscaling/v2 HPA as people write it, with Kubernetes' defaults", () => {
  const hpa = objectOf(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
  - type: Resource
    resource:
      name: memory
      target: {type: AverageValue, averageValue: 100Mi}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 10
      policies: [{type: Pods, value: 1, periodSeconds: 5}]
status:
  currentReplicas: 2
`) as AutoscalerObject & MkObject;
  assert.equal(hpa.kind, "Autoscaler");
  assert.equal(hpa.source.apiVersion, "autoscaling/v2");
  assert.deepEqual(hpa.spec, {
    target: { kind: "PodSet", name: "web" },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [
      { type: "Resource", resource: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
      { type: "Resource", resource: "memory", target: { type: "AverageValue", averageValue: 100 * 2 ** 20 } },
    ],
    behavior: {
      scaleUp: DEFAULT_UP,
      scaleDown: {
        stabilizationWindowSeconds: 10,
        selectPolicy: "Max",
        policies: [{ type: "Pods", value: 1, periodSeconds: 5 }],
      },
    },
  });
});

test("parseManifestText() defaults a v2 HPA without metrics to cpu at 80 % and fills a partial behavior", () => {
  const hpa = objectOf(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {kind: PodSet, name: api}
  minReplicas: 2
  maxReplicas: 4
  behavior:
    scaleUp: {selectPolicy: Disabled}
    scaleDown: {selectPolicy: Min}
`) as AutoscalerObject;
  assert.deepEqual(hpa.spec.metrics, [
    { type: "Resource", resource: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
  ]);
  assert.deepEqual(hpa.spec.behavior, {
    scaleUp: { ...DEFAULT_UP, selectPolicy: "Disabled" },
    scaleDown: { ...DEFAULT_DOWN, selectPolicy: "Min" },
  });
  assert.equal(hpa.spec.minReplicas, 2);
});

test("parseManifestText() reads the HPA docs' behavior examples: tolerance, Percent 100 / 15 s, selectPolicy Disabled", () => {
  const hpa = objectOf(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  maxReplicas: 10
  behavior:
    scaleUp:
      tolerance: 0.05 # 5% tolerance for scale up
      selectPolicy: Max
      policies:
      - type: Percent
        value: 900
        periodSeconds: 60
    scaleDown:
      selectPolicy: Disabled
      tolerance: "150m"
`) as AutoscalerObject;
  assert.deepEqual(hpa.spec.behavior, {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 900, periodSeconds: 60 }],
      tolerance: 0.05,
    },
    scaleDown: { ...DEFAULT_DOWN, selectPolicy: "Disabled", tolerance: 0.15 },
  });
});

test("parseManifestText() reads an autoscaling/v1 HPA's targetCPUUtilizationPercentage", () => {
  const hpa = objectOf(`apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 4
  targetCPUUtilizationPercentage: 60
`) as AutoscalerObject;
  assert.deepEqual(hpa.spec, {
    target: { kind: "PodSet", name: "web" },
    minReplicas: 1,
    maxReplicas: 4,
    metrics: [{ type: "Resource", resource: "cpu", target: { type: "Utilization", averageUtilization: 60 } }],
    behavior: { scaleUp: DEFAULT_UP, scaleDown: DEFAULT_DOWN },
  });
});

test("parseManifestText() reads an mk/v1 Autoscaler with v2 metrics and behavior", () => {
  const a = objectOf(`apiVersion: mk/v1
kind: Autoscaler
metadata: {name: web}
spec:
  target: {kind: PodSet, name: web}
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: AverageValue, averageValue: 250m}}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 30}
`) as AutoscalerObject;
  assert.deepEqual(a.spec.metrics, [
    { type: "Resource", resource: "cpu", target: { type: "AverageValue", averageValue: 250 } },
  ]);
  assert.deepEqual(a.spec.behavior.scaleUp, { ...DEFAULT_UP, stabilizationWindowSeconds: 30 });
});

test("parseManifestText() refuses HPA fields mk cannot act on, each with file:line:column and path", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: bad}
spec:
  scaleTargetRef: {kind: StatefulSet, name: web}
  maxReplicas: 3
  metrics:
  - type: External
    external: {metric: {name: queue}, target: {type: Value, value: 3}}
  - type: Pods
    pods: {metric: {name: rps}}
  - type: Resource
    resource: {name: gpu, target: {type: Utilization, averageUtilization: 50}}
  - type: Resource
    resource: {name: cpu, target: {type: Utilization}}
  - type: Resource
    resource: {name: cpu, target: {type: AverageValue, averageValue: lots}}
  - type: Resource
    resource: {name: cpu, target: {type: Value, value: 1}}
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50, averageValue: 1}}
  - type: Resource
  behavior:
    scaleUp:
      selectPolicy: Fastest
      stabilizationWindowSeconds: 4000
      policies: [{type: Pods, value: 0, periodSeconds: 1801}]
    scaleDown: {policies: [], tolerance: -1}
`),
    [
      `m.yaml:5:26 spec.scaleTargetRef.kind: expected one of "PodSet", "Deployment", got "StatefulSet"`,
      "m.yaml:8:11 spec.metrics[0].type: metric type External is not supported by mk; only Resource metrics (cpu, memory)",
      "m.yaml:10:11 spec.metrics[1].type: metric type Pods is not supported by mk; only Resource metrics (cpu, memory)",
      `m.yaml:13:22 spec.metrics[2].resource.name: resource "gpu" is not supported by mk; only cpu and memory`,
      "m.yaml:15:35 spec.metrics[3].resource.target.averageUtilization: required field is missing",
      `m.yaml:17:70 spec.metrics[4].resource.target.averageValue: expected cpu quantity like "500m" or "0.5", got "lots"`,
      `m.yaml:19:42 spec.metrics[5].resource.target.type: expected "Utilization" or "AverageValue" for a Resource metric, got "Value"`,
      "m.yaml:21:93 spec.metrics[6].resource.target.averageValue: expected only with type AverageValue",
      "m.yaml:22:5 spec.metrics[7].resource: required field is missing",
      `m.yaml:25:21 spec.behavior.scaleUp.selectPolicy: expected one of "Max", "Min", "Disabled", got "Fastest"`,
      "m.yaml:26:35 spec.behavior.scaleUp.stabilizationWindowSeconds: expected integer 0..3600, got number 4000",
      "m.yaml:27:38 spec.behavior.scaleUp.policies[0].value: expected integer 1..2147483647, got number 0",
      "m.yaml:27:56 spec.behavior.scaleUp.policies[0].periodSeconds: expected integer 1..1800, got number 1801",
      "m.yaml:28:27 spec.behavior.scaleDown.policies: expected at least one policy, got an empty list",
      'm.yaml:28:42 spec.behavior.scaleDown.tolerance: expected a quantity of at least 0 like 0.05 or "50m", got number -1',
    ],
  );
});

test("parseManifestText() refuses a v1 HPA without maxReplicas and an old apiVersion", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: a}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  minReplicas: 0
  targetCPUUtilizationPercentage: "50"
---
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: b}
spec: {}
`),
    [
      "m.yaml:5:3 spec.maxReplicas: required field is missing",
      "m.yaml:6:16 spec.minReplicas: expected integer 1..1000, got number 0",
      `m.yaml:7:35 spec.targetCPUUtilizationPercentage: expected integer 1..1000, got "50"`,
      `m.yaml:9:13 apiVersion: expected "autoscaling/v1" or "autoscaling/v2" for kind HorizontalPodAutoscaler, got "autoscaling/v2beta2"`,
    ],
  );
});
