// Malformed manifests: every issue names file:line:column, the field path and what was expected.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIssue, parseManifestText } from "../../src/manifest/parse.ts";
import { issuesOf, objectsOf, podWith } from "./helpers.ts";

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: mk.local/busybox:1
          ports:
            - containerPort: eighty
`;

test("formatIssue() prints file:line:column, the field path and the message", () => {
  const { issues, objects } = parseManifestText(WEB, "manifests/web.yaml");
  assert.deepEqual(objects, []);
  assert.deepEqual(issues, [
    {
      file: "manifests/web.yaml",
      line: 18,
      column: 30,
      path: "spec.template.spec.containers[0].ports[0].containerPort",
      message: `expected integer 1..65535, got "eighty"`,
    },
  ]);
  assert.equal(
    formatIssue(issues[0] ?? assert.fail()),
    `manifests/web.yaml:18:30 spec.template.spec.containers[0].ports[0].containerPort: expected integer 1..65535, got "eighty"`,
  );
});

test("parseManifestText() reports a missing field at its parent mapping", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    ports: []
`),
    ["m.yaml:7:5 spec.containers[0].image: required field is missing"],
  );
  assert.deepEqual(issuesOf("apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: x}]}\n"), [
    "m.yaml:1:1 metadata: required field is missing",
  ]);
});

test("parseManifestText() reports unknown fields at their key, with a did-you-mean hint", () => {
  assert.deepEqual(
    issuesOf(
      podWith(`    imagePullPolicyy: Always
    foo: 1
`),
    ),
    [
      `m.yaml:9:5 spec.containers[0].imagePullPolicyy: unknown field "imagePullPolicyy"; did you mean "imagePullPolicy"?`,
      `m.yaml:10:5 spec.containers[0].foo: unknown field "foo"`,
    ],
  );
  assert.deepEqual(issuesOf(podWith("", "  restartPolicyy: Never\n")), [
    `m.yaml:9:3 spec.restartPolicyy: unknown field "restartPolicyy"; did you mean "restartPolicy"?`,
  ]);
});

test("parseManifestText() refuses Kubernetes fields that would change behaviour, by name", () => {
  assert.deepEqual(
    issuesOf(
      podWith(
        `    volumeMounts:
    - {name: data, mountPath: /data}
    securityContext: {privileged: true}
    env:
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: s, key: k}}
`,
        `  volumes:
  - {name: data, emptyDir: {}}
  hostNetwork: true
  initContainers: [{name: init, image: x}]
  affinity: {nodeAffinity: {}}
`,
      ),
    ),
    [
      "m.yaml:9:5 spec.containers[0].volumeMounts: volumeMounts is not supported by mk",
      "m.yaml:11:5 spec.containers[0].securityContext: securityContext is not supported by mk",
      "m.yaml:14:7 spec.containers[0].env[0].valueFrom: env valueFrom is not supported by mk",
      "m.yaml:15:3 spec.volumes: volumes is not supported by mk",
      "m.yaml:17:3 spec.hostNetwork: hostNetwork is not supported by mk",
      "m.yaml:18:3 spec.initContainers: initContainers is not supported by mk",
      "m.yaml:19:3 spec.affinity: affinity is not supported by mk",
    ],
  );
});

test("parseManifestText() accepts unsupported fields left empty, as generated YAML has them", () => {
  assert.deepEqual(
    issuesOf(podWith("    volumeMounts: []\n    stdin: false\n", "  volumes: []\n  securityContext: {}\n")),
    [],
  );
});

test("parseManifestText() refuses kinds mk does not run, listing the supported ones", () => {
  const supported =
    "supported: Pod (mk/v1, v1), PodSet (mk/v1), Deployment (apps/v1), Node (mk/v1), Autoscaler (mk/v1), HorizontalPodAutoscaler (autoscaling/v2, autoscaling/v1)";
  assert.deepEqual(
    issuesOf(`apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: StatefulSet
---
apiVersion: apps/v1
kind: ReplicaSet
---
apiVersion: v1
kind: ConfigMap
`),
    [
      `m.yaml:2:7 kind: kind Service (v1) is not supported by mk; ${supported}`,
      `m.yaml:6:7 kind: kind StatefulSet (apps/v1) is not supported by mk; ${supported}`,
      `m.yaml:9:7 kind: kind ReplicaSet (apps/v1) is not supported by mk; ${supported}`,
      `m.yaml:12:7 kind: kind ConfigMap (v1) is not supported by mk; ${supported}`,
    ],
  );
});

