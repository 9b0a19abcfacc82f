// The API server's admission rules in process (no Docker): token, browser checks, methods, sizes,
// and the same rules on upgraded connections (exec, port-forward) as on JSON routes.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LocalApi } from "../../src/api/local.ts";
import { admissionError, createApiServer, MAX_BODY } from "../../src/api/server.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { Store } from "../../src/store/store.ts";

const TOKEN = "unit-test-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "mk-api-sec-"));
let server: Server;
let store: Store;
let port = 0;
let base = "";

before(async () => {
  store = Store.open(join(dir, "state.db"));
  server = createApiServer({
    api: new LocalApi(store),
    log: silentLogger,
    ready: () => true,
    security: { token: TOKEN, listenHost: "127.0.0.1" },
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const a = server.address();
  port = typeof a === "object" && a ? a.port : 0;
  base = `http://127.0.0.1:${port}`;
});
after(() => {
  server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

/** A raw request, for headers fetch will not send (Upgrade, a lying content-length). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", method, path, headers }, (res) => {
      let text = "";
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, text: "" });
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("an upgrade (exec, port-forward) without the token is refused like any route", async () => {
  const r = await raw("POST", "/api/v1/pods/web/exec?command=sh", {
    connection: "Upgrade",
    upgrade: "mk-exec",
    "content-length": "0",
  });
  assert.equal(r.status, 401);
  const foreign = await raw("POST", "/api/v1/pods/web/exec?command=sh", {
    ...auth,
    connection: "Upgrade",
    upgrade: "mk-exec",
    host: "rebind.example",
  });
  assert.equal(foreign.status, 403);
});

test("admissionError() applies the browser checks and the token to a bare request", () => {
  const req = (headers: Record<string, string>) =>
    ({ method: "POST", url: "/api/v1/pods/x/exec", headers, socket: { localPort: 7070 } }) as never;
  const security = { token: TOKEN, listenHost: "127.0.0.1" };
  assert.equal(admissionError(req({ host: "127.0.0.1:7070" }), security)?.httpStatus, 401);
  assert.equal(admissionError(req({ host: "evil.example", ...auth }), security)?.httpStatus, 403);
  assert.equal(
    admissionError(req({ host: "127.0.0.1:7070", origin: "http://evil.example", ...auth }), security)
      ?.httpStatus,
    403,
  );
  assert.equal(admissionError(req({ host: "127.0.0.1:7070", ...auth }), security), undefined);
  assert.equal(admissionError(req({ host: "127.0.0.1:7070" })), undefined, "no token configured: admitted");
});

test("HEAD answers like GET; OPTIONS gets 405 with Allow and no CORS headers", async () => {
  assert.equal((await fetch(`${base}/api/v1/pods`, { method: "HEAD", headers: auth })).status, 200);
  const o = await fetch(`${base}/api/v1/pods`, {
    method: "OPTIONS",
    headers: { ...auth, origin: base, "access-control-request-method": "POST" },
  });
  assert.equal(o.status, 405);
  assert.equal(o.headers.get("allow"), "GET");
  assert.equal(o.headers.get("access-control-allow-origin"), null);
  const p = await fetch(`${base}/api/v1/apply`, { method: "GET", headers: auth });
  assert.equal(p.status, 405);
  assert.equal(p.headers.get("allow"), "POST");
});

test("a body over the limit is refused with 413 from its content-length, before it is read", async () => {
  const r = await raw("POST", "/api/v1/apply", {
    ...auth,
    "content-type": "application/json",
    "content-length": String(MAX_BODY + 1),
  });
  assert.equal(r.status, 413);
  assert.match(r.text, /"message":"Request body over 20971520 bytes"/);
});

test("POST /api/v1/nodes with {taints: 5} answers 400 naming taints and stores nothing", async () => {
  const r = await fetch(`${base}/api/v1/nodes`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ name: "n1", docker: "ssh://root@10.0.0.5", taints: 5 }),
  });
  assert.equal(r.status, 400);
  const e = ((await r.json()) as { error: { code: string; message: string } }).error;
  assert.equal(e.code, "invalid_input");
  assert.equal(e.message, "Invalid request: request body taints: expected list, got number 5");
  assert.deepEqual(store.listNodes(), []);
  assert.deepEqual(store.listObjects("Node"), []);
});

test("/?token= sets the session cookie and redirects without the token; a wrong one gets 401", async () => {
  const ok = await fetch(`${base}/?token=${encodeURIComponent(TOKEN)}&x=1`, { redirect: "manual" });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/?x=1");
  const cookie = ok.headers.get("set-cookie") ?? "";
  assert.match(cookie, new RegExp(`^mk_session_${port}=[^;]+; Path=/; HttpOnly; SameSite=Strict$`));
  const page = await fetch(`${base}/api/v1/pods`, { headers: { cookie: cookie.split(";")[0] ?? "" } });
  assert.equal(page.status, 200);
  const bad = await fetch(`${base}/?token=wrong`, { redirect: "manual" });
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get("set-cookie"), null);
});
