// The API as an attacker and a careless operator meet it, against a real `mk server`: forged
// browser requests (text/plain with a foreign Origin, DNS rebinding), the bearer token (CLI and
// curl-like), a non-loopback listen without a token, TLS end to end with the CLI and a self-signed
// CA, a runaway `mk sql` that must not freeze heartbeats or the lease, and the status page with a
// token in headless Chromium, plus pages on other origins trying to create a pod.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import type { Browser } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { freePort, MAIN, Sandbox, waitFor } from "./harness.ts";

const TSX = import.meta.resolve("tsx");
const TOKEN = "s3cr3t-t0ken+with/base64=chars0123456789";
const POD = (name: string) => `apiVersion: mk/v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers:
    - name: main
      image: mk.local/busybox:1
      command: ["sleep", "3600"]
`;

let box: Sandbox;
let url = "";
let server: { proc: ChildProcess; logs: () => string };
const procs: ChildProcess[] = [];
let browser: Browser | undefined;
let attacker: Server | undefined;

const auth = { authorization: `Bearer ${TOKEN}` };

async function objects(): Promise<string[]> {
  const r = await fetch(`${url}/api/v1/sql`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ query: "select kind || '/' || name as o from objects order by o" }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { rows: { o: string }[] }).rows.map((x) => x.o);
}

/** Starts `mk server` with `args`, waits for /readyz over `scheme`. */
async function startServer(
  sandbox: Sandbox,
  args: string[],
  opts: { scheme?: "http" | "https"; ca?: string; env?: Record<string, string> } = {},
): Promise<{ url: string; proc: ChildProcess; logs: () => string }> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    ["--import", TSX, MAIN, "server", "--listen", `127.0.0.1:${port}`, "--log-format", "json", ...args],
    { cwd: sandbox.dir, env: sandbox.env(opts.env ?? {}), stdio: ["ignore", "pipe", "pipe"] },
  );
  procs.push(proc);
  let logs = "";
  proc.stdout?.on("data", (d) => {
    logs += d;
  });
  proc.stderr?.on("data", (d) => {
    logs += d;
  });
  const base = `${opts.scheme ?? "http"}://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`mk server exited ${proc.exitCode}: ${logs}`);
      const out = execFileSync(
        "curl",
        [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          ...(opts.ca ? ["--cacert", opts.ca] : []),
          `${base}/readyz`,
        ],
        { encoding: "utf8" },
      ).trim();
      return out === "200";
    },
    30_000,
    `mk server ${base}/readyz`,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}\n${logs}`);
  });
  return { url: base, proc, logs: () => logs };
}

before(async () => {
  box = new Sandbox();
  writeFileSync(join(box.dir, "token"), `${TOKEN}\n`);
  const s = await startServer(box, [
    "--no-local-node",
    "--token-file",
    join(box.dir, "token"),
    "--sql-timeout",
    "2s",
    "--lease",
    "3s",
  ]);
  url = s.url;
  server = s;
});

after(async () => {
  await browser?.close();
  attacker?.close();
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  await box?.cleanup();
});

