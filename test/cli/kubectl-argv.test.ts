import assert from "node:assert/strict";
import { test } from "node:test";
import { withoutDoubledDefault } from "../../src/cli/help-format.ts";
import { normalizeArgv, typedFlagError } from "../../src/cli/index.ts";
import { rewriteKubectlArgv, valueFlagsOf } from "../../src/cli/kubectl-argv.ts";
import { UsageError } from "../../src/lib/errors.ts";

const FLAGS = valueFlagsOf([
  "-o, --output <format>",
  "-n, --namespace <ns>",
  "-l, --selector <selector>",
  "-c, --container <name>",
  "--replicas <n>",
  "--grace-period <seconds>",
  "-A, --all-namespaces",
  "-i, --stdin",
  "--wait",
]);

test("valueFlagsOf() finds the flags that take a value, short and long", () => {
  assert.deepEqual(
    [...FLAGS.short],
    [
      ["o", "output"],
      ["n", "namespace"],
      ["l", "selector"],
      ["c", "container"],
    ],
  );
  assert.deepEqual(
    [...FLAGS.long],
    ["output", "namespace", "selector", "container", "replicas", "grace-period"],
  );
});

test("rewriteKubectlArgv() reads kubectl's glued short flags, negative values and =true|false", () => {
  const cases: [string[], string[]][] = [
    [
      ["get", "pod", "x", "-oyaml"],
      ["get", "pod", "x", "--output=yaml"],
    ],
    [
      ["get", "pods", "-owide"],
      ["get", "pods", "--output=wide"],
    ],
    [
      ["get", "pods", "-o=json"],
      ["get", "pods", "--output=json"],
    ],
    [
      ["get", "pods", "-lapp=web,tier in (a,b)"],
      ["get", "pods", "--selector=app=web,tier in (a,b)"],
    ],
    [
      ["get", "pods", "-l=app=web"],
      ["get", "pods", "--selector=app=web"],
    ],
    [
      ["-ndefault", "get", "po"],
      ["--namespace=default", "get", "po"],
    ],
    [
      ["logs", "x", "-cside"],
      ["logs", "x", "--container=side"],
    ],
    [
      ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"],
      ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"],
    ],
    [
      ["scale", "deploy/web", "--replicas", "-1"],
      ["scale", "deploy/web", "--replicas=-1"],
    ],
    [
      ["delete", "pod", "x", "--grace-period", "-1"],
      ["delete", "pod", "x", "--grace-period=-1"],
    ],
    [
      ["delete", "pod", "x", "--wait=false"],
      ["delete", "pod", "x", "--no-wait"],
    ],
    [
      ["delete", "pod", "x", "--wait=true"],
      ["delete", "pod", "x", "--wait"],
    ],
    // kubectl's --dry-run=client|server|none (client must never write), pflag's booleans.
    [
      ["apply", "-f", "a.yaml", "--dry-run=client"],
      ["apply", "-f", "a.yaml", "--dry-run"],
    ],
    [
      ["apply", "-f", "a.yaml", "--dry-run=server"],
      ["apply", "-f", "a.yaml", "--dry-run"],
    ],
    [
      ["apply", "-f", "a.yaml", "--dry-run=none"],
      ["apply", "-f", "a.yaml"],
    ],
    [
      ["delete", "pod", "x", "--force=1", "--wait=0"],
      ["delete", "pod", "x", "--force", "--no-wait"],
    ],
    [
      ["get", "pods", "--no-headers=false"],
      ["get", "pods", "--headers"],
    ],
    // Boolean clusters stay for the parser (-it is -i -t); -A takes no value.
    [
      ["exec", "-it", "x", "--", "sh"],
      ["exec", "-it", "x", "--", "sh"],
    ],
    [
      ["get", "pods", "-A"],
      ["get", "pods", "-A"],
    ],
    // After --, the command's own arguments are not mk's.
    [
      ["exec", "x", "--", "ls", "-lah", "--wait=false", "-1"],
      ["exec", "x", "--", "ls", "-lah", "--wait=false", "-1"],
    ],
  ];
  for (const [input, want] of cases)
    assert.deepEqual(rewriteKubectlArgv(input, FLAGS), want, input.join(" "));
});

