import assert from "node:assert/strict";
import { test } from "node:test";
import { groupNoun, notFoundLine, typedWordIn } from "../../src/cli/not-found.ts";

test("notFoundLine() says it in kubectl's words: the plural, with the API group the user typed", () => {
  const cases: [string, string, string[], string][] = [
    ["pod", "x", ["node", "mk", "get", "pod", "x"], 'Error from server (NotFound): pods "x" not found'],
    ["Pod", "x", ["logs", "x"], 'Error from server (NotFound): pods "x" not found'],
    [
      "podset",
      "web",
      ["scale", "deploy", "web"],
      'Error from server (NotFound): deployments.apps "web" not found',
    ],
    [
      "PodSet",
      "web",
      ["rollout", "status", "deployment/web"],
      'Error from server (NotFound): deployments.apps "web" not found',
    ],
    ["podset", "web", ["scale", "podset/web"], 'Error from server (NotFound): podsets "web" not found'],
    ["podset", "web", ["scale", "ps/web"], 'Error from server (NotFound): podsets "web" not found'],
    ["node", "n9", ["get", "no", "n9"], 'Error from server (NotFound): nodes "n9" not found'],
    [
      "autoscaler",
      "a",
      ["get", "hpa/a"],
      'Error from server (NotFound): horizontalpodautoscalers.autoscaling "a" not found',
    ],
    [
      "autoscaler",
      "a",
      ["get", "autoscalers", "a"],
      'Error from server (NotFound): autoscalers "a" not found',
    ],
    // The words after -- are exec's command, not mk's.
    ["pod", "x", ["exec", "x", "--", "deploy"], 'Error from server (NotFound): pods "x" not found'],
  ];
  for (const [kind, name, argv, want] of cases)
    assert.equal(notFoundLine(kind, name, argv), want, argv.join(" "));
  assert.equal(typedWordIn(["get", "po,deploy"], "podsets"), "deploy");
  assert.equal(groupNoun("events"), "events");
});
