// Random requests (fast-check) to every route of a real `mk server` on the Docker engine: wrong
// methods, hostile path parameters, random JSON and non-JSON bodies, near-valid bodies with fields
// of the wrong type, random query strings and content types, missing or wrong tokens, foreign
// origins. Every answer must be below 500, the
// server must keep serving, and afterwards the controller must still reconcile: a pod applied
// after the fuzz runs. Seeded: MK_FUZZ_SEED=<seed> reproduces a run (the seed is printed).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { routes, STREAM_ROUTES } from "../../src/api/server.ts";
import type { MkApi } from "../../src/api/types.ts";
import { IMAGE, requireDocker, Sandbox } from "./harness.ts";

const SEED = Number(process.env.MK_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.MK_FUZZ_RUNS ?? 1000);
const TOKEN = "fuzz-token-0123456789abcdef";

let box: Sandbox;
let url = "";
let logs: () => string = () => "";

before(async () => {
  await requireDocker();
  box = new Sandbox();
  writeFileSync(join(box.dir, "token"), TOKEN);
  const s = await box.server([
    "--resync",
    "1s",
    "--sql-timeout",
    "1s",
    "--token-file",
    join(box.dir, "token"),
  ]);
  url = s.url;
  logs = s.logs;
});
after(async () => {
  await box?.cleanup();
});

/** Every table route, read from the server's own route list (a stub API is never called). */
function routeList(): { method: string; pattern: RegExp }[] {
  const stub = new Proxy({}, { get: () => () => Promise.reject(new Error("not called")) }) as MkApi;
  return [
    ...routes(stub).map((r) => ({ method: r.method, pattern: r.pattern })),
    ...STREAM_ROUTES.map((r) => ({
      method: r.method,
      pattern: new RegExp(r.pattern.source.replace("[^/]+", "([^/]+)")),
    })),
    { method: "GET", pattern: /^\/$/ },
  ];
}

/** A path for `pattern` with each parameter replaced by `segment`. */
function pathOf(pattern: RegExp, segments: string[]): string {
  let i = 0;
  return pattern.source
    .replace(/^\^/, "")
    .replace(/\$$/, "")
    .replace(/\(\[\^\/\]\+\)/g, () => segments[i++] ?? "x")
    .replace(/\\\//g, "/");
}

const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom(
    "web",
    "n1",
    "pod",
    "node",
    "podset",
    "%E0%A4%A",
    "%2e%2e",
    "..",
    "a".repeat(300),
    "%00",
    "UPPER",
  ),
);

/** Field names the API knows, so bodies come near the valid ones with values of the wrong type. */
const FIELDS = [
  "manifests",
  "dryRun",
  "refs",
  "replicas",
  "name",
  "docker",
  "taints",
  "labels",
  "identityFile",
  "socketPath",
  "query",
  "timeoutMs",
  "maxRows",
  "file",
  "text",
  "kind",
];
const nearValid = fc.dictionary(fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
const manifestish = fc.record({
  manifests: fc.array(
    fc.record({
      file: fc.oneof(fc.string(), fc.integer()),
      text: fc.oneof(fc.string(), fc.constant("kind: Pod\n")),
    }),
    { maxLength: 3 },
  ),
});
const body = fc.oneof(
  { weight: 3, arbitrary: nearValid.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: manifestish.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constant("") },
);
const query = fc.dictionary(
  fc.constantFrom("limit", "kind", "name", "follow", "tail", "container", "x", "token"),
  fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String)),
  { maxKeys: 3 },
);
/** Mostly the right token; sometimes none, a wrong one, or garbage. */
const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${TOKEN}`) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, "Bearer wrong", "Basic x", "Bearer") },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).filter((x) => /^[\x20-\x7e]*$/.test(x)) },
);
/** Mostly no browser headers; sometimes a foreign Origin, a rebinding Host or cross-site metadata. */
const browser = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { origin: "http://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate" },
    ),
  },
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  undefined,
);

test(`random requests to every route answer below 500 and the controller keeps reconciling (seed ${SEED})`, async () => {
  console.log(`api fuzz: seed ${SEED}, ${RUNS} runs (MK_FUZZ_SEED=${SEED} reproduces)`);
  const list = routeList();
  const statuses = new Map<number, number>();
  const request = fc.record({
    route: fc.constantFrom(...list),
    otherMethod: fc.oneof(
      { weight: 5, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS") },
    ),
    segments: fc.array(segment, { minLength: 2, maxLength: 2 }),
    body,
    query,
    contentType,
    authorization,
    browser,
  });
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const method = r.otherMethod ?? r.route.method;
      const qs = new URLSearchParams(r.query).toString();
      const path = `${pathOf(r.route.pattern, r.segments)}${qs ? `?${qs}` : ""}`;
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(r.contentType ? { "content-type": r.contentType } : {}),
          ...(r.authorization !== undefined ? { authorization: r.authorization } : {}),
          ...r.browser,
        },
        ...(method === "GET" || method === "HEAD" ? {} : { body: r.body }),
        redirect: "manual",
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(
        res.status < 500,
        `${method} ${path} body ${JSON.stringify(r.body)} -> ${res.status} ${text}`,
      );
      // Errors are JSON envelopes, except the page's "needs its API token" for a person.
      const pageLogin =
        res.status === 401 && (res.headers.get("content-type") ?? "").startsWith("text/plain");
      if (res.status >= 400 && !pageLogin)
        assert.match(text, /^\{"error":\{"code":"[a-z_]+","message":"[^"]/, `${method} ${path}`);
      assert.doesNotMatch(text, /\n\s+at /, "a stack trace in the answer");
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  console.log(
    `api fuzz statuses: ${[...statuses.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s} x${n}`)
      .join(", ")}`,
  );
  assert.ok(
    (statuses.get(401) ?? 0) > 0 && (statuses.get(403) ?? 0) > 0,
    "the fuzz never met the token or the guard",
  );
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  assert.doesNotMatch(logs(), /request failed|"level":"error".*"event":"http"/);

  // The controller still reconciles: a pod applied now runs on the Docker engine.
  const file = join(box.dir, "after.yaml");
  writeFileSync(
    file,
    `apiVersion: mk/v1
kind: Pod
metadata: { name: after-fuzz }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sleep", "3600"]
`,
  );
  await box.ok(["apply", "-f", file, "--server", url, "--timeout", "60s"], { env: { MK_TOKEN: TOKEN } });
  const pods = JSON.parse(
    await box.ok(["get", "pods", "-o", "json", "--server", url], { env: { MK_TOKEN: TOKEN } }),
  ) as { items: { metadata: { name: string }; status: { phase: string } }[] };
  assert.deepEqual(
    pods.items.map((p) => [p.metadata.name, p.status.phase]),
    [["after-fuzz", "Running"]],
  );
  const running = (await box.containers({ "mk.pod": "after-fuzz" })).filter((c) => c.State === "running");
  assert.equal(running.length, 1);
});
