// The mk/v1 kinds (Node, Autoscaler, PodSet, Pod) and the restart back-off extension.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { AutoscalerObject, NodeObject, PodObject, PodSetObject } from "../../src/manifest/types.ts";
import { issuesOf, objectOf } from "./helpers.ts";

test("parseManifestText() reads mk/v1 Nodes over a unix socket and over ssh", () => {
  const local = objectOf(`apiVersion: mk/v1
kind: Node
metadata:
  name: local
  labels: {zone: a}
spec:
  docker: unix:///var/run/docker.sock
`) as NodeObject;
  assert.deepEqual(local.spec, { docker: "unix:///var/run/docker.sock", taints: [], unschedulable: false });
  assert.deepEqual(local.metadata.labels, { zone: "a" });
  const remote = objectOf(`apiVersion: mk/v1
kind: Node
metadata: {name: worker-1}
spec:
  docker: ssh://mk@10.0.0.5:2222
  identityFile: ~/.ssh/mk_ed25519
  socketPath: /run/docker.sock
  unschedulable: true
  taints:
  - {key: dedicated, value: gpu, effect: NoSchedule}
  - {key: example.com/maintenance, effect: NoExecute}
`) as NodeObject;
  assert.deepEqual(remote.spec, {
    docker: "ssh://mk@10.0.0.5:2222",
    identityFile: "~/.ssh/mk_ed25519",
    socketPath: "/run/docker.sock",
    unschedulable: true,
    taints: [
      { key: "dedicated", value: "gpu", effect: "NoSchedule" },
      { key: "example.com/maintenance", effect: "NoExecute" },
    ],
  });
});

test("parseManifestText() checks Node endpoints, ssh-only fields and taints", () => {
  const node = (spec: string) => `apiVersion: mk/v1\nkind: Node\nmetadata: {name: n}\nspec:\n${spec}`;
  assert.deepEqual(issuesOf(node("  docker: tcp://10.0.0.5:2375\n")), [
    `m.yaml:5:11 spec.docker: expected "unix:///path/to/docker.sock" or "ssh://user@host[:port]", got "tcp://10.0.0.5:2375"`,
  ]);
  assert.deepEqual(issuesOf(node("  docker: ssh://mk@host:70000\n")), [
    `m.yaml:5:11 spec.docker: expected an ssh port 1..65535, got "ssh://mk@host:70000"`,
  ]);
  assert.deepEqual(issuesOf(node("  docker: ssh://host\n")).length, 1); // a user is required
  assert.deepEqual(
    issuesOf(
      node(`  docker: unix:///var/run/docker.sock
  identityFile: /root/.ssh/id
  socketPath: run/docker.sock
  taints:
  - {key: a, effect: NoSchedule}
  - {key: a, value: b, effect: NoSchedule}
  - {key: b}
`),
    ),
    [
      `m.yaml:7:15 spec.socketPath: expected an absolute path, got "run/docker.sock"`,
      "m.yaml:11:5 spec.taints[2].effect: required field is missing",
    ],
  );
  assert.deepEqual(
    issuesOf(
      node(`  docker: unix:///var/run/docker.sock
  identityFile: /root/.ssh/id
  taints:
  - {key: a, effect: NoSchedule}
  - {key: a, value: b, effect: NoSchedule}
`),
    ),
    [
      "m.yaml:6:17 spec.identityFile: expected only with an ssh:// docker endpoint",
      "m.yaml:9:5 spec.taints[1]: duplicate taint a:NoSchedule",
    ],
  );
});

test("parseManifestText() reads an Autoscaler, defaulting minReplicas and the cpu target", () => {
  const autoscaler = objectOf(`apiVersion: mk/v1
kind: Autoscaler
metadata: {name: web}
spec:
  target: {kind: Deployment, name: web}
  maxReplicas: 5
`) as AutoscalerObject;
  assert.deepEqual(autoscaler.spec, {
    target: { kind: "PodSet", name: "web" },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [{ type: "Resource", resource: "cpu", target: { type: "Utilization", averageUtilization: 80 } }],
    behavior: {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [
          { type: "Pods", value: 4, periodSeconds: 15 },
          { type: "Percent", value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: "Max",
        policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
      },
    },
  });
  assert.deepEqual(
    issuesOf(`apiVersion: mk/v1
kind: Autoscaler
metadata: {name: web}
spec:
  target: {kind: StatefulSet, name: web}
  minReplicas: 0
---
apiVersion: mk/v1
kind: Autoscaler
metadata: {name: api}
spec:
  target: {kind: PodSet, name: api}
  minReplicas: 4
  maxReplicas: 2
`),
    [
      "m.yaml:5:3 spec.maxReplicas: required field is missing",
      `m.yaml:5:18 spec.target.kind: expected one of "PodSet", "Deployment", got "StatefulSet"`,
      "m.yaml:6:16 spec.minReplicas: expected integer 1..1000, got number 0",
      "m.yaml:14:16 spec.maxReplicas: expected at least minReplicas (4), got 2",
    ],
  );
});

test("parseManifestText() reads an mk/v1 PodSet with replicas 0 and a restartBackoff in its template", () => {
  const podSet = objectOf(`apiVersion: mk/v1
kind: PodSet
metadata: {name: workers}
spec:
  replicas: 0
  selector: {matchLabels: {app: workers}}
  template:
    metadata: {labels: {app: workers}}
    spec:
      restartBackoff: {initial: 500ms, max: 1m30s, reset: 10m}
      containers: [{name: w, image: "mk.local/busybox:1", command: [sleep, "3600"]}]
`) as PodSetObject;
  assert.equal(podSet.spec.replicas, 0);
  assert.deepEqual(podSet.spec.template.spec.restartBackoff, {
    initialMs: 500,
    maxMs: 90_000,
    resetMs: 600_000,
  });
  assert.deepEqual(
    issuesOf(`apiVersion: mk/v1
kind: PodSet
metadata: {name: workers}
spec:
  replicas: 1001
  selector: {matchLabels: {app: workers}}
  template:
    metadata: {labels: {app: workers}}
    spec: {containers: [{name: w, image: x}]}
`),
    ["m.yaml:5:13 spec.replicas: expected integer 0..1000, got number 1001"],
  );
});

test("parseManifestText() merges restart back-off annotations with spec.restartBackoff, the spec winning", () => {
  const pod = objectOf(`apiVersion: mk/v1
kind: Pod
metadata:
  name: p
  annotations:
    mk/restart-backoff-initial: 2s
    mk/restart-backoff-max: 5m
spec:
  restartBackoff: {initial: 1s}
  containers: [{name: c, image: x}]
`) as PodObject;
  assert.deepEqual(pod.spec.restartBackoff, { initialMs: 1000, maxMs: 300_000 });
  const deployment = objectOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {mk/restart-backoff-reset: 1h}
    spec: {containers: [{name: c, image: x}]}
`) as PodSetObject;
  assert.deepEqual(deployment.spec.template.spec.restartBackoff, { resetMs: 3_600_000 });
  assert.equal(
    (
      objectOf(
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n`,
      ) as PodObject
    ).spec.restartBackoff,
    undefined,
  );
});

