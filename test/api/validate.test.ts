import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyBody,
  checkPathParams,
  InvalidRequestError,
  logsQuery,
  noBody,
  nodeAddBody,
  parseRequest,
  queryObject,
  scaleBody,
  sqlBody,
} from "../../src/api/validate.ts";

function refused(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidRequestError, String(err));
    assert.equal(err.httpStatus, 400);
    return err;
  }
  assert.fail("expected an InvalidRequestError");
}

test("parseRequest() names taints when POST /api/v1/nodes sends {taints: 5}", () => {
  const e = refused(() =>
    parseRequest(nodeAddBody, { name: "n1", docker: "ssh://root@10.0.0.5", taints: 5 }, "body"),
  );
  assert.equal(e.message, "Invalid request: request body taints: expected list, got number 5");
  assert.deepEqual(e.issues, [{ in: "body", path: "taints", message: "expected list, got number 5" }]);
});

test("parseRequest() reports every issue of a node at once, with field paths and hints", () => {
  const e = refused(() =>
    parseRequest(
      nodeAddBody,
      {
        name: "N_1",
        docker: "tcp://x",
        lables: {},
        taints: [
          { key: "a", effect: "NoFly" },
          { key: "", effect: "NoSchedule", extra: 1 },
        ],
        labels: { ok: 5 },
      },
      "body",
    ),
  );
  assert.deepEqual(
    e.issues.map((i) => `${i.path}: ${i.message}`),
    [
      'lables: unknown field "lables"; did you mean "labels"?',
      'taints[1].extra: unknown field "extra"',
      `name: expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit), got "N_1"`,
      'docker: expected "unix:///path/to/docker.sock" or "ssh://user@host[:port]", got "tcp://x"',
      "labels.ok: expected string, got number 5",
      'taints[0].effect: expected one of "NoSchedule", "PreferNoSchedule", "NoExecute", got "NoFly"',
      `taints[1].key: expected a key name part of at most 63 characters (letters, digits, '-', '_' and '.', starting and ending with a letter or digit), got ""`,
    ],
  );
});

test("parseRequest() accepts a well-formed node and keeps only what was sent", () => {
  const body = parseRequest(
    nodeAddBody,
    {
      name: "n1",
      docker: "ssh://root@10.0.0.5",
      taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }],
    },
    "body",
  );
  assert.deepEqual(body, {
    name: "n1",
    docker: "ssh://root@10.0.0.5",
    taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }],
  });
});

test("parseRequest() refuses bodies of the wrong shape: not a mapping, missing fields, wrong types", () => {
  assert.equal(
    refused(() => parseRequest(applyBody, undefined, "body")).message,
    "Invalid request: request body: expected mapping, got nothing",
  );
  assert.equal(
    refused(() => parseRequest(applyBody, [], "body")).message,
    "Invalid request: request body: expected mapping, got a list",
  );
  assert.equal(
    refused(() => parseRequest(applyBody, { manifests: [{ file: "a.yaml" }], dryRun: "yes" }, "body"))
      .message,
    'Invalid request: request body manifests[0].text: required field is missing; request body dryRun: expected boolean (true or false), got "yes"',
  );
  assert.equal(
    refused(() => parseRequest(scaleBody, { replicas: 2.5 }, "body")).message,
    "Invalid request: request body replicas: expected integer 0..1000, got number 2.5",
  );
  assert.equal(
    refused(() => parseRequest(sqlBody, { query: 1, maxRows: 0 }, "body")).message,
    "Invalid request: request body query: expected string, got number 1; request body maxRows: expected integer 1..100000000, got number 0",
  );
  assert.equal(
    refused(() => parseRequest(noBody, { x: 1 }, "body")).message,
    'Invalid request: request body x: unknown field "x"',
  );
  assert.equal(parseRequest(noBody, undefined, "body"), undefined);
  assert.deepEqual(parseRequest(noBody, {}, "body"), {});
});

test("queryObject() and logsQuery validate query parameters, refusing repeats", () => {
  const q = parseRequest(
    logsQuery,
    queryObject(new URL("http://x/?follow=1&tail=10&container=web")),
    "query",
  );
  assert.deepEqual(q, { container: "web", follow: true, tail: 10 });
  assert.equal(
    refused(() => parseRequest(logsQuery, queryObject(new URL("http://x/?follow=maybe&tail=-1")), "query"))
      .message,
    'Invalid request: query parameter follow: expected 0, 1, true or false, got "maybe"; query parameter tail: expected a whole number 0..1000000, got "-1"',
  );
  assert.equal(
    refused(() => queryObject(new URL("http://x/?tail=1&tail=2"))).message,
    "Invalid request: query parameter tail: expected once, given twice",
  );
  assert.deepEqual(queryObject(new URL("http://x/?token=abc"), ["token"]), {});
});

test("checkPathParams() wants object names in path parameters", () => {
  checkPathParams(["name"], ["web-5d8f7c9b4-abcde"]);
  assert.equal(
    refused(() => checkPathParams(["name"], ["../etc"])).message,
    'Invalid request: path parameter name: expected a lower-case name (a-z, 0-9, "-", "."), got "../etc"',
  );
  assert.equal(
    refused(() => checkPathParams(["name"], ["x".repeat(254)])).message,
    "Invalid request: path parameter name: expected a name of at most 253 characters",
  );
});
