import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate, parsePath, renderJsonPath } from "../../src/cli/jsonpath.ts";
import { UsageError } from "../../src/lib/errors.ts";

const LIST = {
  kind: "List",
  items: [
    {
      metadata: { name: "a", labels: { app: "web", "app.kubernetes.io/name": "shop" } },
      status: { phase: "Running", restarts: 2, containers: [{ name: "c", ready: true }] },
    },
    {
      metadata: { name: "b", labels: { app: "db" } },
      status: { phase: "Pending", restarts: 0, containers: [] },
    },
  ],
};

const CASES: [string, string][] = [
  ["{.kind}", "List"],
  [".kind", "List"],
  ["{.items[0].metadata.name}", "a"],
  ["{.items[-1].metadata.name}", "b"],
  ["{.items[*].metadata.name}", "a b"],
  ["{.items[0:1].metadata.name}", "a"],
  ["{.items[*].status.restarts}", "2 0"],
  ["{.items[0].metadata.labels.app\\.kubernetes\\.io/name}", "shop"],
  ["{.items[0].metadata.labels['app.kubernetes.io/name']}", "shop"],
  ['{.items[?(@.status.phase=="Running")].metadata.name}', "a"],
  ['{.items[?(@.status.phase!="Running")].metadata.name}', "b"],
  ["{.items[?(@.status.restarts==0)].metadata.name}", "b"],
  ['{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}', "a\tRunning\nb\tPending\n"],
  ["{range .items[*]}[{.metadata.name}]{end}", "[a][b]"],
  ["names: {.items[*].metadata.name}!", "names: a b!"],
  ["{.items[0].status.containers[0]}", '{"name":"c","ready":true}'],
  ["{.items[0].nothing.here}", ""],
  ["{.items[1].metadata.name}{'\\n'}", "b\n"],
];

for (const [template, want] of CASES) {
  test(`renderJsonPath() prints ${JSON.stringify(want)} for ${template}`, () => {
    assert.equal(renderJsonPath(template, LIST), want);
  });
}

test("renderJsonPath() refuses bad templates with a usage error naming the template", () => {
  for (const [template, re] of [
    ["{.items[0]", /expected "}"/],
    ["{range .items[*]}{.a}", /\{range\} without \{end\}/],
    ["{end}", /\{end\} without \{range\}/],
    ["{..name}", /recursive descent/],
    ["{.items[abc]}", /unsupported subscript \[abc\]/],
  ] as const) {
    assert.throws(
      () => renderJsonPath(template, LIST),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(`Cannot parse jsonpath ${JSON.stringify(template)}`) &&
        re.test(e.message),
      template,
    );
  }
});

test("evaluate() of a --sort-by path finds the field of one object", () => {
  assert.deepEqual(evaluate(parsePath(".status.phase"), LIST.items[1]), ["Pending"]);
  assert.deepEqual(evaluate(parsePath("{.metadata.name}".slice(1, -1)), LIST.items[0]), ["a"]);
});
