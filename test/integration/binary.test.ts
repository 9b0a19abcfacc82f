// The single executable as a user gets it: dist/mk copied into an empty directory and run with
// no node, node_modules or source tree in reach (in a private mount namespace, node's binary is
// covered by /dev/null). Runs a pod on the real Docker engine, serves the API, checks the SQLite
// addon cache (reuse, read-only HOME, noexec and full-disk errors), then scripts/install.sh and
// the release tarball made by scripts/release.sh.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { docker, freePort, IMAGE, ROOT, removeContainers, requireDocker, waitFor } from "./harness.ts";

const DIST_MK = join(ROOT, "dist/mk");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const RUN_ID = process.env.MK_TEST_RUN_ID ?? `${Date.now()}-${process.pid}`;
const POD = `mk-bin-${RUN_ID.replace(/[^a-z0-9-]/g, "").slice(-20)}`.replace(/-+$/, "");

/** Newest mtime under a path (files only). */
function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

/** Builds dist/mk when it is missing or older than what goes into it. */
function ensureBuilt(): string {
  const inputs = ["src", "migrations", "package.json", "build.config.ts"].map((p) => newest(join(ROOT, p)));
  if (existsSync(DIST_MK) && statSync(DIST_MK).mtimeMs > Math.max(...inputs)) return "dist/mk is up to date";
  const t = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "build.config.ts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
  return `built dist/mk in ${((Date.now() - t) / 1000).toFixed(1)} s`;
}

/** Every `node` this machine has on PATH, plus the one running the tests, resolved. */
function nodeBinaries(): string[] {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat("/usr/local/bin", "/usr/bin", "/bin");
  const found = dirs.map((d) => join(d, "node")).filter((p) => existsSync(p));
  return [...new Set([process.execPath, ...found].map((p) => realpathSync(p)))];
}

/** Whether we may make a private mount namespace (root with CAP_SYS_ADMIN). */
function canUnshare(): boolean {
  return spawnSync("unshare", ["--mount", "true"]).status === 0;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), "mk-bin-"));
const MK = join(dir, "mk");
const HOME = join(dir, "home");
const TMP = join(dir, "tmp");
const uid = process.getuid?.() ?? 0;
const NS = canUnshare();
const NODES = nodeBinaries();
/** Without a mount namespace, PATH is an empty dir: no node there either. */
const EMPTY_BIN = join(dir, "empty-bin");
const SHELL_PATH = NS ? "/usr/bin:/bin" : EMPTY_BIN;

/**
 * Runs cmd in the sandbox: cwd = the temp dir, a minimal environment, and (when we may) a private
 * mount namespace where node is covered by /dev/null and `setup` mounts whatever a test needs.
 */
