import assert from "node:assert/strict";
import { test } from "node:test";
import {
  authenticate,
  isLoopbackHost,
  readToken,
  sessionCookie,
  sessionValue,
  tokensEqual,
} from "../../src/api/auth.ts";
import { UsageError } from "../../src/lib/errors.ts";

const TOKEN = "0123456789abcdef0123456789abcdef";
const req = (method: string, headers: Record<string, string>) => ({ method, headers, localPort: 7070 });

test("tokensEqual() compares secrets of any length", () => {
  assert.equal(tokensEqual(TOKEN, TOKEN), true);
  assert.equal(tokensEqual(TOKEN, `${TOKEN}x`), false);
  assert.equal(tokensEqual(TOKEN, ""), false);
});

test("authenticate() lets everything through without a token, and wants the bearer token with one", () => {
  assert.deepEqual(authenticate(req("POST", {}), undefined), { ok: true, via: "none" });
  assert.deepEqual(authenticate(req("GET", {}), TOKEN), { ok: false, reason: "missing" });
  assert.deepEqual(authenticate(req("GET", { authorization: `Bearer ${TOKEN}` }), TOKEN), {
    ok: true,
    via: "bearer",
  });
  assert.deepEqual(authenticate(req("GET", { authorization: `bearer ${TOKEN}` }), TOKEN), {
    ok: true,
    via: "bearer",
  });
  for (const bad of [`Bearer ${TOKEN}x`, `Basic ${TOKEN}`, "Bearer", `Bearer ${TOKEN} extra`])
    assert.deepEqual(
      authenticate(req("GET", { authorization: bad }), TOKEN),
      { ok: false, reason: "invalid" },
      bad,
    );
});

test("authenticate() accepts the status page's cookie for reads, and for writes only with an Origin", () => {
  const cookie = `other=1; mk_session_7070=${sessionValue(TOKEN)}`;
  assert.deepEqual(authenticate(req("GET", { cookie }), TOKEN), { ok: true, via: "cookie" });
  assert.deepEqual(authenticate(req("POST", { cookie }), TOKEN), {
    ok: false,
    reason: "cookie-needs-origin",
  });
  assert.deepEqual(authenticate(req("POST", { cookie, origin: "http://127.0.0.1:7070" }), TOKEN), {
    ok: true,
    via: "cookie",
  });
  // Another port's cookie (another mk server on the same host) does not count.
  assert.deepEqual(authenticate(req("GET", { cookie: `mk_session_8080=${sessionValue(TOKEN)}` }), TOKEN), {
    ok: false,
    reason: "missing",
  });
  // The raw token as the cookie is not the session value.
  assert.deepEqual(authenticate(req("GET", { cookie: `mk_session_7070=${TOKEN}` }), TOKEN), {
    ok: false,
    reason: "invalid",
  });
});

test("sessionCookie() is HttpOnly, SameSite=Strict, Secure under TLS, and does not hold the token", () => {
  const c = sessionCookie(TOKEN, 7070, true);
  assert.match(c, /^mk_session_7070=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
  assert.ok(!c.includes(TOKEN));
  assert.ok(!sessionCookie(TOKEN, 7070, false).includes("Secure"));
});

test("readToken() reads --token-file before MK_TOKEN and refuses short, empty or unreadable tokens", () => {
  const files: Record<string, string> = {
    "/t": `${TOKEN}\n`,
    "/short": "abc\n",
    "/spaces": "0123456789 abcdef0123",
  };
  const read = (p: string) => {
    const v = files[p];
    if (v === undefined) throw Object.assign(new Error("nope"), { code: "ENOENT" });
    return v;
  };
  assert.equal(readToken(undefined, {}, read), undefined);
  assert.equal(readToken(undefined, { MK_TOKEN: "" }, read), undefined);
  assert.equal(readToken("/t", { MK_TOKEN: "x".repeat(20) }, read), TOKEN);
  assert.equal(readToken(undefined, { MK_TOKEN: ` ${TOKEN} ` }, read), TOKEN);
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof UsageError);
      assert.equal(err.exitCode, 2);
      return err.message;
    }
    assert.fail("expected a UsageError");
  };
  assert.equal(
    message(() => readToken("/missing", {}, read)),
    "--token-file /missing: cannot read the token: ENOENT",
  );
  assert.match(
    message(() => readToken("/short", {}, read)),
    /^--token-file \/short: expected a token of at least 16 characters, got 3; make one with: head -c 32 \/dev\/urandom \| base64 > token/,
  );
  assert.match(
    message(() => readToken(undefined, { MK_TOKEN: "short" }, read)),
    /^MK_TOKEN: expected a token of at least 16/,
  );
  assert.equal(
    message(() => readToken("/spaces", {}, read)),
    "--token-file /spaces: expected a token without spaces or line breaks inside",
  );
});

test("isLoopbackHost() knows 127/8, ::1 and localhost", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])
    assert.equal(isLoopbackHost(h), true, h);
  for (const h of ["0.0.0.0", "::", "10.0.0.1", "mk.example.com", "128.0.0.1"])
    assert.equal(isLoopbackHost(h), false, h);
});
