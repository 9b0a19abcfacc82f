// The pre-commit hook and the `prepare` script that installs it, in throwaway git repositories: the
// hook refuses a badly formatted file and a type error and lets a clean commit through; the
// installer sets core.hooksPath only inside its own git work tree, never in CI, and never fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const ROOT = join(import.meta.dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "mk-hooks-test-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const GIT_ENV = {
  ...process.env,
  CI: "",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.invalid",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.invalid",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
};

function run(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...GIT_ENV, ...env } });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** A repository with mk's hook files, configs and (linked) node_modules. */
function repo(name: string, init = true): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, "scripts"), { recursive: true });
  copyFileSync(join(ROOT, "scripts/install-hooks.sh"), join(dir, "scripts/install-hooks.sh"));
  cpSync(join(ROOT, ".githooks"), join(dir, ".githooks"), { recursive: true });
  for (const f of ["biome.json", "tsconfig.json", "package.json"]) copyFileSync(join(ROOT, f), join(dir, f));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, ".gitignore"), "node_modules\n");
  if (init) assert.equal(run(dir, "git", ["init", "-q", "-b", "main"]).code, 0);
  return dir;
}

const hooksPath = (dir: string) => run(dir, "git", ["config", "--get", "core.hooksPath"]).out.trim();

test("install-hooks.sh points git at .githooks in its own work tree, and is a no-op when run again", () => {
  const dir = repo("plain");
  const first = run(dir, "sh", ["scripts/install-hooks.sh"]);
  assert.equal(first.code, 0, first.out);
  assert.equal(hooksPath(dir), ".githooks");
  const again = run(dir, "sh", ["scripts/install-hooks.sh"]);
  assert.equal(again.code, 0);
  assert.equal(again.out, "");
});

test("install-hooks.sh does nothing and exits 0 in CI, outside git, and when core.hooksPath is taken", () => {
  const ci = repo("ci");
  assert.equal(run(ci, "sh", ["scripts/install-hooks.sh"], { CI: "true" }).code, 0);
  assert.equal(hooksPath(ci), "");

  const notGit = repo("tarball", false);
  assert.equal(run(notGit, "sh", ["scripts/install-hooks.sh"], { GIT_CEILING_DIRECTORIES: tmp }).code, 0);

  const taken = repo("taken");
  run(taken, "git", ["config", "core.hooksPath", "/elsewhere"]);
  const r = run(taken, "sh", ["scripts/install-hooks.sh"]);
  assert.equal(r.code, 0);
  assert.equal(hooksPath(taken), "/elsewhere");
  assert.match(r.out, /already \/elsewhere/);

  // A checkout nested inside another repository's work tree leaves the outer repository alone.
  const outer = join(tmp, "outer");
  mkdirSync(outer);
  assert.equal(run(outer, "git", ["init", "-q"]).code, 0);
  const inner = join(outer, "vendor-mk");
  cpSync(repo("inner-src", false), inner, { recursive: true, verbatimSymlinks: true });
  assert.equal(run(inner, "sh", ["scripts/install-hooks.sh"]).code, 0);
  assert.equal(hooksPath(outer), "");
});

test("the pre-commit hook refuses unformatted code and a type error, and lets a clean commit through", () => {
  const dir = repo("hook");
  assert.equal(run(dir, "sh", ["scripts/install-hooks.sh"]).code, 0);
  mkdirSync(join(dir, "src"));
  const commit = () => run(dir, "git", ["commit", "-q", "-m", "change"]);

  writeFileSync(join(dir, "src/a.ts"), "export const a   =  1\n");
  run(dir, "git", ["add", "-A"]);
  const unformatted = commit();
  assert.notEqual(unformatted.code, 0, unformatted.out);
  assert.match(unformatted.out, /Biome found problems/);

  writeFileSync(join(dir, "src/a.ts"), 'export const a: number = "one";\n');
  run(dir, "git", ["add", "-A"]);
  const typeError = commit();
  assert.notEqual(typeError.code, 0, typeError.out);
  assert.match(typeError.out, /TS2322[\s\S]*the typecheck failed/);

  writeFileSync(join(dir, "src/a.ts"), "export const a = 1;\n");
  run(dir, "git", ["add", "-A"]);
  const clean = commit();
  assert.equal(clean.code, 0, clean.out);
  assert.equal(run(dir, "git", ["log", "--oneline"]).out.trim().split("\n").length, 1);
});