test("parseManifestText() reads a v1 List as its items, naming an item's issues by their path", () => {
  const list = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: { name: a }
    spec: { containers: [{ name: c, image: busybox }] }
  - apiVersion: v1
    kind: Pod
    metadata: { name: b }
    spec: { containers: [{ name: c, image: busybox, imagePullPolicy: Sometimes }] }
  - apiVersion: v1
    kind: Service
`;
  assert.deepEqual(issuesOf(list), [
    'm.yaml:11:70 items[1].spec.containers[0].imagePullPolicy: expected one of "Always", "IfNotPresent", "Never", got "Sometimes"',
    `m.yaml:13:11 items[2].kind: kind Service (v1) is not supported by mk; supported: Pod (mk/v1, v1), PodSet (mk/v1), Deployment (apps/v1), Node (mk/v1), Autoscaler (mk/v1), HorizontalPodAutoscaler (autoscaling/v2, autoscaling/v1)`,
  ]);
  const ok = objectsOf(list.split("  - apiVersion: v1\n    kind: Pod\n    metadata: { name: b }")[0] ?? "");
  assert.deepEqual(
    ok.map((o) => [o.kind, o.metadata.name, o.source.line]),
    [["Pod", "a", 4]],
  );
});

test("parseManifestText() points at apiVersion when the kind exists under another one", () => {
  assert.deepEqual(
    issuesOf(
      "apiVersion: extensions/v1beta1\nkind: Deployment\n---\nkind: Pod\n---\napiVersion: 1\nkind: Pod\n",
    ),
    [
      `m.yaml:1:13 apiVersion: expected "apps/v1" for kind Deployment, got "extensions/v1beta1"`,
      "m.yaml:4:1 apiVersion: required field is missing",
      "m.yaml:6:13 apiVersion: expected string, got number 1",
    ],
  );
});

test("parseManifestText() requires a Deployment selector that matches the template labels", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
    matchLabels: {app: web, tier: front}
  template:
    metadata:
      labels:
        app: api
    spec: {containers: [{name: web, image: x}]}
`),
    [
      "m.yaml:10:9 spec.template.metadata.labels: expected labels matching spec.selector.matchLabels, missing app=web, tier=front",
    ],
  );
});

test("parseManifestText() refuses selector.matchExpressions and an empty matchLabels", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
    matchLabels: {}
    matchExpressions:
    - {key: app, operator: In, values: [web]}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: x}]}
`),
    [
      "m.yaml:6:18 spec.selector.matchLabels: expected at least one label, got an empty mapping",
      "m.yaml:7:5 spec.selector.matchExpressions: selector.matchExpressions is not supported by mk; use matchLabels",
    ],
  );
});

test("parseManifestText() validates names and limits PodSet names to 46 characters", () => {
  const long = "a".repeat(47);
  assert.deepEqual(
    issuesOf(`apiVersion: mk/v1
kind: PodSet
metadata: {name: ${long}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: Web_1, image: x}]}
`),
    [
      `m.yaml:3:18 metadata.name: expected at most 46 characters for a PodSet or Deployment, so that its pod names (<name>-<10-char hash>-<5-char suffix>) fit in 63, got "${long}" (47 characters)`,
      `m.yaml:8:32 spec.template.spec.containers[0].name: expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit), got "Web_1"`,
    ],
  );
});

test("parseManifestText() checks label keys and values like Kubernetes and refuses unquoted numbers", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    version: 5
    enabled: true
    example.com/tier: front
    Bad_Prefix/x: y
    ok: "-bad-"
  annotations:
    note: 5
spec: {containers: [{name: c, image: x}]}
`),
    [
      "m.yaml:6:14 metadata.labels.version: expected string, got number 5",
      "m.yaml:7:14 metadata.labels.enabled: expected string, got boolean true",
      `m.yaml:9:5 metadata.labels["Bad_Prefix/x"]: expected the prefix of a key "Bad_Prefix/x" to be a DNS-1123 subdomain (lowercase, like example.com)`,
      `m.yaml:10:9 metadata.labels.ok: expected a label value of at most 63 characters (letters, digits, '-', '_' and '.', starting and ending with a letter or digit), got "-bad-"`,
      "m.yaml:12:11 metadata.annotations.note: expected string, got number 5",
    ],
  );
});

