import assert from "node:assert/strict";
import { test } from "node:test";
import { checkContentType, checkRequest, hostName, isAllowedHost } from "../../src/api/guard.ts";

const opts = { listenHost: "127.0.0.1", hostNames: ["build-host"], scheme: "http" as const };
const req = (method: string, headers: Record<string, string>, path = "/api/v1/apply") => ({
  method,
  path,
  headers,
});

test("hostName() strips the port and brackets, lower-cases, drops a final dot", () => {
  assert.equal(hostName("Example.COM:7070"), "example.com");
  assert.equal(hostName("[::1]:7070"), "::1");
  assert.equal(hostName("localhost."), "localhost");
  assert.equal(hostName("10.0.0.5"), "10.0.0.5");
});

test("isAllowedHost() accepts IP literals, localhost and this machine's names; refuses other names", () => {
  for (const h of [
    "127.0.0.1:7070",
    "10.1.2.3",
    "[::1]:7070",
    "localhost:7070",
    "app.localhost",
    "build-host:1",
  ])
    assert.equal(isAllowedHost(h, opts), true, h);
  for (const h of ["evil.example:7070", "127.0.0.1.nip.io:7070", "localhost.evil.example", ""])
    assert.equal(isAllowedHost(h, opts), false, h);
  assert.equal(isAllowedHost("mk.example.com:7070", { ...opts, listenHost: "mk.example.com" }), true);
});

test("checkRequest() refuses a DNS-rebinding Host with 403 forbidden_host, on reads too", () => {
  const r = checkRequest(req("GET", { host: "attacker.example:7070" }, "/api/v1/pods"), opts);
  assert.deepEqual(r, {
    status: 403,
    code: "forbidden_host",
    message:
      'Refused: Host "attacker.example" does not name this server (DNS rebinding protection); use its IP address, localhost or 127.0.0.1',
  });
});

test("checkRequest() refuses a foreign or null Origin and accepts the server's own", () => {
  const foreign = checkRequest(req("POST", { host: "127.0.0.1:7070", origin: "http://evil.example" }), opts);
  assert.equal(foreign?.status, 403);
  assert.equal(
    foreign?.message,
    'Refused: requests from origin "http://evil.example" are not allowed (only the server\'s own pages may call it from a browser)',
  );
  assert.equal(checkRequest(req("GET", { host: "127.0.0.1:7070", origin: "null" }), opts)?.status, 403);
  // Same host, other port: another origin.
  assert.equal(
    checkRequest(req("GET", { host: "127.0.0.1:7070", origin: "http://127.0.0.1:8080" }), opts)?.status,
    403,
  );
  // https origin to an http server: another origin.
  assert.equal(
    checkRequest(req("GET", { host: "127.0.0.1:7070", origin: "https://127.0.0.1:7070" }), opts)?.status,
    403,
  );
  assert.equal(
    checkRequest(req("POST", { host: "127.0.0.1:7070", origin: "http://127.0.0.1:7070" }), opts),
    undefined,
  );
  assert.equal(
    checkRequest(req("POST", { host: "mk.local", origin: "https://mk.local:443" }), {
      ...opts,
      listenHost: "mk.local",
      scheme: "https",
    }),
    undefined,
  );
});

test("checkRequest() refuses cross-site fetch metadata except a navigation to the page", () => {
  const h = { host: "127.0.0.1:7070", "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" };
  assert.equal(checkRequest(req("POST", h), opts)?.code, "forbidden_origin");
  assert.equal(checkRequest(req("GET", { ...h, "sec-fetch-mode": "navigate" }, "/"), opts), undefined);
  assert.equal(
    checkRequest(req("GET", { ...h, "sec-fetch-mode": "navigate" }, "/api/v1/pods"), opts)?.status,
    403,
  );
  assert.equal(checkRequest(req("GET", { ...h, "sec-fetch-site": "same-origin" }), opts), undefined);
  assert.equal(checkRequest(req("GET", { ...h, "sec-fetch-site": "none" }), opts), undefined);
});

test("checkContentType() wants application/json on every state change, whatever the method", () => {
  for (const method of ["POST", "DELETE", "PUT", "PATCH"]) {
    const r = checkContentType(req(method, { "content-type": "text/plain" }));
    assert.equal(r?.status, 415, method);
    assert.equal(
      r?.message,
      `Expected content-type: application/json on ${method} /api/v1/apply, got "text/plain"`,
    );
  }
  assert.equal(
    checkContentType(req("POST", {}))?.message,
    "Expected content-type: application/json on POST /api/v1/apply, got none",
  );
  for (const t of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
    assert.equal(checkContentType(req("POST", { "content-type": t }))?.status, 415, t);
  assert.equal(
    checkContentType(req("POST", { "content-type": "Application/JSON; charset=utf-8" })),
    undefined,
  );
  assert.equal(checkContentType(req("GET", {})), undefined);
});
