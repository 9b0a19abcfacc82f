// manifestOf() is the inverse of the parser: every kind, printed and parsed again, gives back the
// same normalized object (what makes `mk get -o yaml | mk apply -f -` unchanged).
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { formatDurationMs, manifestOf } from "../../src/manifest/denormalize.ts";
import { objectBody } from "../../src/ops/apply.ts";
import { objectOf } from "./helpers.ts";

const DOCS: Record<string, string> = {
  "v1 Pod with probes, ports, env, resources and back-off annotations": `apiVersion: v1
kind: Pod
metadata:
  name: full
  labels: { app: web, tier: front }
  annotations: { mk/restart-backoff-initial: 2s, note: hi }
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 5
  nodeSelector: { disk: ssd }
  tolerations:
    - { key: dedicated, operator: Equal, value: db, effect: NoSchedule }
    - { operator: Exists, effect: NoExecute, tolerationSeconds: 30 }
  containers:
    - name: main
      image: mk.local/busybox:1
      command: [sh, -c]
      args: ["sleep 3600"]
      workingDir: /tmp
      env: [{ name: A, value: "1" }, { name: B }]
      ports: [{ name: http, containerPort: 8080, hostPort: 18080, protocol: TCP }, { containerPort: 53, protocol: UDP }]
      resources: { requests: { cpu: 0.1, memory: 1.5Gi }, limits: { cpu: "1", memory: 2G } }
      livenessProbe: { httpGet: { path: /healthz, port: http, httpHeaders: [{ name: X, value: y }] }, periodSeconds: 3 }
      readinessProbe: { tcpSocket: { port: 8080 }, successThreshold: 2 }
      startupProbe: { exec: { command: [cat, /tmp/ok] }, failureThreshold: 30 }
    - name: side
      image: mk.local/busybox:latest
      resources: { limits: { cpu: 250m } }
`,
  "mk/v1 Pod with restartBackoff and nodeName": `apiVersion: mk/v1
kind: Pod
metadata: { name: pinned }
spec:
  nodeName: n1
  restartBackoff: { initial: 1500ms, max: 2m, reset: 1h }
  containers: [{ name: c, image: mk.local/busybox:1, imagePullPolicy: Never }]
`,
  "apps/v1 Deployment with a rolling update": `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: { app: web } }
spec:
  replicas: 3
  minReadySeconds: 2
  selector: { matchLabels: { app: web } }
  strategy: { rollingUpdate: { maxSurge: 1 } }
  template:
    metadata: { labels: { app: web }, annotations: { mk/restart-backoff-max: 1m } }
    spec: { containers: [{ name: c, image: mk.local/busybox:1, ports: [{ containerPort: 80 }] }] }
`,
  "mk/v1 PodSet with Recreate": `apiVersion: mk/v1
kind: PodSet
metadata: { name: ps }
spec:
  selector: { matchLabels: { app: ps } }
  strategy: { type: Recreate }
  template:
    metadata: { labels: { app: ps } }
    spec: { restartBackoff: { max: 30s }, containers: [{ name: c, image: mk.local/busybox:1 }] }
`,
  "mk/v1 Node over ssh with taints": `apiVersion: mk/v1
kind: Node
metadata: { name: n1, labels: { zone: a } }
spec:
  docker: ssh://root@10.0.0.5:2222
  identityFile: /root/.ssh/id
  socketPath: /run/docker.sock
  unschedulable: true
  taints: [{ key: dedicated, value: db, effect: NoSchedule }, { key: gpu, effect: PreferNoSchedule }]
`,
  "mk/v1 Autoscaler": `apiVersion: mk/v1
kind: Autoscaler
metadata: { name: web }
spec: { target: { kind: Deployment, name: web }, maxReplicas: 5, targetCPUUtilizationPercentage: 50 }
`,
  "autoscaling/v2 HorizontalPodAutoscaler with two metrics and behavior": `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 2
  maxReplicas: 9
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: AverageValue, averageValue: 250m } }
    - type: Resource
      resource: { name: memory, target: { type: AverageValue, averageValue: 1536Mi } }
  behavior:
    scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: Min, policies: [{ type: Pods, value: 1, periodSeconds: 30 }] }
`,
  "autoscaling/v1 HorizontalPodAutoscaler": `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec: { scaleTargetRef: { kind: Deployment, name: web }, maxReplicas: 4, targetCPUUtilizationPercentage: 70 }
`,
};

for (const [what, yaml] of Object.entries(DOCS)) {
  test(`manifestOf() prints a document that parses back to the same object: ${what}`, () => {
    const first = objectOf(yaml);
    const printed = manifestOf(objectBody(first), first.source.apiVersion);
    // What `get -o yaml` adds on top is ignored by the parser: server-set metadata and status.
    const withServerFields = {
      ...printed,
      metadata: {
        ...(printed.metadata as object),
        namespace: "default",
        uid: "0b6c5a4e-0000-4000-8000-000000000000",
        creationTimestamp: "2026-01-01T00:00:00.000Z",
        generation: 3,
        resourceVersion: "12",
      },
      status: { phase: "Running", anything: [1, 2] },
    };
    const again = objectOf(stringify(withServerFields));
    assert.equal(again.source.apiVersion, first.source.apiVersion);
    assert.deepEqual(objectBody(again), objectBody(first));
  });
}

test("manifestOf() spells a PodSet applied as apps/v1 as a Deployment, with Kubernetes quantities", () => {
  const m = manifestOf(
    objectBody(objectOf(DOCS["v1 Pod with probes, ports, env, resources and back-off annotations"] ?? "")),
    "v1",
  );
  const c = (m.spec as { containers: { resources: unknown }[] }).containers[0];
  assert.deepEqual(c?.resources, {
    requests: { cpu: "100m", memory: "1536Mi" },
    limits: { cpu: "1", memory: "2G" },
  });
  const d = manifestOf(
    objectBody(objectOf(DOCS["apps/v1 Deployment with a rolling update"] ?? "")),
    "apps/v1",
  );
  assert.equal(d.kind, "Deployment");
  assert.deepEqual((d.spec as { strategy: unknown }).strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" },
  });
});

test("formatDurationMs() uses the largest exact unit", () => {
  assert.deepEqual([0, 1500, 2000, 120_000, 3_600_000, 90_000].map(formatDurationMs), [
    "0s",
    "1500ms",
    "2s",
    "2m",
    "1h",
    "90s",
  ]);
});
