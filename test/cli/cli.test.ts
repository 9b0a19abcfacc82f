// The CLI as a user runs it: exit codes, error messages naming file:line:field, nothing written
// on bad input, stdin manifests, -o json records. No Docker needed (apply --no-wait / --dry-run).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { PRODUCT_COMMANDS } from "./commands.ts";

const MAIN = resolve(import.meta.dirname, "../../src/main.ts");
const TSX = import.meta.resolve("tsx");
const dir = mkdtempSync(join(tmpdir(), "mk-cli-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function mk(args: string[], input = "", state = join(dir, "state.db")) {
  const r = spawnSync(process.execPath, ["--import", TSX, MAIN, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, MK_STATE: state, MK_SERVER: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const POD =
  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: c\n      image: mk.local/busybox:1\n";

test("mk --help lists every command and the exit codes; --version prints the version", () => {
  const h = mk(["--help"]);
  assert.equal(h.code, 0);
  for (const c of PRODUCT_COMMANDS) assert.match(h.stdout, new RegExp(`\\n  ${c}`));
  assert.match(h.stdout, /Exit codes:/);
  assert.match(mk(["--version"]).stdout, /^mk\/\d+\.\d+\.\d+/);
});

test("usage errors exit 2; an unknown podset exits 1 naming it", () => {
  assert.equal(mk(["frobnicate"]).code, 2);
  const bad = mk(["get", "pods", "--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown flag --bogus; run mk get --help/);
  const typed = mk(["delete", "pod", "x", "--grace-perod", "3"]);
  assert.equal(typed.code, 2);
  assert.match(typed.stderr, /Unknown flag --grace-perod/, "named as typed, not camelCased");
  assert.equal(mk(["apply"]).code, 2);
  const noAction = mk(["rollout", "frobnicate", "podset/web"]);
  assert.equal(noAction.code, 2);
  assert.match(noAction.stderr, /mk rollout needs one of status, history, undo, pause, resume, restart/);
  assert.equal(mk(["rollout", "status", "pod/web"]).code, 2);
  assert.equal(mk(["set", "image", "podset/web"]).code, 2);
  const r = mk(["rollout", "status", "podset/web"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error from server \(NotFound\): podsets "web" not found/);
});

test("mk server refuses an SSH keepalive shorter than the node grace before it starts (exit 2, naming the flag)", () => {
  const r = mk([
    "server",
    "--listen",
    "127.0.0.1:0",
    "--ssh-keepalive-interval",
    "1s",
    "--ssh-keepalive-count",
    "2",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^error: --ssh-keepalive-count 2: 2 unanswered keepalives 1s apart \(2s\) must cover --node-grace \(4s\)/,
  );
  const c = mk(["server", "--listen", "127.0.0.1:0", "--ssh-docker-concurrency", "0"]);
  assert.equal(c.code, 2, c.stderr);
  assert.match(c.stderr, /--ssh-docker-concurrency 0: expected a whole number from 1 to 256/);
});

test("a bad manifest names file, line, column and field, exits 1, and writes nothing", () => {
  const state = join(dir, "bad.db");
  const file = join(dir, "bad.yaml");
  writeFileSync(
    file,
    `${POD}---\n${POD.replace("name: web", "name: ok").replace("image: mk.local/busybox:1", "image: mk.local/busybox:1\n      ports:\n        - containerPort: eighty")}`,
  );
  const r = mk(["apply", "-f", file, "--no-wait"], "", state);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `${file.replace(/[.]/g, "\\.")}:\\d+:\\d+ spec\\.containers\\[0\\]\\.ports\\[0\\]\\.containerPort: expected integer 1\\.\\.65535, got "eighty"`,
    ),
  );
  const rows = JSON.parse(mk(["sql", "select count(*) n from objects", "-o", "json"], "", state).stdout) as {
    n: number;
  }[];
  assert.equal(rows[0]?.n, 0, "nothing written: the good document was not applied either");
});

test("apply reads stdin, is idempotent, and diff exits 1 only when something would change", () => {
  const state = join(dir, "stdin.db");
  const a = mk(["apply", "-f", "-", "--no-wait"], POD, state);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /pod\/web created/);
  assert.match(mk(["apply", "-f", "-", "--no-wait"], POD, state).stdout, /pod\/web unchanged/);
  assert.equal(mk(["diff", "-f", "-"], POD, state).code, 0);
  const d = mk(["diff", "-f", "-"], POD.replace("busybox:1", "busybox:2"), state);
  assert.equal(d.code, 1);
  assert.match(d.stdout, /pod\/web would be configured/);
  assert.match(d.stdout, /image: "mk\.local\/busybox:1" -> "mk\.local\/busybox:2"/);
  const json = JSON.parse(mk(["apply", "-f", "-", "--dry-run", "-o", "json"], POD, state).stdout) as {
    kind: string;
    name: string;
    action: string;
  }[];
  assert.deepEqual(
    json.map((r) => [r.kind, r.name, r.action]),
    [["Pod", "web", "unchanged"]],
  );
});

test("duplicate names across files are refused, naming both places", () => {
  const a = join(dir, "a.yaml");
  const b = join(dir, "b.yaml");
  writeFileSync(a, POD);
  writeFileSync(b, POD);
  const r = mk(["apply", "-f", a, "-f", b, "--no-wait"], "", join(dir, "dup.db"));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /b\.yaml:\d+:\d+.*(duplicate|already)/i);
});

test("get -o json is a Kubernetes List whose items carry the flat record as status; sql refuses writes", () => {
  const state = join(dir, "json.db");
  mk(["apply", "-f", "-", "--no-wait"], POD, state);
  const list = JSON.parse(mk(["get", "pods", "-o", "json"], "", state).stdout) as {
    kind: string;
    items: {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      status: Record<string, unknown>;
    }[];
  };
  assert.equal(list.kind, "List");
  assert.equal(list.items.length, 1);
  const pod = list.items[0];
  assert.equal(pod?.apiVersion, "v1");
  assert.equal(pod?.kind, "Pod");
  assert.equal(pod?.metadata.name, "web");
  assert.equal(pod?.status.name, "web");
  const status = pod?.status ?? {};
  assert.ok("phase" in status && "restarts" in status && "containers" in status);
  const w = mk(["sql", "delete from objects"], "", state);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /read-only/);
});