test("a text/plain POST with a foreign Origin is refused and creates nothing; so is one without JSON", async () => {
  const body = JSON.stringify({ manifests: [{ file: "x.yaml", text: POD("forged") }] });
  const forged = await fetch(`${url}/api/v1/apply`, {
    method: "POST",
    headers: { ...auth, "content-type": "text/plain", origin: "http://evil.example" },
    body,
  });
  assert.equal(forged.status, 403);
  assert.equal(((await forged.json()) as { error: { code: string } }).error.code, "forbidden_origin");
  const plain = await fetch(`${url}/api/v1/apply`, {
    method: "POST",
    headers: { ...auth, "content-type": "text/plain" },
    body,
  });
  assert.equal(plain.status, 415);
  const form = await fetch(`${url}/api/v1/apply`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  assert.equal(form.status, 415);
  assert.equal(forged.headers.get("access-control-allow-origin"), null);
  assert.deepEqual(await objects(), []);
});

test("a DNS-rebinding Host is refused on reads and writes; IP literals and localhost are served", async () => {
  const r = execFileSync(
    "curl",
    [
      "-s",
      "-w",
      "\n%{http_code}",
      "-H",
      "Host: rebind.attacker.example",
      "-H",
      `Authorization: Bearer ${TOKEN}`,
      `${url}/api/v1/pods`,
    ],
    { encoding: "utf8" },
  );
  assert.match(r, /"code":"forbidden_host"/);
  assert.match(r, /\n403$/);
  const port = new URL(url).port;
  const local = execFileSync(
    "curl",
    [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      `Authorization: Bearer ${TOKEN}`,
      `http://localhost:${port}/api/v1/pods`,
    ],
    { encoding: "utf8" },
  );
  assert.equal(local, "200");
});

test("with a token every route but /healthz, /livez and /readyz wants it: 401 with WWW-Authenticate", async () => {
  for (const p of ["/healthz", "/livez", "/readyz"]) assert.equal((await fetch(`${url}${p}`)).status, 200, p);
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 401);
  assert.equal(page.headers.get("www-authenticate"), 'Bearer realm="mk"');
  assert.match(await page.text(), /^This mk server needs its API token: open \/\?token=<token> once/);
  for (const p of ["/api/v1/pods", "/api/v1/status", "/metrics", "/api/v1/history", "/api/v1/nope"]) {
    const r = await fetch(`${url}${p}`);
    assert.equal(r.status, 401, p);
    assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="mk"');
    const e = ((await r.json()) as { error: { code: string; message: string } }).error;
    assert.equal(e.code, "unauthorized");
    assert.match(e.message, /^Authentication required: send Authorization: Bearer <token>/);
  }
  const wrong = await fetch(`${url}/api/v1/pods`, {
    headers: { authorization: "Bearer not-the-token-0123456789" },
  });
  assert.equal(wrong.status, 401);
  assert.equal(
    ((await wrong.json()) as { error: { message: string } }).error.message,
    "Authentication failed: the token is not valid",
  );
  assert.equal((await fetch(`${url}/api/v1/pods`, { headers: auth })).status, 200);
  assert.equal((await fetch(`${url}/metrics`, { headers: auth })).status, 200);
});

test("the CLI sends MK_TOKEN or --token-file; without either it gets a clear 401", async () => {
  const file = join(box.dir, "pod.yaml");
  writeFileSync(file, POD("viacli"));
  const none = await box.mk(["get", "pods", "--server", url]);
  assert.equal(none.code, 1);
  assert.match(
    none.stderr,
    /^error: Authentication required: send Authorization: Bearer <token> \(the CLI reads MK_TOKEN or --token-file\)/,
  );
  await box.ok(["apply", "-f", file, "--no-wait", "--server", url, "--token-file", join(box.dir, "token")]);
  const out = await box.ok(["get", "pods", "-o", "json", "--server", url], { env: { MK_TOKEN: TOKEN } });
  // get -o json prints a Kubernetes List (docs/cli.md, "Which output is which").
  assert.deepEqual(
    (JSON.parse(out) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name),
    ["viacli"],
  );
  const short = await box.mk(["get", "pods", "--server", url], { env: { MK_TOKEN: "short" } });
  assert.equal(short.code, 2);
  assert.match(short.stderr, /MK_TOKEN: expected a token of at least 16 characters/);
});

test("the token appears in no log line", () => {
  assert.ok(server.logs().length > 0);
  assert.ok(!server.logs().includes(TOKEN), "the server logged its token");
});

test("mk server refuses a non-loopback listen without a token (exit 2, how to make one), warns with one", async () => {
  const other = new Sandbox();
  try {
    const r = await other.mk(["server", "--listen", "0.0.0.0:0", "--no-local-node"], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^error: Cannot listen on 0\.0\.0\.0:0 without an API token: .*make one with: head -c 32 \/dev\/urandom \| base64 > token; mk server --token-file token/,
    );
    const bad = await other.mk(["server", "--lease", "0", "--no-local-node"], { timeoutMs: 30_000 });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), "error: --lease 0: expected a duration from 1s to 10m");
    // With a token it starts, and says that the token would cross the network unencrypted.
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        "--import",
        TSX,
        MAIN,
        "server",
        "--listen",
        `0.0.0.0:${port}`,
        "--no-local-node",
        "--log-format",
        "json",
      ],
      { cwd: other.dir, env: other.env({ MK_TOKEN: TOKEN }), stdio: ["ignore", "pipe", "pipe"] },
    );
    procs.push(proc);
    let logs = "";
    const collect = (d: Buffer) => {
      logs += d;
    };
    proc.stdout?.on("data", collect);
    proc.stderr?.on("data", collect);
    await waitFor(async () => logs.includes("travels unencrypted"), 30_000, "the plain-HTTP warning");
    assert.match(
      logs,
      /"level":"warn","msg":"The API token travels unencrypted on 0\.0\.0\.0:\d+: serve HTTPS/,
    );
    assert.ok(!logs.includes(TOKEN));
    proc.kill("SIGKILL");
  } finally {
    await other.cleanup();
  }
});

