// Manifest fuzzing (fast-check): 10,000 inputs — random text, generated manifest-shaped YAML, and
// mutations of real Kubernetes manifests — through the manifest pipeline. Properties: it never
// throws, every issue names file:line:column (inside the text) and, when it is about a field, the
// field path; no message carries a stack trace; and an apply that fails writes nothing.
// Seeded: the seed is printed; MK_FUZZ_SEED=<n> reruns exactly that sequence.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import YAML from "yaml";
import { LocalApi } from "../../src/api/local.ts";
import { MkError } from "../../src/lib/errors.ts";
import { formatIssue, type ManifestIssue } from "../../src/manifest/errors.ts";
import { parseSources } from "../../src/manifest/sources.ts";
import { Store } from "../../src/store/store.ts";

const SEED = Number(process.env.MK_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FILE = "fuzz/in.yaml";
/** Per generator; with the mutations below, 10,000 inputs in all. */
const RUNS = { text: 1500, generated: 3500, mutated: 5000 };
const tried = { inputs: 0, valid: 0, invalid: 0, applied: 0 };

// Real manifests as people write them: the Kubernetes docs' examples, `kubectl create --dry-run`
// output, and an exported object with status and managed fields.
const CORPUS = [
  `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
`,
  `apiVersion: v1
kind: Pod
metadata:
  name: liveness-http
  labels:
    test: liveness
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args:
    - liveness
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
        httpHeaders:
        - name: Custom-Header
          value: Awesome
      initialDelaySeconds: 3
      periodSeconds: 3
    readinessProbe:
      tcpSocket:
        port: 8080
      periodSeconds: 10
`,
  `apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: mk.local/busybox:1
        name: busybox
        command: ["sh", "-c", "httpd -f -p 8080"]
        env:
        - name: MODE
          value: "production"
        - name: WORKERS
          value: "4"
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
          limits:
            cpu: "1"
            memory: 128Mi
      restartPolicy: Always
      terminationGracePeriodSeconds: 5
      tolerations:
      - key: dedicated
        operator: Equal
        value: web
        effect: NoSchedule
      nodeSelector:
        disktype: ssd
status: {}
`,
  `apiVersion: v1
kind: Pod
metadata:
  name: two
  annotations:
    mk/at-most-one: "true"
spec:
  restartPolicy: OnFailure
  containers:
  - name: main
    image: mk.local/busybox:1
    command: ["sleep", "3600"]
    ports:
    - name: http
      containerPort: 80
      hostPort: 8080
      protocol: TCP
    startupProbe:
      exec:
        command: ["cat", "/tmp/ready"]
      failureThreshold: 30
      periodSeconds: 1
  - name: side
    image: mk.local/busybox:1
    command: ["sleep", "3600"]
---
apiVersion: mk/v1
kind: PodSet
metadata:
  name: workers
spec:
  replicas: 4
  template:
    metadata:
      labels: { app: workers }
    spec:
      containers:
        - name: w
          image: mk.local/busybox:1
          command: ["sleep", "3600"]
`,
  `apiVersion: mk/v1
kind: Node
metadata:
  name: node-b
  labels:
    zone: b
spec:
  docker: ssh://root@10.231.0.2
  identityFile: /root/.ssh/id_ed25519
  taints:
  - key: dedicated
    value: batch
    effect: NoExecute
`,
];

/** Checks one input; returns the issues. Never lets an exception escape unexplained. */
function check(text: string): ManifestIssue[] {
  tried.inputs++;
  let result: ReturnType<typeof parseSources>;
  try {
    result = parseSources([{ file: FILE, text }]);
  } catch (err) {
    throw new Error(`parseSources threw on ${JSON.stringify(text.slice(0, 300))}: ${(err as Error).stack}`);
  }
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const issue of result.issues) {
    const shown = formatIssue(issue);
    assert.equal(issue.file, FILE, shown);
    assert.ok(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lines + 1, `line: ${shown}`);
    assert.ok(Number.isInteger(issue.column) && issue.column >= 1, `column: ${shown}`);
    assert.equal(typeof issue.path, "string");
    assert.ok(issue.message.length > 0 && issue.message.length < 2000, `message: ${shown}`);
    assert.doesNotMatch(
      issue.message,
      /\n\s+at |TypeError|ReferenceError|RangeError|undefined is not|Cannot read prop/,
      shown,
    );
  }
  if (result.issues.length > 0) {
    tried.invalid++;
    assert.equal(result.objects.length, 0, "no objects when there are issues");
  } else tried.valid++;
  return result.issues;
}

