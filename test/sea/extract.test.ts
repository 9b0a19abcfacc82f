import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CacheDir } from "../../src/sea/cache-dir.ts";
import { type AddonOps, describeAddonFailure, extractAndLoadAddon } from "../../src/sea/extract.ts";

const SHA = "f52b9ee123512356deadbeef";
const FILE = "better_sqlite3-f52b9ee123512356.node";
const addon = { bytes: new Uint8Array([1, 2, 3, 4]), sha256: SHA };
const ids = { uid: 1000, pid: 42, nonce: "abcd" };
const HOME_DIR: CacheDir = { dir: "/home/ann/.cache/mk", shared: false, source: "HOME" };
const TMP_DIR: CacheDir = { dir: "/tmp/mk-1000", shared: true, source: "TMPDIR" };

function errno(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/** An in-memory file system; `fail` makes an operation on a path prefix throw. */
class FakeFs implements AddonOps {
  files = new Map<string, number>();
  calls: string[] = [];
  fail: { op: string; prefix: string; err: Error }[] = [];
  owner = 1000;
  mode = 0o40700;

  private check(op: string, path: string): void {
    this.calls.push(`${op} ${path}`);
    const f = this.fail.find((x) => x.op === op && path.startsWith(x.prefix));
    if (f) throw f.err;
  }
  ensureDir(d: CacheDir) {
    this.check("mkdir", d.dir);
  }
  statDir(dir: string) {
    this.check("stat", dir);
    return { isDirectory: true, isSymbolicLink: false, uid: this.owner, mode: this.mode };
  }
  fileSize(file: string) {
    return this.files.get(file);
  }
  writeFile(file: string, data: Uint8Array) {
    this.check("write", file);
    this.files.set(file, data.byteLength);
  }
  rename(from: string, to: string) {
    this.check("rename", to);
    const n = this.files.get(from);
    if (n === undefined) throw errno("ENOENT");
    this.files.delete(from);
    this.files.set(to, n);
  }
  unlink(file: string) {
    this.calls.push(`unlink ${file}`);
    this.files.delete(file);
  }
  dlopen(file: string) {
    this.check("dlopen", file);
    return { loadedFrom: file };
  }
}

describe("extractAndLoadAddon()", () => {
  test("extractAndLoadAddon() writes through a temp file and renames it when the cache is empty", () => {
    const fs = new FakeFs();
    const res = extractAndLoadAddon([HOME_DIR, TMP_DIR], addon, fs, ids);
    assert.equal(res.ok, true);
    assert.ok(res.ok);
    assert.equal(res.file, `/home/ann/.cache/mk/${FILE}`);
    assert.equal(res.wrote, true);
    assert.deepEqual(res.exports, { loadedFrom: res.file });
    assert.deepEqual(fs.calls, [
      "mkdir /home/ann/.cache/mk",
      `write /home/ann/.cache/mk/.${FILE}.42.abcd.tmp`,
      `rename /home/ann/.cache/mk/${FILE}`,
      `dlopen /home/ann/.cache/mk/${FILE}`,
    ]);
  });

  test("extractAndLoadAddon() reuses a cached file of the right size without writing", () => {
    const fs = new FakeFs();
    fs.files.set(`/home/ann/.cache/mk/${FILE}`, 4);
    const res = extractAndLoadAddon([HOME_DIR, TMP_DIR], addon, fs, ids);
    assert.ok(res.ok);
    assert.equal(res.wrote, false);
    assert.ok(!fs.calls.some((c) => c.startsWith("write")));
  });

  test("extractAndLoadAddon() replaces a cached file of the wrong size", () => {
    const fs = new FakeFs();
    fs.files.set(`/home/ann/.cache/mk/${FILE}`, 2);
    const res = extractAndLoadAddon([HOME_DIR], addon, fs, ids);
    assert.ok(res.ok);
    assert.equal(res.wrote, true);
    assert.equal(fs.files.get(`/home/ann/.cache/mk/${FILE}`), 4);
  });

  test("extractAndLoadAddon() falls back to the temp dir when HOME is read-only", () => {
    const fs = new FakeFs();
    fs.fail.push({ op: "mkdir", prefix: "/home", err: errno("EROFS") });
    const res = extractAndLoadAddon([HOME_DIR, TMP_DIR], addon, fs, ids);
    assert.ok(res.ok);
    assert.equal(res.file, `/tmp/mk-1000/${FILE}`);
    assert.deepEqual(
      res.attempts.map((a) => [a.dir, a.step, a.code]),
      [["/home/ann/.cache/mk", "mkdir", "EROFS"]],
    );
  });

  test("extractAndLoadAddon() removes the temp file and falls back when the disk is full", () => {
    const fs = new FakeFs();
    fs.fail.push({ op: "rename", prefix: "/home", err: errno("ENOSPC") });
    const res = extractAndLoadAddon([HOME_DIR, TMP_DIR], addon, fs, ids);
    assert.ok(res.ok);
    assert.equal(res.file, `/tmp/mk-1000/${FILE}`);
    assert.ok(fs.calls.includes(`unlink /home/ann/.cache/mk/.${FILE}.42.abcd.tmp`));
    assert.equal(fs.files.has(`/home/ann/.cache/mk/.${FILE}.42.abcd.tmp`), false);
  });

  test("extractAndLoadAddon() falls back when dlopen fails on a noexec mount", () => {
    const fs = new FakeFs();
    fs.fail.push({
      op: "dlopen",
      prefix: "/home",
      err: new Error(`/home/ann/.cache/mk/${FILE}: failed to map segment from shared object`),
    });
    const res = extractAndLoadAddon([HOME_DIR, TMP_DIR], addon, fs, ids);
    assert.ok(res.ok);
    assert.equal(res.file, `/tmp/mk-1000/${FILE}`);
    assert.equal(res.attempts[0]?.step, "load");
  });

  test("extractAndLoadAddon() refuses a temp dir owned by another user", () => {
    const fs = new FakeFs();
    fs.owner = 0;
    const res = extractAndLoadAddon([TMP_DIR], addon, fs, ids);
    assert.equal(res.ok, false);
    assert.equal(res.attempts[0]?.step, "check");
    assert.ok(!fs.calls.some((c) => c.startsWith("write") || c.startsWith("dlopen")));
  });

  test("extractAndLoadAddon() fails with every attempt when no dir works", () => {
    const fs = new FakeFs();
    fs.fail.push({ op: "write", prefix: "/", err: errno("ENOSPC") });
    const res = extractAndLoadAddon([HOME_DIR, TMP_DIR], addon, fs, ids);
    assert.equal(res.ok, false);
    assert.deepEqual(
      res.attempts.map((a) => [a.dir, a.code]),
      [
        ["/home/ann/.cache/mk", "ENOSPC"],
        ["/tmp/mk-1000", "ENOSPC"],
      ],
    );
  });
});

describe("describeAddonFailure()", () => {
  const at = (over: Partial<Parameters<typeof describeAddonFailure>[0][number]>) => ({
    dir: "/home/ann/.cache/mk",
    source: "HOME" as const,
    step: "write" as const,
    code: undefined,
    message: "boom",
    ...over,
  });

  test("describeAddonFailure() names the directory and says to free space when the disk is full", () => {
    const msg = describeAddonFailure([
      at({ code: "ENOSPC", message: "ENOSPC: no space left on device, write" }),
      at({ dir: "/tmp/mk-1000", code: "ENOSPC" }),
    ]);
    assert.equal(
      msg,
      "Cannot load the SQLite library mk carries: /home/ann/.cache/mk: no space left on device (ENOSPC); " +
        "/tmp/mk-1000: no space left on device (ENOSPC); free some disk space, or set XDG_CACHE_HOME to a " +
        "directory on another file system",
    );
  });

  test("describeAddonFailure() suggests an exec-able XDG_CACHE_HOME for a noexec mount", () => {
    const msg = describeAddonFailure([
      at({ step: "load", message: "/x/y.node: failed to map segment from shared object\nmore" }),
    ]);
    assert.match(msg, /\/home\/ann\/\.cache\/mk: cannot load a library from it, is it mounted noexec\?/);
    assert.match(msg, /set XDG_CACHE_HOME to a writable directory on a file system mounted without noexec$/);
    assert.doesNotMatch(msg, /\n/);
  });

  test("describeAddonFailure() reports read-only dirs as not writable", () => {
    const msg = describeAddonFailure([
      at({ step: "mkdir", code: "EACCES" }),
      at({ dir: "/tmp/mk-0", code: "EROFS" }),
    ]);
    assert.match(
      msg,
      /\.cache\/mk: not writable \(EACCES\); \/tmp\/mk-0: not writable \(EROFS\); set XDG_CACHE_HOME/,
    );
  });

  test("describeAddonFailure() prefers the noexec hint over the not-writable one", () => {
    const msg = describeAddonFailure([
      at({ step: "mkdir", code: "EROFS" }),
      at({ dir: "/tmp/mk-0", step: "load", message: "failed to map segment from shared object" }),
    ]);
    assert.match(msg, /mounted without noexec$/);
  });
});
