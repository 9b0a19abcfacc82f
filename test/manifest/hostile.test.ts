// Hostile and broken input is refused with a positioned issue, never expanded or executed.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIssue, parseManifestBytes } from "../../src/manifest/parse.ts";
import { issuesOf } from "./helpers.ts";

const POD = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: "mk.local/busybox:1"}]}
`;

test("parseManifestText() refuses a billion-laughs alias bomb without expanding it", () => {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    levels.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(", ")}]`,
    );
  }
  const started = Date.now();
  const issues = issuesOf(`${levels.join("\n")}\n`);
  assert.ok(Date.now() - started < 2000, "refused quickly");
  // Blamed on the first alias whose expansion alone passes the limit.
  assert.deepEqual(issues, ["m.yaml:6:8 document has more than 100000 nodes once aliases are expanded"]);
});

test("parseManifestText() refuses more than 100 aliases in one document", () => {
  const aliases = Array.from({ length: 101 }, () => "*l").join(", ");
  const issues = issuesOf(`labels: &l {app: web}\nmany: [${aliases}]\n`);
  assert.deepEqual(issues, ["m.yaml:2:408 document has more than 100 aliases"]);
});

test("parseManifestText() refuses aliases that point nowhere or into themselves", () => {
  assert.deepEqual(issuesOf("a: *nowhere\n"), ["m.yaml:1:4 alias *nowhere has no anchor &nowhere before it"]);
  assert.deepEqual(issuesOf("a: &loop\n  - *loop\n"), [
    "m.yaml:2:5 alias *loop refers to a node that contains it",
  ]);
});

test("parseManifestText() refuses documents nested deeper than 64 levels", () => {
  const deep = `${Array.from({ length: 70 }, (_, i) => `${" ".repeat(i * 2)}k${i}:`).join("\n")} x\n`;
  assert.deepEqual(issuesOf(deep), ["m.yaml:65:129 document is nested deeper than 64 levels"]);
  // Flow brackets nested far deeper than a stack allows are refused by the YAML parser itself.
  const issues = issuesOf("[".repeat(100_000));
  assert.equal(issues.length, 1);
  assert.match(issues[0] ?? "", /^m\.yaml:1:\d+ document is nested too deeply to parse \(limit 64 levels\)$/);
});

test("parseManifestText() refuses a file over 1 MiB and more than 1000 documents", () => {
  assert.deepEqual(issuesOf(`# ${"x".repeat(1024 * 1024)}\n`), [
    "m.yaml:1:1 file is larger than 1048576 bytes (1 MiB): 1048579 bytes",
  ]);
  const issues = issuesOf(Array(1001).fill("---\n# empty\n").join(""));
  assert.deepEqual(issues, ["m.yaml:2001:1 file has more than 1000 YAML documents"]);
});

test("parseManifestBytes() refuses NUL bytes and invalid UTF-8 with their position", () => {
  const issues = (bytes: Uint8Array) => parseManifestBytes(bytes, "bin.yaml").issues.map(formatIssue);
  assert.deepEqual(issues(Buffer.from("apiVersion: v1\nkind: P\0d\n")), [
    "bin.yaml:2:8 file is not UTF-8 text",
  ]);
  assert.deepEqual(
    issues(Buffer.concat([Buffer.from("a: é\nb: "), Buffer.from([0xc3, 0x28]), Buffer.from("\n")])),
    ["bin.yaml:2:4 file is not UTF-8 text"],
  );
  assert.deepEqual(issues(Buffer.from([0xed, 0xa0, 0x80])), ["bin.yaml:1:1 file is not UTF-8 text"]); // a surrogate
  assert.deepEqual(issues(Buffer.from([0xc0, 0xaf])), ["bin.yaml:1:1 file is not UTF-8 text"]); // overlong "/"
  assert.deepEqual(issues(Buffer.from(`\uFEFF${POD}`)), []); // a BOM is fine
  assert.deepEqual(issuesOf("a: \0\n"), ["m.yaml:1:4 file is not UTF-8 text"]);
  assert.deepEqual(issuesOf("a: \uD800\n"), ["m.yaml:1:4 file is not UTF-8 text"]);
});

test("parseManifestText() refuses YAML tags outside the core schema", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: v1
kind: Pod
metadata:
  name: !!binary cG9k
  labels: !custom {a: b}
  annotations:
    code: !!js/function "function () { return 1 }"
    plain: !!str 5
spec: {containers: [{name: c, image: x}]}
`),
    [
      "m.yaml:4:18 YAML tag !!binary is not allowed in a manifest",
      "m.yaml:5:19 YAML tag !custom is not allowed in a manifest",
      "m.yaml:7:25 YAML tag !!js/function is not allowed in a manifest",
    ],
  );
});

test("parseManifestText() reports duplicate keys at the second one, and still validates the rest", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: v1
kind: Pod
metadata:
  name: a
  name: b
spec:
  containers: [{name: c, image: x, name: d, ports: [{containerPort: 0}]}]
`),
    [
      `m.yaml:5:3 duplicate key "name"`,
      `m.yaml:7:36 duplicate key "name"`,
      "m.yaml:7:69 spec.containers[0].ports[0].containerPort: expected integer 1..65535, got number 0",
    ],
  );
});

test("parseManifestText() names a duplicate key that follows a key with an empty value", () => {
  assert.deepEqual(
    issuesOf("apiVersion: v1\nkind: Pod\nmetadata:\nmetadata: {name: x}\nspec: {}\n").slice(0, 1),
    [`m.yaml:4:1 duplicate key "metadata"`],
  );
});

test("parseManifestText() refuses a document that is not a mapping", () => {
  assert.deepEqual(issuesOf(`- ${POD.replaceAll("\n", "\n  ")}`).slice(0, 1), [
    "m.yaml:1:1 expected a mapping with apiVersion and kind, got a list",
  ]);
  assert.deepEqual(issuesOf("---\njust some text\n---\n42\n"), [
    `m.yaml:2:1 expected a mapping with apiVersion and kind, got "just some text"`,
    "m.yaml:4:1 expected a mapping with apiVersion and kind, got number 42",
  ]);
});

test("parseManifestText() reads YAML 1.2: yes, no and on are strings, so a yes is not a boolean", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: mk/v1
kind: Node
metadata:
  name: n1
  labels: {ssd: yes, gpu: no, power: on}
spec:
  docker: unix:///var/run/docker.sock
  unschedulable: yes
`),
    [`m.yaml:8:18 spec.unschedulable: expected boolean (true or false), got "yes"`],
  );
});

test("parseManifestText() reports a YAML syntax error once, and still checks the other documents", () => {
  assert.deepEqual(
    issuesOf(`apiVersion: v1
kind: Pod
metadata:
  name: a
 labels: {}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {containers: [{name: c, image: x, ports: [{containerPort: -1}]}]}
---
? [complex, key]
: value
`),
    [
      "m.yaml:5:1 invalid YAML: All mapping items must start at the same column",
      "m.yaml:10:65 spec.containers[0].ports[0].containerPort: expected integer 1..65535, got number -1",
      "m.yaml:12:3 invalid YAML: With stringKeys, all keys must be strings",
    ],
  );
});
