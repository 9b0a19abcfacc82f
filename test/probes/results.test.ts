import assert from "node:assert/strict";
import { test } from "node:test";
import { countResult, INITIAL_THRESHOLD_STATE } from "../../src/probes/results.ts";
import { resolvePort } from "../../src/probes/runners.ts";
import { makeContainer } from "../fixtures.ts";

const th = { successThreshold: 1, failureThreshold: 3 };

test("countResult() flips to failure only after failureThreshold failures in a row", () => {
  let s = INITIAL_THRESHOLD_STATE;
  s = countResult(s, true, th);
  assert.equal(s.verdict, true);
  for (const expected of [true, true, false]) {
    s = countResult(s, false, th);
    assert.equal(s.verdict, expected);
  }
});

test("countResult() resets the failure count on a success", () => {
  let s = INITIAL_THRESHOLD_STATE;
  for (const ok of [false, false, true, false, false]) s = countResult(s, ok, th);
  assert.equal(s.verdict, true);
  assert.equal(s.failures, 2);
});

test("countResult() needs successThreshold successes to turn ready again", () => {
  const t = { successThreshold: 2, failureThreshold: 1 };
  let s = countResult(INITIAL_THRESHOLD_STATE, false, t);
  assert.equal(s.verdict, false);
  s = countResult(s, true, t);
  assert.equal(s.verdict, false);
  s = countResult(s, true, t);
  assert.equal(s.verdict, true);
});

test("resolvePort() looks a named port up in the container's ports", () => {
  const c = makeContainer({ ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }] });
  assert.equal(resolvePort("http", c), 8080);
  assert.equal(resolvePort(81, c), 81);
  assert.equal(resolvePort("9090", c), 9090);
  assert.equal(resolvePort("nope", c), undefined);
});