const names = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const KEYS = [
  "apiVersion",
  "kind",
  "metadata",
  "name",
  "labels",
  "annotations",
  "spec",
  "replicas",
  "selector",
  "matchLabels",
  "template",
  "containers",
  "image",
  "command",
  "args",
  "env",
  "value",
  "ports",
  "containerPort",
  "hostPort",
  "protocol",
  "resources",
  "requests",
  "limits",
  "cpu",
  "memory",
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "httpGet",
  "tcpSocket",
  "exec",
  "path",
  "port",
  "periodSeconds",
  "timeoutSeconds",
  "failureThreshold",
  "restartPolicy",
  "nodeSelector",
  "tolerations",
  "taints",
  "key",
  "effect",
  "operator",
  "docker",
  "identityFile",
  "terminationGracePeriodSeconds",
  "strategy",
  "type",
  "nodeName",
  "status",
  "unknownField",
];
const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer({ min: -1e6, max: 1e12 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("100m", "1Gi", "0.5", "-1", "1e3", "Always", "TCP", "NoSchedule", "", "~", "yes", "0x1F"),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie("tree"), {
      maxKeys: 6,
    }),
  ),
}));
const manifestShaped = fc.record(
  {
    apiVersion: fc.oneof(fc.constantFrom("v1", "apps/v1", "mk/v1", "batch/v1"), scalar),
    kind: fc.oneof(fc.constantFrom("Pod", "Deployment", "PodSet", "Node", "Autoscaler", "Service"), scalar),
    metadata: fc.oneof(
      fc.record({ name: fc.oneof(names, scalar), labels: tree }, { requiredKeys: [] }),
      tree,
    ),
    spec: tree,
  },
  { requiredKeys: [] },
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths to every node of a parsed document. */
function pathsOf(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) for (const [i, x] of v.entries()) out.push(...pathsOf(x, [...at, i]));
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}

function setAt(
  root: Json,
  path: (string | number)[],
  f: (parent: Json[] | Record<string, Json>, key: string | number) => void,
): Json {
  const copy = structuredClone(root);
  if (path.length === 0) return copy;
  let cur = copy as Json;
  for (const k of path.slice(0, -1)) cur = (cur as Record<string, Json>)[k as string] as Json;
  f(cur as Record<string, Json>, path.at(-1) as string | number);
  return copy;
}

const mutation = fc.record({
  doc: fc.nat(),
  node: fc.nat(),
  op: fc.constantFrom(
    "replace",
    "delete",
    "rename",
    "wrap",
    "text-insert",
    "text-cut",
    "indent",
    "duplicate",
  ),
  value: tree,
  key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 10 })),
  pos: fc.nat(),
  junk: fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom(":", "- ", "{", "]", "&a", "*a", "!!binary", "\t", "'", '"', "#", "---\n", "? "),
  ),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, m: Mutation): string {
  if (m.op === "text-insert") {
    const i = m.pos % (text.length + 1);
    return text.slice(0, i) + m.junk + text.slice(i);
  }
  if (m.op === "text-cut") return text.slice(0, m.pos % (text.length + 1));
  if (m.op === "indent") {
    const lines = text.split("\n");
    const i = m.pos % lines.length;
    lines[i] = (m.pos % 2 ? " " : "") + (lines[i] ?? "").replace(/^ /, m.pos % 3 ? "" : "  ");
    return lines.join("\n");
  }
  if (m.op === "duplicate") return `${text}---\n${text}`;
  // An earlier text mutation may have left something the structure cannot be read from: keep it.
  const parsed = YAML.parseAllDocuments(text, { logLevel: "silent" });
  if (!Array.isArray(parsed) || parsed.some((d) => d.errors.length > 0)) return text;
  let docs: Json[];
  try {
    docs = parsed.map((d) => d.toJS({ maxAliasCount: 100 }) as Json);
  } catch {
    return text;
  }
  const di = m.doc % docs.length;
  const doc = docs[di] ?? null;
  const paths = pathsOf(doc).slice(1);
  if (paths.length === 0) return text;
  const path = paths[m.node % paths.length] ?? [];
  docs[di] = setAt(doc, path, (parent, key) => {
    if (Array.isArray(parent)) {
      const i = key as number;
      if (m.op === "delete") parent.splice(i, 1);
      else if (m.op === "wrap") parent[i] = [parent[i] as Json];
      else parent[i] = m.value as Json;
      return;
    }
    const k = key as string;
    if (m.op === "delete") delete parent[k];
    else if (m.op === "rename") {
      parent[m.key] = parent[k] as Json;
      if (m.key !== k) delete parent[k];
    } else if (m.op === "wrap") parent[k] = { [m.key]: parent[k] as Json };
    else parent[k] = m.value as Json;
  });
  return docs.map((d) => YAML.stringify(d, { logLevel: "silent" })).join("---\n");
}

