// Shared helpers of the manifest tests.

import assert from "node:assert/strict";
import { formatIssue, parseManifestText } from "../../src/manifest/parse.ts";
import type { MkObject } from "../../src/manifest/types.ts";

/** Formatted issues of one YAML text, as the CLI prints them. */
export function issuesOf(yaml: string, file = "m.yaml"): string[] {
  return parseManifestText(yaml, file).issues.map(formatIssue);
}

/** The objects of a YAML text that must be valid. */
export function objectsOf(yaml: string, file = "m.yaml"): MkObject[] {
  const { objects, issues } = parseManifestText(yaml, file);
  assert.deepEqual(issues.map(formatIssue), []);
  return objects;
}

/** The single object of a YAML text that must be valid. */
export function objectOf(yaml: string): MkObject {
  const objects = objectsOf(yaml);
  assert.equal(objects.length, 1);
  const [object] = objects;
  assert.ok(object);
  return object;
}

/** A minimal valid v1 Pod with `extra` lines appended under its container (indented 4 spaces). */
export function podWith(containerLines = "", specLines = ""): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: mk.local/busybox:1
${containerLines}${specLines}`;
}
