import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatLabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from "../../src/ops/selector.ts";

const OBJECTS: Record<string, Record<string, string>> = {
  web: { app: "web", tier: "front", "app.kubernetes.io/name": "shop" },
  api: { app: "api", tier: "back", version: "3" },
  db: { app: "db" },
  none: {},
};

/** selector -> the objects it selects, in OBJECTS order. */
const CASES: [string, string[]][] = [
  ["", ["web", "api", "db", "none"]],
  ["app=web", ["web"]],
  ["app==web", ["web"]],
  ["app = web", ["web"]],
  ["app!=web", ["api", "db", "none"]],
  ["tier in (front,back)", ["web", "api"]],
  ["tier in ( front , back )", ["web", "api"]],
  ["tier notin (front)", ["api", "db", "none"]],
  ["tier", ["web", "api"]],
  ["!tier", ["db", "none"]],
  ["app,!tier", ["db"]],
  ["app=api,tier=back", ["api"]],
  ["app=api,tier=front", []],
  ["app in (web,api),tier!=back", ["web"]],
  ["app.kubernetes.io/name=shop", ["web"]],
  ["version>2", ["api"]],
  ["version<2", []],
  ["tier=", []],
];

for (const [selector, want] of CASES) {
  test(`matchesLabels() selects ${JSON.stringify(want)} when the selector is ${JSON.stringify(selector)}`, () => {
    const parsed = parseLabelSelector(selector);
    const got = Object.entries(OBJECTS)
      .filter(([, labels]) => matchesLabels(parsed, labels))
      .map(([name]) => name);
    assert.deepEqual(got, want);
  });
}

/** selector -> the exact error message after `Cannot parse selector "<selector>": `. */
const ERRORS: [string, string][] = [
  ["tier in (a", 'expected ")" to close the values of "tier in"'],
  ["tier in a", 'expected "(" after "tier in", found "a" at position 9'],
  ["tier in ()", 'expected at least one value in "tier in ()"'],
  ["app=web,", 'expected a requirement after the last ","'],
  [",app", 'expected a label key, found "," at position 1'],
  ["app=web tier=x", 'expected "," or the end after the value of "app", found "tier" at position 9'],
  [
    "app web",
    'expected "=", "==", "!=", "in", "notin", ">" or "<" after "app", or "," to end it, found "web" at position 5',
  ],
  [
    "-bad=x",
    'key "-bad" must be 63 characters or fewer of letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  ],
  [
    "Bad.Prefix/x=1",
    'key prefix "Bad.Prefix" must be a DNS subdomain (lower case letters, digits, "-" and ".")',
  ],
  [
    "app=-web",
    'value "-web" must be empty or 63 characters or fewer of letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  ],
  ["version>x", 'expected an integer after "version >", found "x" at position 9'],
  ["!", "expected a label key, found the end"],
  ["a in (b c)", 'expected "," or ")" in the values of "a", found "c" at position 9'],
];

for (const [selector, why] of ERRORS) {
  test(`parseLabelSelector() refuses ${JSON.stringify(selector)} saying why`, () => {
    assert.throws(
      () => parseLabelSelector(selector),
      (err: unknown) => {
        assert.ok(err instanceof SelectorError);
        assert.equal(err.message, `Cannot parse selector ${JSON.stringify(selector)}: ${why}`);
        return true;
      },
    );
  });
}

test("formatLabelSelector() prints the canonical form", () => {
  assert.equal(
    formatLabelSelector(parseLabelSelector("a==b, c in (x ,y),!d,e,f!=g")),
    "a=b,c in (x,y),!d,e,f!=g",
  );
});

const FIELDS = ["metadata.name", "status.phase", "spec.nodeName"];

test("parseFieldSelector() reads =, == and != joined by commas, and matchesFields() applies them", () => {
  const sel = parseFieldSelector("status.phase=Running,spec.nodeName!=n1,metadata.name==web", FIELDS);
  assert.deepEqual(sel, [
    { field: "status.phase", op: "=", value: "Running" },
    { field: "spec.nodeName", op: "!=", value: "n1" },
    { field: "metadata.name", op: "=", value: "web" },
  ]);
  const pod = (name: string, phase: string, node: string) => (f: string) =>
    ({ "metadata.name": name, "status.phase": phase, "spec.nodeName": node })[f];
  assert.equal(matchesFields(sel, pod("web", "Running", "local")), true);
  assert.equal(matchesFields(sel, pod("web", "Running", "n1")), false);
  assert.equal(matchesFields(sel, pod("web", "Pending", "local")), false);
  assert.equal(matchesFields(parseFieldSelector("spec.nodeName=", FIELDS), pod("x", "Pending", "")), true);
  assert.deepEqual(parseFieldSelector("", FIELDS), []);
  assert.deepEqual(parseFieldSelector("metadata.name=a\\,b", FIELDS), [
    { field: "metadata.name", op: "=", value: "a,b" },
  ]);
});

test("parseFieldSelector() refuses unknown fields and bad terms, naming the supported fields", () => {
  assert.throws(
    () => parseFieldSelector("status.podPhase=Running", FIELDS),
    /Cannot parse selector "status.podPhase=Running": "status.podPhase" is not a known field selector: supported are "metadata.name", "status.phase", "spec.nodeName"/,
  );
  assert.throws(
    () => parseFieldSelector("status.phase", FIELDS),
    /expected field=value, field==value or field!=value, got "status.phase"/,
  );
  assert.throws(
    () => parseFieldSelector("status.phase=a,,", FIELDS),
    /expected field=value between the commas/,
  );
});

test("a huge selector is named by its start, not echoed whole", () => {
  assert.throws(
    () => parseLabelSelector("a".repeat(100_000)),
    (e: unknown) =>
      e instanceof Error &&
      e.message.length < 500 &&
      /^Cannot parse selector "a{200}\.\.\.": key "a{100}\.\.\." must be 63 characters or fewer/.test(
        e.message,
      ),
  );
});
