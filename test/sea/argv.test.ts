import assert from "node:assert/strict";
import { test } from "node:test";
import { needsNativeAddon, wantsJsonErrors } from "../../src/sea/argv.ts";

const cases: [string[], boolean][] = [
  [[], false],
  [["--version"], false],
  [["-v"], false],
  [["--help"], false],
  [["get", "pods", "-h"], false],
  [["get", "pods"], true],
  [["version"], true],
  [["apply", "-f", "pod.yaml"], true],
  [["server", "--listen", "127.0.0.1:7070"], true],
];
for (const [args, want] of cases) {
  test(`needsNativeAddon() is ${want} for "mk ${args.join(" ")}"`, () => {
    assert.equal(needsNativeAddon(args), want);
  });
}

test("wantsJsonErrors() is true only when the output format is json", () => {
  assert.equal(wantsJsonErrors(["mk", "mk", "get", "pods", "-o", "json"]), true);
  assert.equal(wantsJsonErrors(["mk", "mk", "get", "pods", "--output=json"]), true);
  assert.equal(wantsJsonErrors(["mk", "mk", "get", "pods", "-o", "yaml"]), false);
  assert.equal(wantsJsonErrors(["mk", "mk", "sql", "json"]), false);
});
