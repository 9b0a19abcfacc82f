// One version everywhere a release names it: package.json, `mk version` from source, the changelog's
// newest entry and the Homebrew formula (release.sh fills in the formula's sha256; binary.test.ts runs it).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { VERSION } from "../../src/version.ts";

const ROOT = join(import.meta.dirname, "../..");
const read = (f: string) => readFileSync(join(ROOT, f), "utf8");
const pkgVersion = (JSON.parse(read("package.json")) as { version: string }).version;

test("package.json, src/version.ts, CHANGELOG.md and the Homebrew formula name the same version", () => {
  assert.equal(pkgVersion, "0.1.0");
  assert.equal(VERSION, pkgVersion);
  const newest = /^## \[(\d+\.\d+\.\d+)\]/m.exec(read("CHANGELOG.md"));
  assert.equal(newest?.[1], pkgVersion, "the changelog's newest entry");
  assert.match(read("CHANGELOG.md"), new RegExp(`^\\[${pkgVersion.replace(/\./g, "\\.")}\\]: https://`, "m"));
  const rb = read("packaging/homebrew/mk.rb");
  assert.match(rb, new RegExp(`^  version "${pkgVersion}"$`, "m"));
  assert.match(rb, new RegExp(`/v${pkgVersion}/mk-${pkgVersion}-linux-x64\\.tar\\.gz"$`, "m"));
});