test("parseManifestText() refuses unquoted numbers in command, args and env values", () => {
  assert.deepEqual(
    issuesOf(
      podWith(`    command: [sleep, 10]
    env:
    - {name: PORT, value: 8080}
`),
    ),
    [
      "m.yaml:9:22 spec.containers[0].command[1]: expected string, got number 10",
      "m.yaml:11:27 spec.containers[0].env[0].value: expected string, got number 8080",
    ],
  );
});

test("parseManifestText() checks ports: range, protocol, names and hostIP", () => {
  assert.deepEqual(
    issuesOf(
      podWith(`    ports:
    - {containerPort: 0}
    - {containerPort: 80, hostPort: 70000, protocol: SCTP}
    - {containerPort: "8080", name: HTTP_PORT, hostIP: not-an-ip}
    - {containerPort: 81, name: web}
    - {containerPort: 82, name: web}
`),
    ),
    [
      "m.yaml:10:23 spec.containers[0].ports[0].containerPort: expected integer 1..65535, got number 0",
      "m.yaml:11:37 spec.containers[0].ports[1].hostPort: expected integer 1..65535, got number 70000",
      "m.yaml:11:54 spec.containers[0].ports[1].protocol: protocol SCTP is not supported by mk; use TCP or UDP",
      `m.yaml:12:23 spec.containers[0].ports[2].containerPort: expected integer 1..65535, got "8080"`,
      `m.yaml:12:37 spec.containers[0].ports[2].name: expected a port name of at most 15 lowercase letters, digits and '-' with at least one letter, got "HTTP_PORT"`,
      `m.yaml:12:56 spec.containers[0].ports[2].hostIP: expected an IP address, got "not-an-ip"`,
    ],
  );
  assert.deepEqual(
    issuesOf(
      podWith(`    ports:
    - {containerPort: 81, name: web}
    - {containerPort: 82, name: web}
`),
    ),
    [`m.yaml:11:33 spec.containers[0].ports[1].name: duplicate port name "web", also used by ports[0]`],
  );
});

test("parseManifestText() checks resources: quantities, resource names and request <= limit", () => {
  assert.deepEqual(
    issuesOf(
      podWith(`    resources:
      requests: {cpu: 2, memory: 1Gi}
      limits:
        cpu: 500m
        memory: 128MB
        nvidia.com/gpu: 1
        ephemeral-storage: 1Gi
`),
    ),
    [
      `m.yaml:13:17 spec.containers[0].resources.limits.memory: expected memory quantity like "128Mi" or "1G", got "128MB"`,
      `m.yaml:14:9 spec.containers[0].resources.limits["nvidia.com/gpu"]: resource nvidia.com/gpu is not supported by mk; only cpu and memory`,
      "m.yaml:15:9 spec.containers[0].resources.limits.ephemeral-storage: resource ephemeral-storage is not supported by mk; only cpu and memory",
    ],
  );
  assert.deepEqual(
    issuesOf(
      podWith(`    resources:
      requests: {cpu: 2, memory: 1Gi}
      limits: {cpu: 500m, memory: 1Gi}
`),
    ),
    [
      "m.yaml:10:23 spec.containers[0].resources.requests.cpu: expected at most the cpu limit (500m), got 2000m",
    ],
  );
});

