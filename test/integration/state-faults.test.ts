// Faults of the state file: a full disk (a small tmpfs), a read-only file system (the same tmpfs
// remounted ro) and a corrupted file. Every time: a clear error naming the state and the cause,
// exit 3, never a stack trace, nothing half-written. On a full disk the server keeps serving reads
// (and /healthz) while writes fail, and carries on once the disk has room again; a read-only or
// corrupted state stops `mk server` from starting (exit 3).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { IMAGE, requireDocker, Sandbox, waitFor } from "./harness.ts";

let box: Sandbox;
let fsDir = "";
let mounted = false;

/** mount(8), directly as root or through passwordless sudo (CI runners). */
function mount(args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? "mount" : "sudo", asRoot ? args : ["-n", "mount", ...args], { stdio: "pipe" });
}

before(async () => {
  await requireDocker();
  box = new Sandbox();
  fsDir = join(box.dir, "fs");
  mkdirSync(fsDir);
  try {
    mount(["-t", "tmpfs", "-o", "size=4m", "tmpfs", fsDir]);
    mounted = true;
  } catch (err) {
    throw new Error(
      `Cannot mount a 4 MiB tmpfs for the full-disk test (needs root or sudo -n): ${(err as Error).message}`,
    );
  }
});
after(async () => {
  await box?.cleanup().catch(() => undefined);
  if (mounted) {
    try {
      const asRoot = process.getuid?.() === 0;
      execFileSync(asRoot ? "umount" : "sudo", asRoot ? ["-l", fsDir] : ["-n", "umount", "-l", fsDir]);
    } catch {
      // already gone
    }
  }
});

const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sleep", "3600"]
`;

function fill(): string {
  const file = join(fsDir, "filler");
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: the disk is full
  } finally {
    closeSync(fd);
  }
  return file;
}

test("a full disk: apply exits 3 saying so, writes nothing; the server keeps serving and recovers", async () => {
  const state = join(fsDir, "state.db");
  const env = { MK_STATE: state };
  writeFileSync(join(box.dir, "a.yaml"), pod("first"));
  writeFileSync(join(box.dir, "b.yaml"), pod("second"));
  const srv = await box.server(["--resync", "1s"], env);
  const applied = await fetch(`${srv.url}/api/v1/apply`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ manifests: [{ file: "a.yaml", text: pod("first") }] }),
  });
  assert.equal(applied.status, 200);
  const filler = fill();

  // Through the server: a clear 5xx, no stack; reads and health go on.
  const r = await fetch(`${srv.url}/api/v1/apply`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ manifests: [{ file: "b.yaml", text: pod("second") }] }),
  });
  const body = (await r.json()) as { error: { code: string; message: string } };
  assert.ok(r.status >= 500, `status ${r.status}`);
  assert.equal(body.error.code, "state_error");
  assert.match(
    body.error.message,
    /^Cannot write the state database .*state\.db: the disk is full \(.*\); nothing was written$/,
  );
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  const pods = (await (await fetch(`${srv.url}/api/v1/pods`)).json()) as { name: string }[];
  assert.deepEqual(
    pods.map((p) => p.name),
    ["first"],
  );

  // Without the server (same state): exit 3, one line, nothing written.
  const cli = await box.mk(["apply", "-f", join(box.dir, "b.yaml"), "--no-wait"], {
    env: { MK_STATE: state, MK_SERVER: "" },
  });
  assert.equal(cli.code, 3, cli.stderr);
  assert.match(cli.stderr, /^error: Cannot (write|open) the state database .*state\.db: the disk is full/);
  assert.doesNotMatch(cli.stderr, /\n\s+at /, "no stack trace");
  assert.equal(srv.proc.exitCode, null, "the server is still running");

  // Room again: the rejected write is absent, and the server takes writes and reconciles.
  rmSync(filler);
  // Polled through the API, not a CLI process per look (each costs seconds of start-up on a busy machine).
  const podsNow = async () =>
    (await (await fetch(`${srv.url}/api/v1/pods`)).json()) as { name: string; phase: string }[];
  const after = await podsNow();
  assert.deepEqual(
    after.map((p) => p.name),
    ["first"],
    "the refused apply left nothing behind",
  );
  await box.ok(["apply", "-f", join(box.dir, "b.yaml"), "--server", srv.url, "--no-wait"]);
  await waitFor(
    async () => {
      const list = await podsNow();
      return list.length === 2 && list.every((p) => p.phase === "Running");
    },
    60_000,
    "both pods running after the disk has room again",
  );
  const exited = new Promise((r) => srv.proc.once("exit", r));
  srv.proc.kill("SIGTERM");
  await exited; // a writer still holding the file would keep the remount below from succeeding
});

test("a read-only file system: commands and mk server exit 3 saying so, never a stack trace", async () => {
  const state = join(fsDir, "state.db"); // from the test above
  mount(["-o", "remount,ro", fsDir]);
  try {
    const env = { MK_STATE: state };
    writeFileSync(join(box.dir, "c.yaml"), pod("third"));
    const w = await box.mk(["apply", "-f", join(box.dir, "c.yaml"), "--no-wait"], { env });
    assert.equal(w.code, 3, w.stderr);
    assert.match(w.stderr, /^error: Cannot (write|open) the state database .*state\.db: it is read-only/);
    assert.doesNotMatch(w.stderr, /\n\s+at /);
    // SQLite must write its WAL index even to read a WAL database: reads fail the same clear way,
    // and so does mk server (documented in docs/reliability.md).
    const r = await box.mk(["get", "pods"], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: Cannot open the state database .*state\.db: it is read-only/);
    const srv = await box.mk(["server", "--listen", "127.0.0.1:0"], { env, timeoutMs: 60_000 });
    assert.equal(srv.code, 3, srv.stdout + srv.stderr);
    assert.match(srv.stdout + srv.stderr, /Cannot open the state database .*state\.db: it is read-only/);
  } finally {
    mount(["-o", "remount,rw", fsDir]);
  }
});

test("a corrupted state: every command exits 3 naming it, and mk server refuses to start", async () => {
  const good = join(fsDir, "state.db");
  const bad = join(box.dir, "corrupt.db");
  copyFileSync(good, bad);
  const fd = openSync(bad, "r+");
  writeSync(fd, Buffer.from("this is not SQLite at all"), 0, 25, 0);
  closeSync(fd);
  const env = { MK_STATE: bad };
  writeFileSync(join(box.dir, "c.yaml"), pod("third"));
  for (const args of [
    ["get", "pods"],
    ["apply", "-f", join(box.dir, "c.yaml"), "--no-wait"],
  ]) {
    const r = await box.mk(args, { env });
    assert.equal(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^error: Cannot open the state database .*corrupt\.db: it is corrupted \(file is not a database\); restore it from a backup/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const s = await box.mk(["server", "--listen", "127.0.0.1:0"], { env, timeoutMs: 60_000 });
  assert.equal(s.code, 3, s.stdout + s.stderr);
  assert.match(s.stdout + s.stderr, /Cannot open the state database .*corrupt\.db: it is corrupted/);
});
