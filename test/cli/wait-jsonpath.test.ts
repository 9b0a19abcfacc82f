import assert from "node:assert/strict";
import { test } from "node:test";
import { meetsJsonPath, parseJsonPathFor } from "../../src/cli/wait-jsonpath.ts";
import { UsageError } from "../../src/lib/errors.ts";

test("parseJsonPathFor() reads kubectl's --for=jsonpath forms", () => {
  assert.deepEqual(parseJsonPathFor("jsonpath={.status.phase}=Running"), {
    template: "{.status.phase}",
    value: "Running",
  });
  assert.deepEqual(parseJsonPathFor("jsonpath='{.status.phase}'=Running"), {
    template: "{.status.phase}",
    value: "Running",
  });
  assert.deepEqual(parseJsonPathFor("jsonpath={.status.readyReplicas}='2'"), {
    template: "{.status.readyReplicas}",
    value: "2",
  });
  assert.deepEqual(parseJsonPathFor("jsonpath={.status.podIP}"), { template: "{.status.podIP}" });
  assert.deepEqual(parseJsonPathFor("jsonpath=.status.phase=Running"), {
    template: "{.status.phase}",
    value: "Running",
  });
  assert.equal(parseJsonPathFor("condition=Ready"), undefined);
  assert.throws(() => parseJsonPathFor("jsonpath={.status.phase}Running"), UsageError);
});

test("meetsJsonPath(): equal to the value, or present at all without one", () => {
  const pod = { status: { phase: "Running", podIP: "" } };
  assert.equal(meetsJsonPath({ template: "{.status.phase}", value: "Running" }, pod), true);
  assert.equal(meetsJsonPath({ template: "{.status.phase}", value: "Pending" }, pod), false);
  assert.equal(meetsJsonPath({ template: "{.status.podIP}" }, pod), false);
  assert.equal(meetsJsonPath({ template: "{.status.phase}" }, pod), true);
});