test(`manifest fuzz (seed ${SEED}): random text never crashes the parser`, () => {
  console.log(`manifest fuzz seed ${SEED} (rerun with MK_FUZZ_SEED=${SEED})`);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 400 }),
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.stringMatching(/^[a-z:\- \n{}[\]'"#&*!|>0-9]{0,300}$/),
      ),
      (text) => {
        check(text);
      },
    ),
    { seed: SEED, numRuns: RUNS.text },
  );
});

test(`manifest fuzz (seed ${SEED}): generated manifest-shaped documents get located issues`, () => {
  fc.assert(
    fc.property(fc.array(manifestShaped, { minLength: 1, maxLength: 3 }), (docs) => {
      const text = docs.map((d) => YAML.stringify(d)).join("---\n");
      const issues = check(text);
      // A document that is a mapping with fields gets issues about fields, not just "bad file".
      if (issues.length > 0 && docs.some((d) => d.spec !== undefined && d.kind === "Pod"))
        assert.ok(
          issues.some((i) => i.path !== ""),
          issues.map(formatIssue).join("\n"),
        );
    }),
    { seed: SEED + 1, numRuns: RUNS.generated },
  );
});

test(`manifest fuzz (seed ${SEED}): mutated real Kubernetes manifests never crash, and a failed apply writes nothing`, async () => {
  const store = Store.open(":memory:");
  const api = new LocalApi(store);
  const fingerprint = () =>
    JSON.stringify(
      store.sqlite
        .prepare(
          "select (select count(*) from objects) o, (select count(*) from pods) p, (select coalesce(max(seq),0) from journal) j, (select count(*) from events) e",
        )
        .get(),
    );
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...CORPUS),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      async (base, muts) => {
        let text = base;
        for (const m of muts) text = mutate(text, m);
        const issues = check(text);
        if (issues.length > 0 && muts.every((m) => ["replace", "delete", "rename", "wrap"].includes(m.op)))
          assert.ok(
            issues.some((i) => i.path !== "") ||
              issues.every((i) => /document|file|YAML|kind|apiVersion/i.test(i.message)),
            `a field mutation is reported at its field:\n${issues.map(formatIssue).join("\n")}`,
          );
        // Every 10th input goes through a real apply on a real state: when it fails, nothing changed.
        if (n++ % 10 !== 0) return;
        const before = fingerprint();
        try {
          await api.apply([{ file: FILE, text }], { dryRun: false });
          tried.applied++;
        } catch (err) {
          assert.ok(
            err instanceof MkError,
            `apply failed with a plain ${(err as Error).name}: ${(err as Error).stack}`,
          );
          assert.equal(fingerprint(), before, "a failed apply wrote nothing");
        }
      },
    ),
    { seed: SEED + 2, numRuns: RUNS.mutated },
  );
  store.close();
  console.log(
    `manifest fuzz: ${tried.inputs} inputs, ${tried.invalid} refused with located issues, ${tried.valid} valid, ${tried.applied} applied`,
  );
  assert.ok(tried.inputs >= 10_000);
});