test("rewriteKubectlArgv() refuses a value for a flag that takes none, naming it", () => {
  assert.throws(
    () => rewriteKubectlArgv(["apply", "--dry-run=maybe"], FLAGS),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "--dry-run=maybe: --dry-run takes no value, or client, server or none",
  );
  assert.throws(
    () => rewriteKubectlArgv(["delete", "--force=yes-please"], FLAGS),
    (e: unknown) => e instanceof UsageError && /--force takes no value, or true or false/.test(e.message),
  );
});

test("normalizeArgv() uses the flags of the command named: -f is a file for apply, follow for logs", () => {
  const n = (...a: string[]) => normalizeArgv(["node", "mk", ...a]).slice(2);
  assert.deepEqual(n("apply", "-fweb.yaml"), ["apply", "--filename=web.yaml"]);
  assert.deepEqual(n("logs", "-f", "-cmain", "x"), ["logs", "-f", "--container=main", "x"]);
  assert.deepEqual(n("-o", "yaml", "get", "pods", "-lapp=web"), [
    "-o",
    "yaml",
    "get",
    "pods",
    "--selector=app=web",
  ]);
  assert.deepEqual(n("help", "get"), ["get", "--help"]);
});

test("typedFlagError() names an unknown flag as typed, long or short", () => {
  const cac = (message: string) => Object.assign(new Error(message), { name: "CACError" });
  const long = typedFlagError(cac("Unknown option `--gracePeriod`"), [
    "node",
    "mk",
    "get",
    "pods",
    "--grace-period",
    "3",
  ]);
  assert.ok(long instanceof UsageError);
  assert.equal(long.message, "Unknown flag --grace-period; run mk get --help");
  const short = typedFlagError(cac("Unknown option `-x`"), ["node", "mk", "get", "pods", "-x"]);
  assert.ok(short instanceof UsageError);
  assert.equal(short.message, "Unknown flag -x; run mk get --help");
});

test("typedFlagError() turns cac's missing and unused arguments into usage errors saying what to run", () => {
  const cac = (message: string) => Object.assign(new Error(message), { name: "CACError" });
  const missing = typedFlagError(cac("missing required args for command `exec <pod> [...command]`"), [
    "node",
    "mk",
    "exec",
  ]);
  assert.ok(missing instanceof UsageError);
  assert.equal(missing.message, "mk exec needs arguments: mk exec <pod> [...command]; run mk exec --help");
  const unused = typedFlagError(cac("Unused args: `more`"), ["node", "mk", "logs", "a", "b", "more"]);
  assert.ok(unused instanceof UsageError);
  assert.equal(unused.message, "Unexpected arguments `more`; run mk logs --help");
});

test("withoutDoubledDefault() drops cac's default only where it says nothing new", () => {
  assert.equal(
    withoutDoubledDefault(
      "  -w, --watch            status: keep watching until the rollout ends (default; --no-watch for one look) (default: true)",
    ),
    "  -w, --watch            status: keep watching until the rollout ends (default; --no-watch for one look)",
  );
  assert.equal(
    withoutDoubledDefault("  --no-wait   Return at once (default: true)"),
    "  --no-wait   Return at once",
  );
  const kept =
    "  --autoscaler-sync <duration>   Autoscaler sync period (Kubernetes' HPA default) (default: 15s)";
  assert.equal(withoutDoubledDefault(kept), kept);
  assert.equal(
    withoutDoubledDefault("  --timeout <d>   How long (default: 30s)  "),
    "  --timeout <d>   How long (default: 30s)",
  );
});