test("TLS end to end: mk server --tls-cert/--tls-key, the CLI with --ca-file or MK_CA over https://", async () => {
  const tlsBox = new Sandbox();
  try {
    const cert = join(tlsBox.dir, "cert.pem");
    const key = join(tlsBox.dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=mk-test",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    writeFileSync(join(tlsBox.dir, "token"), TOKEN);
    const s = await startServer(
      tlsBox,
      ["--no-local-node", "--token-file", join(tlsBox.dir, "token"), "--tls-cert", cert, "--tls-key", key],
      { scheme: "https", ca: cert },
    );
    assert.match(s.url, /^https:/);
    const file = join(tlsBox.dir, "pod.yaml");
    writeFileSync(file, POD("overtls"));
    const tokenFlags = ["--token-file", join(tlsBox.dir, "token")];
    await tlsBox.ok(["apply", "-f", file, "--no-wait", "--server", s.url, "--ca-file", cert, ...tokenFlags]);
    const pods = JSON.parse(
      await tlsBox.ok(["get", "pods", "-o", "json", "--server", s.url, ...tokenFlags], {
        env: { MK_CA: cert },
      }),
    ) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(
      pods.items.map((p) => p.metadata.name),
      ["overtls"],
    );
    const sql = await tlsBox.ok([
      "sql",
      "select name from pods",
      "--server",
      s.url,
      "--ca-file",
      cert,
      ...tokenFlags,
    ]);
    assert.match(sql, /overtls/);
    // Without the CA the certificate is not trusted, and the CLI says so.
    const untrusted = await tlsBox.mk(["get", "pods", "--server", s.url, ...tokenFlags]);
    assert.equal(untrusted.code, 3);
    assert.match(
      untrusted.stderr,
      /^error: Cannot reach mk server at https:\/\/127\.0\.0\.1:\d+: .*(self-signed|certificate)/,
    );
    // Plain HTTP to a TLS port gets nothing useful.
    const plain = await tlsBox.mk([
      "get",
      "pods",
      "--server",
      s.url.replace("https:", "http:"),
      ...tokenFlags,
    ]);
    assert.notEqual(plain.code, 0);
    assert.ok(!s.logs().includes(TOKEN));
  } finally {
    await tlsBox.cleanup();
  }
});

test("a runaway recursive CTE is stopped at --sql-timeout while /healthz answers and the lease is renewed", async () => {
  const db = new Database(box.state, { readonly: true });
  const renewedAt = () =>
    (db.prepare("select renewed_at as r from leases where name = 'controller'").get() as { r: number }).r;
  try {
    const r0 = renewedAt();
    const query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    const t0 = Date.now();
    const running = box.mk(["sql", query, "--server", url], { env: { MK_TOKEN: TOKEN } });
    let worst = 0;
    let polls = 0;
    while (Date.now() - t0 < 1800) {
      const s = performance.now();
      const h = await fetch(`${url}/healthz`);
      assert.equal(h.status, 200);
      worst = Math.max(worst, performance.now() - s);
      polls++;
      await new Promise((res) => setTimeout(res, 100));
    }
    const r1 = renewedAt();
    const res = await running;
    const took = Date.now() - t0;
    assert.equal(res.code, 1, res.stderr);
    assert.equal(
      res.stderr.trim(),
      "error: Cannot run SQL: the query ran longer than 2s and was stopped (the time limit: --timeout on mk sql, --sql-timeout on mk server)",
    );
    assert.ok(took < 15_000, `took ${took} ms`);
    assert.ok(polls >= 10, `${polls} health polls`);
    assert.ok(worst < 500, `/healthz took ${worst} ms during the query`);
    // --lease 3s renews every second: at least once while the query ran.
    assert.ok(r1 > r0, `lease not renewed during the query (${r0} -> ${r1})`);
    // The query process is gone.
    let children = "";
    try {
      children = execFileSync("ps", ["-o", "args=", "--ppid", String(server.proc.pid)], { encoding: "utf8" });
    } catch {
      children = ""; // ps exits 1 when there are none
    }
    assert.ok(!children.includes("__mk-sql-child"), children);
    // A write pragma says it is refused because mk sql is read-only.
    const pragma = await box.mk(["sql", "PRAGMA journal_mode = DELETE", "--server", url], {
      env: { MK_TOKEN: TOKEN },
    });
    assert.equal(pragma.code, 1);
    assert.match(pragma.stderr, /changes the database or the connection, and mk sql is read-only/);
  } finally {
    db.close();
  }
});

test("the status page works with a token in Chromium, and other origins cannot create a pod", async () => {
  // A name that resolves to this server, as DNS rebinding would make it.
  browser = await launchChromium(["--host-resolver-rules=MAP rebind.test 127.0.0.1"]);
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(err.message));
  const res = await page.goto(`${url}/?token=${encodeURIComponent(TOKEN)}`);
  assert.equal(res?.status(), 200);
  assert.equal(page.url(), `${url}/`, "the token stays in the URL");
  await waitFor(
    async () => (await page.locator('tr[data-pod="viacli"]').count()) > 0,
    20_000,
    "pod viacli on the status page",
  );
  assert.equal(await page.evaluate("document.cookie"), "", "the session cookie is readable by scripts");
  const cookies = await context.cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0]?.httpOnly, true);
  assert.equal(cookies[0]?.sameSite, "Strict");
  assert.ok(!cookies[0]?.value.includes(TOKEN));
  assert.deepEqual(problems, []);
  // A wrong token is refused and sets nothing.
  const freshContext = await browser.newContext();
  const fresh = await freshContext.newPage();
  assert.equal((await fresh.goto(`${url}/?token=wrong-token-0123456789`))?.status(), 401);
  assert.deepEqual(await freshContext.cookies(), []);
  await freshContext.close();

  // The attacker: a page on another port of the same host (same site, so the SameSite=Strict
  // cookie would ride along) that posts a pod by fetch (no-cors, text/plain) and by a form.
  const attackerPort = await freePort();
  const yaml = JSON.stringify(JSON.stringify({ manifests: [{ file: "x.yaml", text: POD("pwned") }] }));
  const html = `<!doctype html><html><body>
<form id="f" method="POST" action="${url}/api/v1/apply" enctype="text/plain" target="sink">
<input name='{"manifests":[{"file":"x.yaml","text":"${POD("pwnedform").replace(/\n/g, "\\n").replace(/"/g, "&quot;")}"}],"x":"' value='"}'>
</form><iframe name="sink"></iframe>
<script>
fetch(${JSON.stringify(`${url}/api/v1/apply`)}, {method: "POST", mode: "no-cors", credentials: "include", headers: {"content-type": "text/plain"}, body: ${yaml}})
  .then(() => { window.fetchDone = "sent"; }, (e) => { window.fetchDone = "error " + e; });
fetch(${JSON.stringify(`${url}/api/v1/pods`)}, {credentials: "include"})
  .then((r) => r.text()).then((t) => { window.readDone = "read " + t; }, (e) => { window.readDone = "blocked"; });
document.getElementById("f").submit();
</script></body></html>`;
  attacker = createServer((_req, r) => r.writeHead(200, { "content-type": "text/html" }).end(html));
  attacker.listen(attackerPort, "127.0.0.1");
  await once(attacker, "listening");
  const evil = await context.newPage(); // same context: it holds the session cookie
  await evil.goto(`http://127.0.0.1:${attackerPort}/`);
  await waitFor(
    async () => (await evil.evaluate("window.fetchDone && window.readDone")) as boolean,
    10_000,
    "attacker requests",
  );
  assert.equal(await evil.evaluate("window.readDone"), "blocked", "another origin read the pod list");
  await evil.waitForTimeout(1000); // let the form post land
  // DNS rebinding from the browser: the name resolves to the server, the Host check refuses it.
  const rebound = await context.newPage();
  const rb = await rebound.goto(`http://rebind.test:${new URL(url).port}/api/v1/pods`);
  assert.equal(rb?.status(), 403);
  assert.match((await rb?.text()) ?? "", /forbidden_host/);
  assert.deepEqual(await objects(), ["Pod/viacli"]);
});
