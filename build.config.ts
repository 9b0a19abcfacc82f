// `npm run build`: mk as one linux-x64 executable (dist/mk, a Node 20 single executable
// application) and as one CommonJS bundle for npm users who have Node (dist/mk.cjs, run by bin/mk.js).
//
//   1. esbuild bundles src/main.ts with every dependency into CJS. Build facts, the SQL migrations
//      and the SQLite addon's SHA-256 become `define`d globals, so the binary reads no source tree.
//   2. node --experimental-sea-config turns the bundle into a blob (with V8 code cache) that also
//      carries better_sqlite3.node as an asset (src/sea/native.ts loads it at run time).
//   3. A copy of this node binary, stripped, gets the blob injected by postject.
//
// Usage: tsx build.config.ts [--no-strip] [--bundle-only]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type BuildOptions, build, type Plugin } from "esbuild";

const ROOT = import.meta.dirname;
const DIST = join(ROOT, "dist");
/** Intermediates of the SEA step (bundle, sea-config.json, blob). */
const WORK = join(DIST, "sea");
const ADDON = join(ROOT, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");
/** Must match ADDON_ASSET in src/sea/native.ts. */
const ADDON_ASSET = "better_sqlite3.node";
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const t0 = performance.now();
const step = (what: string, since: number) =>
  console.log(`[build] ${what} (${((performance.now() - since) / 1000).toFixed(2)} s)`);
const mb = (file: string) => `${(statSync(file).size / 1024 / 1024).toFixed(1)} MB`;

function fail(message: string): never {
  console.error(`[build] error: ${message}`);
  process.exit(1);
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
  } catch {
    return "unknown";
  }
}

/** SOURCE_DATE_EPOCH (seconds) wins, for reproducible builds. */
function buildDate(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString();
}

/** The migrations in journal order, as src/store/migrations.ts expects __MK_MIGRATIONS__. */
function readMigrations(): { tag: string; sql: string }[] {
  const dir = join(ROOT, "migrations");
  const journal: unknown = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8"));
  const entries =
    typeof journal === "object" && journal !== null && "entries" in journal && Array.isArray(journal.entries)
      ? (journal.entries as unknown[])
      : fail("migrations/meta/_journal.json has no entries array");
  return entries
    .map((e) => {
      if (typeof e !== "object" || e === null || !("idx" in e) || !("tag" in e))
        fail("migrations/meta/_journal.json: an entry lacks idx or tag");
      return { idx: Number(e.idx), tag: String(e.tag) };
    })
    .sort((a, b) => a.idx - b.idx)
    .map((e) => ({ tag: e.tag, sql: readFileSync(join(dir, `${e.tag}.sql`), "utf8") }));
}

/** The node binary must be the one the SEA runs on: linux-x64, Node 20, with the SEA fuse. */
function checkHost(): string {
  if (process.platform !== "linux" || process.arch !== "x64")
    fail(`the single executable is built for linux-x64 only, not ${process.platform}-${process.arch}`);
  if (!process.versions.node.startsWith("20."))
    fail(`build with Node 20 (this is ${process.version}): the binary is a copy of this node`);
  const node = realpathSync(process.execPath);
  if (!readFileSync(node).includes(SEA_FUSE)) fail(`${node} has no SEA fuse; use an official Node 20 build`);
  return node;
}

/**
 * Optional modules that dependencies require inside try/catch (ssh2's native crypto and
 * cpu-features, debug's supports-color): bundled as a module that throws, so they take their
 * pure-JS path. Left external, the SEA's require would print a warning on every run.
 */
