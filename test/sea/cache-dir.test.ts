import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addonCacheDirs,
  addonFileName,
  type CacheDirFacts,
  unsafeSharedDir,
} from "../../src/sea/cache-dir.ts";

function facts(over: Partial<CacheDirFacts> = {}): CacheDirFacts {
  return { env: { HOME: "/home/ann" }, homedir: "/home/ann", tmpdir: "/tmp", uid: 1000, ...over };
}

describe("addonCacheDirs()", () => {
  const cases: { name: string; facts: CacheDirFacts; want: string[] }[] = [
    {
      name: "uses ~/.cache/mk, then the per-user temp dir, when XDG_CACHE_HOME is unset",
      facts: facts(),
      want: ["/home/ann/.cache/mk", "/tmp/mk-1000"],
    },
    {
      name: "prefers XDG_CACHE_HOME over HOME when it is set",
      facts: facts({ env: { HOME: "/home/ann", XDG_CACHE_HOME: "/var/cache/ann" } }),
      want: ["/var/cache/ann/mk", "/tmp/mk-1000"],
    },
    {
      name: "ignores a relative XDG_CACHE_HOME",
      facts: facts({ env: { HOME: "/home/ann", XDG_CACHE_HOME: "cache" } }),
      want: ["/home/ann/.cache/mk", "/tmp/mk-1000"],
    },
    {
      name: "falls back to the passwd home dir when HOME is unset",
      facts: facts({ env: {}, homedir: "/srv/ann" }),
      want: ["/srv/ann/.cache/mk", "/tmp/mk-1000"],
    },
    {
      name: "offers only the temp dir when there is no home at all",
      facts: facts({ env: {}, homedir: "" }),
      want: ["/tmp/mk-1000"],
    },
    {
      name: "uses TMPDIR (os.tmpdir) and the uid for the fallback",
      facts: facts({ tmpdir: "/run/user/0/tmp", uid: 0 }),
      want: ["/home/ann/.cache/mk", "/run/user/0/tmp/mk-0"],
    },
  ];
  for (const c of cases) {
    test(`addonCacheDirs() ${c.name}`, () => {
      assert.deepEqual(
        addonCacheDirs(c.facts).map((d) => d.dir),
        c.want,
      );
    });
  }

  test("addonCacheDirs() marks only the temp dir as shared", () => {
    const dirs = addonCacheDirs(facts());
    assert.deepEqual(
      dirs.map((d) => [d.source, d.shared]),
      [
        ["HOME", false],
        ["TMPDIR", true],
      ],
    );
  });
});

describe("addonFileName()", () => {
  test("addonFileName() keeps the first 16 hex digits of the hash", () => {
    assert.equal(addonFileName("f52b9ee123512356aaaabbbbcccc"), "better_sqlite3-f52b9ee123512356.node");
  });
});

describe("unsafeSharedDir()", () => {
  const ok = { isDirectory: true, isSymbolicLink: false, uid: 1000, mode: 0o40700 };
  test("unsafeSharedDir() accepts a 0700 dir of ours", () => {
    assert.equal(unsafeSharedDir(ok, 1000), undefined);
    assert.equal(unsafeSharedDir({ ...ok, mode: 0o40755 }, 1000), undefined);
  });
  test("unsafeSharedDir() rejects a dir owned by someone else", () => {
    assert.match(unsafeSharedDir({ ...ok, uid: 0 }, 1000) ?? "", /owned by uid 0, not 1000/);
  });
  test("unsafeSharedDir() rejects a dir others can write", () => {
    assert.match(unsafeSharedDir({ ...ok, mode: 0o40777 }, 1000) ?? "", /writable by others \(mode 777\)/);
    assert.match(unsafeSharedDir({ ...ok, mode: 0o40720 }, 1000) ?? "", /writable by others/);
  });
  test("unsafeSharedDir() rejects a symbolic link or a file", () => {
    assert.match(unsafeSharedDir({ ...ok, isSymbolicLink: true }, 1000) ?? "", /symbolic link/);
    assert.match(unsafeSharedDir({ ...ok, isDirectory: false }, 1000) ?? "", /not a directory/);
  });
});
