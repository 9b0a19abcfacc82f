// Integration test of the multi-host lab (scripts/lab): two fake Docker hosts reached the way mk reaches real
// ones — one ssh2 connection per node, host key checked against the lab known_hosts, Docker's HTTP API spoken over
// an OpenSSH stream-local forward to /var/run/docker.sock. Then the failure tools: node-kill, node-reboot,
// node-link. Needs root and the host dockerd (scripts/setup.sh --extras). Run:
//   node --import tsx --test test/integration/lab.test.ts
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Client } from "ssh2";

const run = promisify(execFile);
const LAB = "/tmp/mk-lab";
const SCRIPTS = fileURLToPath(new URL("../../scripts/lab/", import.meta.url));
const addr = (i: number) => `10.231.0.${10 + i}`;
const VICTIM = "mklab-test-victim";

async function lab(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [SCRIPTS + script, ...args], { timeout: 60_000 });
  return stdout.trim();
}

/** The raw public key blob known_hosts lists for addr (what ssh2 hands to hostVerifier). */
function knownHostKey(address: string): Buffer {
  for (const line of readFileSync(`${LAB}/ssh/known_hosts`, "utf8").split("\n")) {
    const [host, type, b64] = line.split(" ");
    if (host === address && type === "ssh-ed25519" && b64) return Buffer.from(b64, "base64");
  }
  throw new Error(`no known_hosts entry for ${address}`);
}

const open: Client[] = [];
function connect(address: string, opts: { readyTimeout?: number; hostKey?: Buffer } = {}): Promise<Client> {
  const expected = opts.hostKey ?? knownHostKey(address);
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once("ready", () => {
      open.push(c);
      resolve(c);
    });
    c.once("error", reject);
    c.on("error", () => {}); // later errors (node killed under us) are asserted through requests, not thrown
    c.connect({
      host: address,
      port: 22,
      username: "root",
      privateKey: readFileSync(`${LAB}/ssh/id_ed25519`),
      hostVerifier: (key: Buffer) => key.equals(expected),
      readyTimeout: opts.readyTimeout ?? 5000,
    });
  });
}

/** GET path from the node's Docker API over one stream-local channel; HTTP/1.0 so the daemon closes when done. */
function dockerGet(c: Client, path: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    try {
      c.openssh_forwardOutStreamLocal("/var/run/docker.sock", (err, stream) => {
        if (err) return fail(err);
        const chunks: Buffer[] = [];
        stream.on("data", (d: Buffer) => chunks.push(d));
        stream.on("error", fail);
        stream.on("close", () => {
          clearTimeout(timer);
          const raw = Buffer.concat(chunks).toString("utf8");
          const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
          const sep = raw.indexOf("\r\n\r\n");
          if (!m || sep < 0)
            return reject(new Error(`GET ${path}: bad HTTP response ${JSON.stringify(raw)}`));
          resolve({ status: Number(m[1]), body: raw.slice(sep + 4) });
        });
        stream.end(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`);
      });
    } catch (e) {
      fail(e as Error); // ssh2 throws synchronously when the connection is already gone
    }
  });
}

async function ping(c: Client): Promise<void> {
  const r = await dockerGet(c, "/_ping");
  assert.equal(r.status, 200);
  assert.equal(r.body, "OK");
}

before(async () => {
  assert.equal(
    process.getuid?.(),
    0,
    "the lab needs root (network namespaces); scripts/test.sh runs as root",
  );
  const t0 = Date.now();
  console.log(await lab("nodes-up.sh", "2"));
  console.log(`# nodes-up 2: ${Date.now() - t0} ms`);
});

after(async () => {
  for (const c of open) c.end();
  const t0 = Date.now();
  console.log(await lab("nodes-down.sh"));
  console.log(`# nodes-down: ${Date.now() - t0} ms`);
});

test("each node answers Docker over SSH, as itself, behind its own host key", {
  timeout: 20_000,
}, async () => {
  const nodes = readFileSync(`${LAB}/nodes.txt`, "utf8").trim().split("\n");
  assert.deepEqual(nodes.slice(0, 2), [
    `mklab-n1 ${addr(1)} ssh://root@${addr(1)} unix://${LAB}/n1/docker.sock`,
    `mklab-n2 ${addr(2)} ssh://root@${addr(2)} unix://${LAB}/n2/docker.sock`,
  ]);
  const ids = new Set<string>();
  for (const i of [1, 2]) {
    const c = await connect(addr(i));
    await ping(c);
    const info = JSON.parse((await dockerGet(c, "/info")).body) as { Name: string; ID: string };
    assert.equal(info.Name, `mklab-n${i}`);
    ids.add(info.ID);
  }
  assert.equal(ids.size, 2, "each node has its own engine ID");
  // Per-node host keys: n2 must not pass for n1.
  assert.ok(!knownHostKey(addr(1)).equals(knownHostKey(addr(2))));
  await assert.rejects(connect(addr(2), { hostKey: knownHostKey(addr(1)) }), /verification failed/i);
});

test("node-kill stops the node; node-reboot brings it back with its old container Exited", {
  timeout: 30_000,
}, async () => {
  const sock = `unix://${LAB}/n1/docker.sock`;
  await run("docker", ["-H", sock, "rm", "-f", VICTIM]).catch(() => {});
  await run("docker", ["-H", sock, "run", "-d", "--name", VICTIM, "mk.local/busybox:1", "sleep", "600"]);
  const c = await connect(addr(1));
  await ping(c);
  const n2 = await connect(addr(2));

  const tk = Date.now();
  const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
  console.log(await lab("node-kill.sh", "1"));
  console.log(`# node-kill: ${Date.now() - tk} ms`);
  await assert.rejects(ping(c), "the open connection no longer reaches a daemon");
  await closed; // sshd died with the node, so the TCP connection is gone, not hung
  await assert.rejects(connect(addr(1), { readyTimeout: 3000 }), /ECONNREFUSED/);
  await ping(n2); // the other node is untouched

  const tr = Date.now();
  console.log(await lab("node-reboot.sh", "1"));
  console.log(`# node-reboot: ${Date.now() - tr} ms`);
  const c2 = await connect(addr(1));
  await ping(c2);
  const filters = encodeURIComponent(JSON.stringify({ name: [VICTIM] }));
  const list = JSON.parse((await dockerGet(c2, `/containers/json?all=1&filters=${filters}`)).body) as {
    State: string;
    Status: string;
  }[];
  assert.equal(list.length, 1);
  assert.equal(list[0]!.State, "exited", `after the crash: ${list[0]!.Status}`);
});

test("node-link down makes connects fail within readyTimeout; up heals", {
  timeout: 30_000,
}, async () => {
  await ping(await connect(addr(1)));
  console.log(await lab("node-link.sh", "1", "down"));
  try {
    const t0 = Date.now();
    await assert.rejects(connect(addr(1), { readyTimeout: 2000 }));
    const took = Date.now() - t0;
    console.log(`# connect to a cut-off node failed after ${took} ms`);
    assert.ok(took < 4000, `bounded by readyTimeout, took ${took} ms`);
    await ping(await connect(addr(2))); // a partition of n1 only
  } finally {
    console.log(await lab("node-link.sh", "1", "up"));
  }
  const t1 = Date.now();
  for (;;) {
    try {
      await ping(await connect(addr(1), { readyTimeout: 2000 }));
      break;
    } catch (e) {
      if (Date.now() - t1 > 10_000) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  console.log(`# first good ping after link up: ${Date.now() - t1} ms`);
});