const optionalModules: Plugin = {
  name: "mk-optional-modules",
  setup(b) {
    b.onResolve({ filter: /^(cpu-features|supports-color)$|\.node$/ }, (a) => ({
      path: a.path,
      namespace: "mk-optional",
    }));
    b.onLoad({ filter: /.*/, namespace: "mk-optional" }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`${a.path} is not bundled into mk`)});`,
      loader: "js",
    }));
  },
};

/**
 * dockerode's BuildKit support (lib/session.js, lib/buildkit.js) pulls in gRPC and protobufjs and
 * reads .proto files next to itself at call time, which cannot work from a bundle. mk never
 * builds images, so both become stubs that report an error: about 25 ms less at every start.
 */
const noBuildKit: Plugin = {
  name: "mk-no-buildkit",
  setup(b) {
    b.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (a) =>
      /[\\/]dockerode[\\/]lib$/.test(a.resolveDir)
        ? { path: a.path, namespace: "mk-no-buildkit" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "mk-no-buildkit" }, (a) => {
      const err = 'new Error("Docker BuildKit is not available in mk")';
      return {
        contents:
          a.path === "./session"
            ? `module.exports = (docker, auth, handler) => handler(${err}, null, () => undefined);`
            : `module.exports = { followProgress() { throw ${err}; } };`,
        loader: "js",
      };
    });
  },
};

async function bundle(
  outfile: string,
  external: string[],
  define: Record<string, string>,
  migrations: { tag: string; sql: string }[],
): Promise<void> {
  const options: BuildOptions = {
    entryPoints: [join(ROOT, "src/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    define: {
      ...define,
      // Only migrations.ts reads import.meta.url, on the source-tree path the build never takes;
      // CJS has no import.meta, so give it the bundle's own URL instead of undefined.
      "import.meta.url": "__mk_import_meta_url",
      // An array `define` would add an init call to every module: declare it once in the banner.
      __MK_MIGRATIONS__: "__mk_migrations",
    },
    banner: {
      js: [
        'var __mk_import_meta_url = require("node:url").pathToFileURL(__filename).href;',
        `var __mk_migrations = ${JSON.stringify(migrations)};`,
      ].join("\n"),
    },
    plugins: [optionalModules, noBuildKit],
    external,
    legalComments: "none",
    logLevel: "warning",
  };
  const res = await build(options);
  if (res.errors.length > 0) fail(`esbuild failed for ${outfile}`);
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const strip = !args.has("--no-strip");
  const node = args.has("--bundle-only") ? undefined : checkHost();
  const pkg: unknown = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const version =
    typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string"
      ? pkg.version
      : fail("package.json has no version");
  const addon = readFileSync(ADDON);
  const addonSha256 = createHash("sha256").update(addon).digest("hex");
  const commit = gitCommit();
  const define = {
    __MK_VERSION__: JSON.stringify(version),
    __MK_COMMIT__: JSON.stringify(commit),
    __MK_BUILD_DATE__: JSON.stringify(buildDate()),
    __MK_ADDON_SHA256__: JSON.stringify(addonSha256),
  };
  mkdirSync(WORK, { recursive: true });

  let t = performance.now();
  // npm users get better-sqlite3 from their node_modules (it finds its own addon there).
  const npmBundle = join(DIST, "mk.cjs");
  const seaBundle = join(WORK, "mk-sea.cjs");
  const migrations = readMigrations();
  await Promise.all([
    bundle(npmBundle, ["better-sqlite3"], define, migrations),
    bundle(seaBundle, [], define, migrations),
  ]);
  step(`bundles: dist/mk.cjs ${mb(npmBundle)}, ${relative(ROOT, seaBundle)} ${mb(seaBundle)}`, t);
  if (!node) return;

  t = performance.now();
  const blob = join(WORK, "mk.blob");
  const config = join(WORK, "sea-config.json");
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        main: seaBundle,
        output: blob,
        // Otherwise every run prints an ExperimentalWarning on stderr.
        disableExperimentalSEAWarning: true,
        useCodeCache: true,
        useSnapshot: false,
        assets: { [ADDON_ASSET]: ADDON },
      },
      null,
      2,
    )}\n`,
  );
  try {
    execFileSync(process.execPath, ["--experimental-sea-config", config], { stdio: "pipe" });
  } catch (err) {
    fail(`node --experimental-sea-config: ${(err as Error).message}`);
  }
  step(`SEA blob ${mb(blob)}`, t);

  t = performance.now();
  const out = join(DIST, "mk");
  const tmp = join(DIST, `.mk.${process.pid}.tmp`);
  copyFileSync(node, tmp);
  chmodSync(tmp, 0o755);
  if (strip) {
    try {
      execFileSync("strip", ["--strip-all", tmp], { stdio: "inherit" });
    } catch (err) {
      console.warn(`[build] strip failed, keeping symbols: ${(err as Error).message}`);
    }
  }
  await inject(tmp, readFileSync(blob));
  renameSync(tmp, out);
  step(`dist/mk ${mb(out)} (copy of ${node}${strip ? ", stripped" : ""}, postject)`, t);

  smokeTest(out, version);
  // dist/mk.sha256 (sha256sum format) lets scripts/install.sh verify a local build like a release.
  writeFileSync(`${out}.sha256`, `${createHash("sha256").update(readFileSync(out)).digest("hex")}  mk\n`);
  step(`done: ${version} ${commit}, addon sha256 ${addonSha256.slice(0, 16)}`, t0);
}

/** postject's API (it ships no types): injects the blob and flips the SEA fuse. */
async function inject(file: string, blob: Buffer): Promise<void> {
  const mod: unknown = createRequire(import.meta.url)("postject");
  if (typeof mod !== "object" || mod === null || !("inject" in mod) || typeof mod.inject !== "function")
    fail("postject has no inject function");
  const injectFn = mod.inject as (f: string, name: string, data: Buffer, opts: object) => Promise<void>;
  // postject logs "Can't find string offset for section name ..." for every note section of the
  // node binary; those are harmless, so they are dropped here.
  const warn = console.warn;
  const log = console.log;
  const quiet =
    (orig: (...a: unknown[]) => void) =>
    (...a: unknown[]) => {
      if (!String(a[0]).includes("Can't find string offset")) orig(...a);
    };
  console.warn = quiet(warn);
  console.log = quiet(log);
  try {
    await injectFn(file, "NODE_SEA_BLOB", blob, { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

/** The binary must run from an empty dir: --version, then a state file (embedded migrations, addon). */
function smokeTest(bin: string, version: string): void {
  const t = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "mk-build-"));
  try {
    const env = { PATH: "/usr/bin:/bin", HOME: dir, XDG_CACHE_HOME: join(dir, "cache") };
    const run = (a: string[]) => execFileSync(bin, a, { cwd: dir, env, encoding: "utf8" }).trim();
    const v = run(["--version"]);
    if (!v.includes(version)) fail(`dist/mk --version printed "${v}", expected ${version}`);
    const rows = run(["sql", "select 1 as one", "-o", "json", "--state", join(dir, "state.db")]);
    if (!rows.includes('"one": 1')) fail(`dist/mk sql printed "${rows}"`);
  } catch (err) {
    fail(`smoke test of dist/mk: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  step("smoke test: --version, sql on a fresh state", t);
}

await main();
