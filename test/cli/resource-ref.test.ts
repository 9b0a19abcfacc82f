import assert from "node:assert/strict";
import { test } from "node:test";
import { parseResourceArgs, parseSingleRef, resourceOf, typeWord } from "../../src/cli/resource-ref.ts";
import { UsageError } from "../../src/lib/errors.ts";

test("resourceOf() knows kubectl's words and short names for every resource", () => {
  const cases: [string, string][] = [
    ["po", "pods"],
    ["Pod", "pods"],
    ["deploy", "podsets"],
    ["deployment.apps", "podsets"],
    ["ps", "podsets"],
    ["no", "nodes"],
    ["ev", "events"],
    ["hpa", "autoscalers"],
    ["horizontalpodautoscalers.autoscaling", "autoscalers"],
  ];
  for (const [word, resource] of cases) assert.equal(resourceOf(word), resource, word);
  assert.throws(
    () => resourceOf("services"),
    (e: unknown) =>
      e instanceof UsageError && /Unknown resource type "services": expected pods \(po\)/.test(e.message),
  );
});

test("parseResourceArgs() reads TYPE, TYPE NAME..., TYPE/NAME..., TYPE1,TYPE2 and all", () => {
  assert.deepEqual(parseResourceArgs(["pods"], "get"), [{ resource: "pods", names: [], typed: "pods" }]);
  assert.deepEqual(parseResourceArgs(["po", "a", "b"], "get"), [
    { resource: "pods", names: ["a", "b"], typed: "po" },
  ]);
  assert.deepEqual(parseResourceArgs(["pod/a", "pod/b", "deploy/web", "po/c"], "get"), [
    { resource: "pods", names: ["a", "b"], typed: "pod" },
    { resource: "podsets", names: ["web"], typed: "deploy" },
    { resource: "pods", names: ["c"], typed: "po" },
  ]);
  assert.deepEqual(parseResourceArgs(["pods,deploy"], "get"), [
    { resource: "pods", names: [], typed: "pods" },
    { resource: "podsets", names: [], typed: "deploy" },
  ]);
  assert.deepEqual(
    parseResourceArgs(["all"], "get").map((g) => g.resource),
    ["pods", "podsets", "autoscalers"],
  );
});

test("parseResourceArgs() refuses mixed and incomplete forms with a usage error", () => {
  const bad: [string[], RegExp][] = [
    [[], /needs a resource type/],
    [["pod/a", "b"], /"b" has no type; when one argument is TYPE\/NAME, all must be/],
    [["pods", "pod/a"], /no need to give a resource type as a separate argument/],
    [["pod/"], /"pod\/" has no name after the "\/"/],
    [["pods,nodes", "a"], /names can only be given with one resource type/],
    [["frobs/x"], /Unknown resource type "frobs"/],
  ];
  for (const [args, re] of bad)
    assert.throws(
      () => parseResourceArgs(args, "get"),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
      args.join(" "),
    );
});

test("parseSingleRef() takes TYPE/NAME, TYPE NAME, or a bare name where the command has a default type", () => {
  const scale = {
    command: "scale",
    allowed: ["podsets"] as const,
    example: "mk scale deploy/web --replicas 3",
  };
  assert.deepEqual(parseSingleRef(["deploy", "web"], scale).ref, {
    resource: "podsets",
    kind: "PodSet",
    name: "web",
  });
  assert.deepEqual(parseSingleRef(["deployment/web"], scale).ref.name, "web");
  assert.throws(() => parseSingleRef(["web"], scale), /"web" is not a resource type/);
  assert.throws(() => parseSingleRef(["pod/web"], scale), /mk scale does not take pods: expected podsets/);
  const logs = {
    command: "logs",
    allowed: ["pods"] as const,
    defaultResource: "pods" as const,
    example: "mk logs web",
  };
  assert.deepEqual(parseSingleRef(["web", "extra"], logs), {
    ref: { resource: "pods", kind: "Pod", name: "web" },
    rest: ["extra"],
    typed: "pod",
  });
  assert.equal(parseSingleRef(["pod/web"], logs).ref.name, "web");
  assert.equal(parseSingleRef(["po", "web"], logs).ref.name, "web");
  // The type word as typed, for messages in the user's words.
  assert.equal(parseSingleRef(["po", "web"], logs).typed, "po");
  assert.equal(parseSingleRef(["deploy/web"], scale).typed, "deploy");
});

test("typeWord() names a Deployment-applied PodSet as kubectl does", () => {
  assert.equal(typeWord("PodSet", "apps/v1"), "deployment.apps");
  assert.equal(typeWord("PodSet", "mk/v1"), "podset");
  assert.equal(typeWord("Pod", "v1"), "pod");
  // As apply says it (horizontalpodautoscaler.autoscaling/web created), for -o name too.
  assert.equal(typeWord("HorizontalPodAutoscaler", "autoscaling/v2"), "horizontalpodautoscaler.autoscaling");
  assert.equal(typeWord("Autoscaler", "autoscaling/v1"), "horizontalpodautoscaler.autoscaling");
  assert.equal(typeWord("Autoscaler", "mk/v1"), "autoscaler");
});