function start(cmd: string, args: string[], opts: { env?: Record<string, string>; setup?: string[] } = {}) {
  const env: Record<string, string> = { PATH: SHELL_PATH, HOME, TMPDIR: TMP, ...opts.env };
  if (!NS) {
    if (opts.setup?.length) throw new Error("this test needs a mount namespace (run as root)");
    return spawn(cmd, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  }
  const setup = [...NODES.map((n) => `mount --bind /dev/null ${n}`), ...(opts.setup ?? [])];
  const script = `set -e; ${setup.join("; ")}; exec "$0" "$@"`;
  return spawn(
    "/usr/bin/unshare",
    ["--mount", "--propagation", "private", "/bin/sh", "-c", script, cmd, ...args],
    {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

function run(cmd: string, args: string[], opts: Parameters<typeof start>[2] = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = start(cmd, args, opts);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const mk = (args: string[], opts: Parameters<typeof start>[2] = {}) => run(MK, args, opts);

async function mkOk(args: string[], opts: Parameters<typeof start>[2] = {}): Promise<string> {
  const r = await mk(args, opts);
  assert.equal(r.code, 0, `mk ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function addonFiles(cacheDir: string): string[] {
  return existsSync(cacheDir) ? readdirSync(cacheDir) : [];
}

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: ${POD}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sleep", "3600"]
`;

let server: ChildProcess | undefined;

describe("dist/mk (single executable)", { timeout: 600_000 }, () => {
  before(async () => {
    await requireDocker();
    const how = ensureBuilt();
    process.stdout.write(`# ${how}; mount namespace: ${NS ? `yes, hiding ${NODES.join(", ")}` : "no"}\n`);
    copyFileSync(DIST_MK, MK);
    chmodSync(MK, 0o755);
    for (const d of [HOME, TMP, EMPTY_BIN]) mkdirSync(d, { recursive: true });
    writeFileSync(join(dir, "pod.yaml"), POD_YAML);
  });

  after(async () => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    await removeContainers(`mk.pod=${POD}`);
    rmSync(dir, { recursive: true, force: true });
  });

  test("dist/mk --version runs with no node on PATH", async () => {
    const node = await run("/bin/sh", ["-c", "node --version"]);
    assert.notEqual(node.code, 0, `node still runs in the sandbox: ${node.stdout}`);
    const r = await mk(["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^mk/${VERSION.replace(/\./g, "\\.")} linux-x64`));
    assert.equal(r.stderr, "");
    assert.deepEqual(addonFiles(join(HOME, ".cache/mk")), [], "--version must not write the addon");
  });

  test("mk version prints version, commit, build date, node, sqlite and Docker API versions", async () => {
    const v = JSON.parse(await mkOk(["version", "-o", "json"])) as Record<string, unknown>;
    const engine = await docker.version();
    assert.equal(v.version, VERSION);
    assert.match(String(v.commit), /^([0-9a-f]{7,}|unknown)$/);
    assert.ok(!Number.isNaN(Date.parse(String(v.buildDate))), `buildDate ${v.buildDate}`);
    assert.match(String(v.node), /^v20\./);
    assert.match(String(v.sqlite), /^3\.\d+\.\d+$/);
    assert.equal(v.dockerApiVersion, engine.ApiVersion);
    assert.deepEqual(
      addonFiles(join(HOME, ".cache/mk")).filter((f) => f.endsWith(".node")).length,
      1,
      "the addon lands in ~/.cache/mk",
    );
  });

  test("mk apply -f runs a pod on the Docker engine and get pods shows it Running", async () => {
    const out = await mkOk(["apply", "-f", "pod.yaml", "--timeout", "90s"]);
    assert.match(out, new RegExp(`pod/${POD} created`));
    const pods = (
      JSON.parse(await mkOk(["get", "pods", "-o", "json"])) as {
        items: { status: { name: string; phase: string } }[];
      }
    ).items.map((i) => i.status);
    assert.equal(pods.find((p) => p.name === POD)?.phase, "Running", JSON.stringify(pods));
    const containers = await docker.listContainers({ filters: { label: [`mk.pod=${POD}`] } });
    assert.equal(containers.length, 1);
    assert.equal(containers[0]?.State, "running");
  });

  test("mk server serves /healthz and /api/v1/pods", async () => {
    const port = await freePort();
    server = start(MK, ["server", "--listen", `127.0.0.1:${port}`, "--log-format", "json"]);
    let logs = "";
    server.stdout?.on("data", (d) => {
      logs += d;
    });
    server.stderr?.on("data", (d) => {
      logs += d;
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (server?.exitCode !== null) throw new Error(`mk server exited ${server?.exitCode}: ${logs}`);
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200;
      },
      30_000,
      "mk server /healthz",
    );
    const res = await fetch(`${url}/api/v1/pods`);
    assert.equal(res.status, 200);
    const body = JSON.stringify(await res.json());
    assert.ok(body.includes(POD), body);
    const exited = new Promise((r) => server?.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  });

  test('mk sql "select name, phase from pods" reads the state', async () => {
    const rows = JSON.parse(await mkOk(["sql", "select name, phase from pods", "-o", "json"])) as {
      name: string;
      phase: string;
    }[];
    assert.deepEqual(
      rows.filter((r) => r.name === POD),
      [{ name: POD, phase: "Running" }],
    );
  });

  test("mk sql runs its query in a child of the executable itself: a runaway CTE stops at --timeout", async () => {
    const r = await mk([
      "sql",
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
      "--timeout",
      "1s",
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr.trim(),
      "error: Cannot run SQL: the query ran longer than 1s and was stopped (the time limit: --timeout on mk sql, --sql-timeout on mk server)",
    );
  });

  test("a second start reuses the cached addon (same file, mtime unchanged)", async () => {
    const cache = join(HOME, ".cache/mk");
    const [file] = addonFiles(cache);
    assert.ok(file, "addon cached");
    const before = statSync(join(cache, file));
    await mkOk(["get", "pods"]);
    const afterRun = statSync(join(cache, file));
    assert.deepEqual(addonFiles(cache), [file], "no temp files or second copies");
    assert.equal(afterRun.ino, before.ino);
    assert.equal(afterRun.mtimeMs, before.mtimeMs);
    assert.equal((statSync(cache).mode & 0o777).toString(8), "700");
  });

  test("a read-only HOME falls back to TMPDIR/mk-<uid>", async () => {
    if (uid === 0 && !NS) assert.fail("as root, needs a mount namespace to make HOME read-only");
    const ro = join(dir, "ro-home");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    // root ignores mode bits: make it read-only for real with a read-only bind mount.
    const setup = uid === 0 ? [`mount --bind ${ro} ${ro}`, `mount -o remount,bind,ro ${ro}`] : [];
    const out = await mkOk(["get", "pods"], { env: { HOME: ro }, setup });
    assert.match(out, new RegExp(POD));
    assert.equal(existsSync(join(ro, ".cache")), false);
    assert.equal(addonFiles(join(TMP, `mk-${uid}`)).filter((f) => f.endsWith(".node")).length, 1);
    assert.equal((statSync(join(TMP, `mk-${uid}`)).mode & 0o777).toString(8), "700");
  });

  test("a noexec cache dir falls back, and fails with one clear line when nothing else is left", async () => {
    if (!NS) assert.fail("needs a mount namespace (root) to mount a noexec tmpfs");
    const noexec = join(dir, "noexec");
    mkdirSync(noexec);
    const setup = [`mount -t tmpfs -o noexec,size=16m tmpfs ${noexec}`, `mkdir -p ${noexec}/tmp`];
    // XDG_CACHE_HOME on noexec, TMPDIR fine: works from the temp dir.
    await mkOk(["get", "pods"], { env: { XDG_CACHE_HOME: noexec }, setup });
    // Both on noexec: exit 3, one line naming the dir and the fix, no stack trace.
    const r = await mk(["get", "pods"], { env: { XDG_CACHE_HOME: noexec, TMPDIR: `${noexec}/tmp` }, setup });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^error: Cannot load the SQLite library mk carries: /);
    assert.ok(
      r.stderr.includes(`${noexec}/mk: cannot load a library from it, is it mounted noexec?`),
      r.stderr,
    );
    assert.match(
      r.stderr,
      /set XDG_CACHE_HOME to a writable directory on a file system mounted without noexec/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test("a full disk fails with one clear line naming the directory", async () => {
    if (!NS) assert.fail("needs a mount namespace (root) to mount a small tmpfs");
    const full = join(dir, "full");
    mkdirSync(full);
    // 1 MiB: smaller than the 2 MiB addon.
    const setup = [`mount -t tmpfs -o size=1m tmpfs ${full}`, `mkdir -p ${full}/tmp`];
    const r = await mk(["get", "pods"], { env: { XDG_CACHE_HOME: full, TMPDIR: `${full}/tmp` }, setup });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.ok(r.stderr.includes(`${full}/mk: no space left on device (ENOSPC)`), r.stderr);
    assert.match(r.stderr, /free some disk space, or set XDG_CACHE_HOME/);
  });

  test("mk delete -f removes the pod and its container", async () => {
    await mkOk(["delete", "-f", "pod.yaml", "--timeout", "60s"]);
    const left = await docker.listContainers({ all: true, filters: { label: [`mk.pod=${POD}`] } });
    assert.equal(left.length, 0);
  });

  describe("scripts/install.sh and scripts/release.sh", () => {
    const INSTALL = join(ROOT, "scripts/install.sh");
    const sh = (args: string[]) => spawnSync("bash", args, { encoding: "utf8", cwd: ROOT });
    const sha256 = (file: string) => spawnSync("sha256sum", [file], { encoding: "utf8" }).stdout.slice(0, 64);

    test("install.sh installs with the right SHA-256, then says already installed", () => {
      const prefix = join(dir, "prefix");
      const sum = sha256(MK);
      const first = sh([INSTALL, "--prefix", prefix, "--sha256", sum, MK]);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /^installed .*\/bin\/mk \(mk\/\d/);
      assert.equal(sha256(join(prefix, "bin/mk")), sum);
      const again = sh([INSTALL, "--prefix", prefix, "--sha256", sum, MK]);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /already installed/);
    });

    test("install.sh refuses a wrong SHA-256 and a missing one", () => {
      const prefix = join(dir, "prefix-bad");
      const bad = sh([INSTALL, "--prefix", prefix, "--sha256", "0".repeat(64), MK]);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /checksum mismatch/);
      assert.equal(existsSync(join(prefix, "bin/mk")), false);
      const none = sh([INSTALL, "--prefix", prefix, MK]);
      assert.notEqual(none.status, 0);
      assert.match(none.stderr, /no checksum/);
    });

    test("release.sh packs mk and README.md with a .sha256 that install.sh accepts", () => {
      const out = join(dir, "release");
      const formula = join(dir, "mk.rb");
      copyFileSync(join(ROOT, "packaging/homebrew/mk.rb"), formula);
      const rel = sh([join(ROOT, "scripts/release.sh"), "--skip-build", "--out", out, "--formula", formula]);
      assert.equal(rel.status, 0, rel.stderr);
      const tarball = join(out, `mk-${VERSION}-linux-x64.tar.gz`);
      const list = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" }).stdout.trim().split("\n");
      assert.ok(list.includes("mk"), list.join(","));
      assert.ok(list.includes("README.md"), list.join(","));
      const sum = sha256(tarball);
      assert.equal(readFileSync(`${tarball}.sha256`, "utf8"), `${sum}  mk-${VERSION}-linux-x64.tar.gz\n`);
      assert.ok(list.includes("CHANGELOG.md"), list.join(","));
      const npmTgz = `mk-orchestrator-${VERSION}.tgz`;
      assert.equal(
        readFileSync(join(out, "SHA256SUMS"), "utf8"),
        `${sum}  mk-${VERSION}-linux-x64.tar.gz\n${sha256(join(out, npmTgz))}  ${npmTgz}\n`,
      );
      const npmList = spawnSync("tar", ["-tzf", join(out, npmTgz)], { encoding: "utf8" }).stdout;
      assert.match(npmList, /package\/bin\/mk\.js/);
      assert.match(npmList, /package\/dist\/mk\.cjs/);
      const rb = readFileSync(formula, "utf8");
      assert.match(rb, new RegExp(`sha256 "${sum}"`));
      assert.match(rb, new RegExp(`url ".*/v${VERSION}/mk-${VERSION}-linux-x64\\.tar\\.gz"`));
      const inst = sh([INSTALL, "--prefix", join(dir, "prefix-tar"), tarball]);
      assert.equal(inst.status, 0, inst.stderr);
      assert.equal(sha256(join(dir, "prefix-tar/bin/mk")), sha256(MK));
    });
  });
});
