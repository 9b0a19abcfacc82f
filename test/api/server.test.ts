import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LocalApi } from "../../src/api/local.ts";
import { createApiServer } from "../../src/api/server.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { Store } from "../../src/store/store.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-api-test-"));
let server: Server;
let base = "";
let ready = false;
const POD =
  "apiVersion: mk/v1\nkind: Pod\nmetadata: { name: web }\nspec:\n  containers:\n    - name: c\n      image: mk.local/busybox:1\n";

before(async () => {
  const store = Store.open(join(dir, "state.db"));
  server = createApiServer({ api: new LocalApi(store), log: silentLogger, ready: () => ready });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(base + path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });

test("GET /healthz answers ok; /readyz answers 503 until the server leads", async () => {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 503);
  ready = true;
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});

test("POST /api/v1/apply creates, then reports unchanged; GET /api/v1/pods lists the pod", async () => {
  const r1 = await post("/api/v1/apply", { manifests: [{ file: "web.yaml", text: POD }] });
  assert.equal(r1.status, 200);
  assert.deepEqual(
    ((await r1.json()) as { action: string }[]).map((r) => r.action),
    ["created"],
  );
  const r2 = await post("/api/v1/apply", { manifests: [{ file: "web.yaml", text: POD }] });
  assert.deepEqual(
    ((await r2.json()) as { action: string }[]).map((r) => r.action),
    ["unchanged"],
  );
  const pods = (await (await fetch(`${base}/api/v1/pods`)).json()) as { name: string; phase: string }[];
  assert.deepEqual(
    pods.map((p) => [p.name, p.phase]),
    [["web", "Pending"]],
  );
});

test("a bad manifest answers 400 with every issue located in the client's file", async () => {
  const r = await post("/api/v1/apply", {
    manifests: [
      {
        file: "bad.yaml",
        text: POD.replace("name: web", "name: Web").replace("image: mk.local/busybox:1", "image: ''"),
      },
    ],
  });
  assert.equal(r.status, 400);
  const body = (await r.json()) as {
    error: { code: string; details: { issues: { file: string; line: number; path: string }[] } };
  };
  assert.equal(body.error.code, "invalid_manifest");
  assert.ok(body.error.details.issues.length >= 2);
  assert.ok(body.error.details.issues.every((i) => i.file === "bad.yaml" && i.line > 0));
});

test("unknown objects answer 404, wrong methods 405, bad bodies 400, SQL writes 400", async () => {
  assert.equal((await fetch(`${base}/api/v1/pods/nope`)).status, 404);
  assert.equal((await fetch(`${base}/api/v1/nope`)).status, 404);
  assert.equal((await fetch(`${base}/api/v1/pods`, { method: "DELETE" })).status, 405);
  const notJson = await fetch(`${base}/api/v1/apply`, {
    method: "POST",
    body: "{not json",
    headers: { "content-type": "application/json" },
  });
  assert.equal(notJson.status, 400);
  assert.equal((await post("/api/v1/apply", { wrong: true })).status, 400);
  const sql = await post("/api/v1/sql", { query: "drop table pods" });
  assert.equal(sql.status, 400);
  const ok = (await (await post("/api/v1/sql", { query: "select count(*) n from pods" })).json()) as {
    rows: { n: number }[];
  };
  assert.equal(ok.rows[0]?.n, 1);
});

test("POST /api/v1/podsets/NAME/scale answers 404 for an unknown podset and 400 without replicas", async () => {
  assert.equal((await post("/api/v1/podsets/none/scale", { replicas: 2 })).status, 404);
  assert.equal((await post("/api/v1/podsets/none/scale", {})).status, 400);
});

test("a malformed request URL answers 400 and the server keeps serving", async () => {
  const { connect } = await import("node:net");
  const port = Number(new URL(base).port);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () =>
      s.write("GET http://[x/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    let buf = "";
    s.on("data", (d) => {
      buf += d;
    });
    s.on("end", () => resolve(buf));
    s.on("error", reject);
  });
  assert.match(answer, /^HTTP\/1\.1 400/);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});