test("parseManifestText() checks restart back-off durations, their order and where they are written", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    mk/restart-backoff-initial: soon
    mk/restart-backoff-maxx: 1m
spec:
  restartBackoff: {initial: 1s}
  containers: [{name: c, image: x}]
`),
    [
      `m.yaml:6:33 metadata.annotations["mk/restart-backoff-initial"]: expected duration like "500ms", "10s" or "1m30s", got "soon"`,
      `m.yaml:7:5 metadata.annotations["mk/restart-backoff-maxx"]: unknown mk annotation "mk/restart-backoff-maxx"; did you mean "mk/restart-backoff-max"?`,
      "m.yaml:9:3 spec.restartBackoff: restartBackoff is an mk/v1 field; with this apiVersion use the mk/restart-backoff-* annotations",
    ],
  );
  assert.deepEqual(
    issuesOf(`apiVersion: mk/v1
kind: Pod
metadata:
  name: p
  annotations: {mk/restart-backoff-max: 30s}
spec:
  restartBackoff: {initial: 1m}
  containers: [{name: c, image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {mk/restart-backoff-initial: 1s}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {mk/restart-backoff-max: 25h}}
    spec:
      restartBackoff: {reset: 0s}
      containers: [{name: c, image: x}]
`),
    [
      "m.yaml:7:29 spec.restartBackoff.initial: expected an initial back-off of at most the max back-off (30000ms), got 60000ms",
      `m.yaml:14:17 metadata.annotations["mk/restart-backoff-initial"]: expected on a Pod or in spec.template.metadata.annotations: it applies to pods only`,
      `m.yaml:18:74 spec.template.metadata.annotations["mk/restart-backoff-max"]: expected a duration of at most 24h, got "25h"`,
      "m.yaml:20:7 spec.template.spec.restartBackoff: restartBackoff is an mk/v1 field; with this apiVersion use the mk/restart-backoff-* annotations",
    ],
  );
  assert.deepEqual(
    issuesOf(`apiVersion: mk/v1
kind: Pod
metadata: {name: p}
spec:
  restartBackoff: {reset: 0s, max: 90}
  containers: [{name: c, image: x}]
`),
    [
      `m.yaml:5:27 spec.restartBackoff.reset: expected a duration above 0, got "0s"`,
      `m.yaml:5:36 spec.restartBackoff.max: expected duration like "500ms", "10s" or "1m30s", got number 90`,
    ],
  );
});

test("parseManifestText() checks Deployment strategies like Kubernetes", () => {
  const deployment = (strategy: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  strategy: ${strategy}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
`;
  assert.deepEqual(issuesOf(deployment("{type: Recreate, rollingUpdate: {maxSurge: 1}}")), [
    "m.yaml:6:45 spec.strategy.rollingUpdate: expected no rollingUpdate when type is Recreate",
  ]);
  assert.deepEqual(issuesOf(deployment("{rollingUpdate: {maxSurge: 0, maxUnavailable: 0%}}")), [
    "m.yaml:6:59 spec.strategy.rollingUpdate.maxUnavailable: expected maxUnavailable above 0 when maxSurge is 0",
  ]);
  assert.deepEqual(
    issuesOf(deployment(`{type: BlueGreen, rollingUpdate: {maxSurge: "5", maxUnavailable: 150%}}`)),
    [
      `m.yaml:6:20 spec.strategy.type: expected one of "Recreate", "RollingUpdate", got "BlueGreen"`,
      `m.yaml:6:57 spec.strategy.rollingUpdate.maxSurge: expected integer or percentage like "25%", got "5"`,
      `m.yaml:6:78 spec.strategy.rollingUpdate.maxUnavailable: expected a percentage of at most 100%, got "150%"`,
    ],
  );
});