test("parseManifestText() checks probes: one handler, HTTP only, named ports, thresholds", () => {
  assert.deepEqual(
    issuesOf(
      podWith(`    ports: [{name: http, containerPort: 80}]
    livenessProbe:
      httpGet: {port: 80}
      exec: {command: ["true"]}
    readinessProbe:
      httpGet: {port: http, scheme: HTTPS}
      periodSeconds: 0
    startupProbe:
      exec: {command: [true]}
      successThreshold: 2
`),
    ),
    [
      "m.yaml:12:13 spec.containers[0].livenessProbe.exec: expected only one handler, and httpGet is already given",
      "m.yaml:14:37 spec.containers[0].readinessProbe.httpGet.scheme: HTTPS probes are not supported by mk; use HTTP",
      "m.yaml:15:22 spec.containers[0].readinessProbe.periodSeconds: expected integer 1..2147483, got number 0",
      "m.yaml:17:24 spec.containers[0].startupProbe.exec.command[0]: expected string, got boolean true",
      "m.yaml:18:25 spec.containers[0].startupProbe.successThreshold: expected 1 for a startup probe, like Kubernetes, got number 2",
    ],
  );
  assert.deepEqual(
    issuesOf(
      podWith(`    ports: [{name: http, containerPort: 80}]
    readinessProbe:
      tcpSocket: {port: metrics}
    livenessProbe:
      httpGet: {port: "8080"}
    startupProbe:
      initialDelaySeconds: 5
`),
    ),
    [
      `m.yaml:11:25 spec.containers[0].readinessProbe.tcpSocket.port: port "metrics" is not a named port of this container (named ports: "http")`,
      `m.yaml:13:23 spec.containers[0].livenessProbe.httpGet.port: expected a port name of at most 15 lowercase letters, digits and '-' with at least one letter, got "8080" (write 8080 without quotes for a port number)`,
      "m.yaml:15:7 spec.containers[0].startupProbe: expected one of httpGet, tcpSocket or exec",
    ],
  );
});

test("parseManifestText() requires restartPolicy Always in a Deployment template, like Kubernetes", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: job}
spec:
  selector: {matchLabels: {app: job}}
  template:
    metadata: {labels: {app: job}}
    spec:
      restartPolicy: Never
      containers: [{name: job, image: x}]
`),
    [
      `m.yaml:9:22 spec.template.spec.restartPolicy: expected Always in a pod template, like Kubernetes, got "Never"`,
    ],
  );
});

test("parseManifestText() checks tolerations like Kubernetes", () => {
  assert.deepEqual(
    issuesOf(
      podWith(
        "",
        `  tolerations:
  - {key: a, operator: Exists, value: b}
  - {operator: Equal, value: b}
  - {key: a, value: b, effect: NoSchedule, tolerationSeconds: 5}
  - {key: a, operator: Maybe}
`,
      ),
    ),
    [
      "m.yaml:10:39 spec.tolerations[0].value: expected no value when operator is Exists",
      "m.yaml:11:16 spec.tolerations[1].operator: expected operator Exists when key is empty",
      "m.yaml:12:63 spec.tolerations[2].tolerationSeconds: expected effect NoExecute with tolerationSeconds",
      `m.yaml:13:24 spec.tolerations[3].operator: expected one of "Equal", "Exists", got "Maybe"`,
    ],
  );
});

test("parseManifestText() reports every issue of every document in one pass, in line order", () => {
  const issues = issuesOf(`apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers: []
---
apiVersion: v1
kind: Pod
metadata: {name: b, labels: [x]}
spec:
  containers: [{name: c, image: "with space"}]
  restartPolicy: Sometimes
`);
  assert.deepEqual(issues, [
    "m.yaml:5:15 spec.containers: expected at least one container, got an empty list",
    "m.yaml:9:29 metadata.labels: expected mapping, got a list",
    `m.yaml:11:33 spec.containers[0].image: expected an image reference without spaces, got "with space"`,
    `m.yaml:12:18 spec.restartPolicy: expected one of "Always", "OnFailure", "Never", got "Sometimes"`,
  ]);
});

test("parseManifestText() reports a duplicate name at the second object, naming the first", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: mk/v1
kind: PodSet
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {containers: [{name: web, image: x}]}
`),
    [
      'm.yaml:13:9 metadata.name: duplicate PodSet "web": first defined at m.yaml:3:18 (a PodSet and a Deployment are both PodSets in mk)',
    ],
  );
});
