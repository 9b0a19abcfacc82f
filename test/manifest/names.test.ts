import assert from "node:assert/strict";
import { test } from "node:test";
import { formatPath } from "../../src/manifest/errors.ts";
import {
  defaultPullPolicy,
  dns1123LabelError,
  labelKeyError,
  labelValueError,
  portNameError,
} from "../../src/manifest/names.ts";
import { editDistance, suggest } from "../../src/manifest/suggest.ts";

test("dns1123LabelError() accepts lowercase labels of at most 63 characters", () => {
  for (const ok of ["web", "web-1", "a", "0abc", "a".repeat(63)])
    assert.equal(dns1123LabelError(ok), undefined, ok);
  for (const bad of ["Web", "web_1", "-web", "web-", "", "a.b", "a".repeat(64)]) {
    assert.notEqual(dns1123LabelError(bad), undefined, bad);
  }
});

test("labelKeyError() and labelValueError() follow Kubernetes qualified names", () => {
  for (const ok of ["app", "app.kubernetes.io/name", "example.com/Tier_2", "a-b.c_d"]) {
    assert.equal(labelKeyError(ok), undefined, ok);
  }
  for (const bad of ["", "/name", "a/b/c", "Example.com/x", "-app", "app-", `${"a".repeat(64)}`]) {
    assert.notEqual(labelKeyError(bad), undefined, bad);
  }
  for (const ok of ["", "v1.2", "Web_App", "a".repeat(63)]) assert.equal(labelValueError(ok), undefined, ok);
  for (const bad of ["-x", "x-", "a b", "a".repeat(64)])
    assert.notEqual(labelValueError(bad), undefined, bad);
});

test("portNameError() accepts IANA service names only", () => {
  for (const ok of ["http", "metrics-1", "h2c"]) assert.equal(portNameError(ok), undefined, ok);
  for (const bad of ["80", "HTTP", "a--b", "-http", "http-metrics-port", ""]) {
    assert.notEqual(portNameError(bad), undefined, bad);
  }
});

test("defaultPullPolicy() is Always for latest or untagged images and IfNotPresent otherwise", () => {
  assert.equal(defaultPullPolicy("nginx"), "Always");
  assert.equal(defaultPullPolicy("nginx:latest"), "Always");
  assert.equal(defaultPullPolicy("localhost:5000/nginx"), "Always");
  assert.equal(defaultPullPolicy("localhost:5000/nginx:1.25"), "IfNotPresent");
  assert.equal(defaultPullPolicy("mk.local/busybox:1"), "IfNotPresent");
  assert.equal(defaultPullPolicy(`nginx@sha256:${"0".repeat(64)}`), "IfNotPresent");
});

test("suggest() finds a field within edit distance 2, and formatPath() quotes odd keys", () => {
  assert.equal(editDistance("imagePullPolicyy", "imagePullPolicy"), 1);
  assert.equal(editDistance("contianers", "containers"), 1); // a transposition counts once
  assert.equal(suggest("contianers", ["containers", "restartPolicy"]), "containers");
  assert.equal(suggest("Containers", ["containers"]), "containers");
  assert.equal(suggest("volumes", ["containers", "restartPolicy"]), undefined);
  assert.equal(
    formatPath(["spec", "template", "metadata", "labels", "app.kubernetes.io/name"]),
    `spec.template.metadata.labels["app.kubernetes.io/name"]`,
  );
  assert.equal(
    formatPath(["spec", "containers", 0, "ports", 1, "containerPort"]),
    "spec.containers[0].ports[1].containerPort",
  );
});
