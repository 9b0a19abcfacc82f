import assert from "node:assert/strict";
import { test } from "node:test";
import { RemoteApi } from "../../src/api/remote.ts";
import { UsageError } from "../../src/lib/errors.ts";

const TOKEN = "0123456789abcdef0123";

test("RemoteApi warns when a token would travel over plain HTTP off loopback", () => {
  const warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);
  new RemoteApi("http://10.0.0.5:7070", { token: TOKEN, warn });
  assert.deepEqual(warnings, [
    "the API token travels unencrypted to 10.0.0.5:7070; serve HTTPS (mk server --tls-cert/--tls-key) and use https://",
  ]);
  for (const url of [
    "http://127.0.0.1:7070",
    "http://localhost:7070",
    "http://[::1]:7070",
    "https://10.0.0.5:7070",
  ])
    new RemoteApi(url, { token: TOKEN, warn });
  new RemoteApi("http://10.0.0.5:7070", { warn });
  assert.equal(warnings.length, 1);
});

test("RemoteApi refuses a server that is not an http(s) URL and an unreadable CA file", () => {
  for (const [url, message] of [
    ["ftp://10.0.0.5", "--server ftp://10.0.0.5: expected an http:// or https:// URL"],
    ["10.0.0.5:7070", "--server 10.0.0.5:7070: expected a URL such as http://127.0.0.1:7070"],
    ["not a url", "--server not a url: expected a URL such as http://127.0.0.1:7070"],
  ] as const) {
    assert.throws(
      () => new RemoteApi(url),
      (err: unknown) => err instanceof UsageError && err.message === message && err.exitCode === 2,
    );
  }
  assert.throws(
    () => new RemoteApi("https://127.0.0.1:7070", { caFile: "/nonexistent/ca.pem" }),
    (err: unknown) =>
      err instanceof UsageError && err.message === "--ca-file /nonexistent/ca.pem: cannot read it: ENOENT",
  );
});
