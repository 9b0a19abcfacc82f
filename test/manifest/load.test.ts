// loadManifests(), readManifestSources() and parseManifestSources(): files, directories and stdin.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  formatIssue,
  loadManifests,
  ManifestError,
  parseManifestSources,
  readManifestSources,
} from "../../src/manifest/parse.ts";
import type { PodObject, PodSetObject } from "../../src/manifest/types.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mk-manifest-test-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec: {containers: [{name: c, image: "mk.local/busybox:1"}]}
`;

async function write(path: string, text: string | Uint8Array): Promise<string> {
  const full = join(dir, path);
  await mkdir(join(full, ".."), { recursive: true });
  await writeFile(full, text);
  return full;
}

async function issuesOf(paths: string[], opts?: Parameters<typeof loadManifests>[1]): Promise<string[]> {
  try {
    await loadManifests(paths, opts);
  } catch (err) {
    assert.ok(err instanceof ManifestError);
    return err.issues.map(formatIssue);
  }
  return assert.fail("expected a ManifestError");
}

test("loadManifests() loads the sample manifests: a Pod hello and a PodSet web", async () => {
  const objects = await loadManifests(["manifests"]);
  assert.deepEqual(
    objects.map((o) => [o.kind, o.metadata.name, o.source.file]),
    [
      ["Pod", "hello", "manifests/hello.yaml"],
      ["PodSet", "web", "manifests/web.yaml"],
    ],
  );
  const hello = objects[0] as PodObject;
  const web = objects[1] as PodSetObject;
  for (const c of [hello.spec.containers[0], web.spec.template.spec.containers[0]]) {
    assert.equal(c?.image, "mk.local/busybox:1");
    assert.equal(c?.imagePullPolicy, "IfNotPresent");
    assert.deepEqual(c?.command, ["httpd", "-f", "-p", "80", "-h", "/www"]);
    assert.equal(c?.ports[0]?.containerPort, 80);
  }
  assert.equal(web.spec.replicas, 3);
  const container = web.spec.template.spec.containers[0];
  assert.deepEqual(container?.readinessProbe?.handler, {
    type: "httpGet",
    path: "/",
    port: 80,
    scheme: "HTTP",
    httpHeaders: [],
  });
  assert.deepEqual(container?.resources, {
    requests: { cpuMilli: 50, memoryBytes: 16 * 2 ** 20 },
    limits: { cpuMilli: 200, memoryBytes: 64 * 2 ** 20 },
  });
});

test("loadManifests() reads directories recursively, only .yaml and .yml files, sorted by path", async () => {
  const root = join(dir, "tree");
  await write("tree/b.yaml", pod("b"));
  await write("tree/a/z.yml", pod("z"));
  await write("tree/a/notes.txt", "not yaml");
  await write("tree/c.json", "{}");
  await write("tree/a/deeper/m.yaml", pod("m"));
  const objects = await loadManifests([root]);
  assert.deepEqual(
    objects.map((o) => o.source.file),
    [join(root, "a/deeper/m.yaml"), join(root, "a/z.yml"), join(root, "b.yaml")],
  );
});

test("loadManifests() reads '-' from the stdin option", async () => {
  const objects = await loadManifests(["-"], { stdin: async () => pod("from-stdin") });
  assert.deepEqual(
    objects.map((o) => [o.metadata.name, o.source.file]),
    [["from-stdin", "<stdin>"]],
  );
});

test("loadManifests() throws one ManifestError with every issue of every file, duplicates across files included", async () => {
  const first = await write("dup/first.yaml", pod("web"));
  const second = await write("dup/second.yaml", `${pod("web")}---\n${pod("Bad")}`);
  const missing = join(dir, "dup/missing.yaml");
  try {
    await loadManifests([first, second, missing]);
    assert.fail("expected a ManifestError");
  } catch (err) {
    assert.ok(err instanceof ManifestError);
    assert.equal(err.code, "invalid_manifest");
    assert.equal(err.exitCode, 1);
    const lines = [
      `${second}:3:18 metadata.name: duplicate Pod "web": first defined at ${first}:3:18`,
      `${second}:8:18 metadata.name: expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit), got "Bad"`,
      `${missing}:1:1 cannot read file: no such file or directory`,
    ];
    assert.deepEqual(err.issues.map(formatIssue), lines);
    assert.equal(err.message, lines.join("\n"));
    assert.deepEqual(err.toJSON().details.issues, err.issues);
  }
});

test("loadManifests() reads a file named twice once, and reports an empty directory", async () => {
  const file = await write("twice/p.yaml", pod("p"));
  assert.equal((await loadManifests([join(dir, "twice"), file])).length, 1);
  await mkdir(join(dir, "empty"));
  assert.deepEqual(await issuesOf([join(dir, "empty")]), [
    `${join(dir, "empty")}:1:1 directory has no .yaml or .yml files`,
  ]);
});

test("loadManifests() refuses files over 1 MiB and runs over 16 MiB before reading them", async () => {
  const big = await write("big/big.yaml", "");
  await truncate(big, 2 * 1024 * 1024);
  assert.deepEqual(await issuesOf([big]), [
    `${big}:1:1 file is larger than 1048576 bytes (1 MiB): 2097152 bytes`,
  ]);
  const many: string[] = [];
  for (let i = 0; i < 17; i++) {
    const file = await write(`many/${String(i).padStart(2, "0")}.yaml`, "");
    await truncate(file, 1_000_000); // sparse, and full of NUL bytes: refused as not UTF-8 once read
    many.push(file);
  }
  const issues = await issuesOf([join(dir, "many")]);
  assert.equal(issues.length, 17);
  assert.equal(issues[0], `${many[0]}:1:1 file is not UTF-8 text`);
  assert.equal(issues[16], `${many[16]}:1:1 manifests exceed 16777216 bytes (16 MiB) in total; not read`);
});

test("loadManifests() refuses a file that is not UTF-8 text, with the position of the bad byte", async () => {
  const file = await write(
    "bin/latin1.yaml",
    Buffer.concat([Buffer.from("apiVersion: v1\nkind: Pod\n# caf"), Buffer.from([0xe9])]),
  );
  assert.deepEqual(await issuesOf([file]), [`${file}:3:6 file is not UTF-8 text`]);
});

test("readManifestSources() and parseManifestSources() split loading between client and server", async () => {
  const file = await write("split/p.yaml", pod("split"));
  const sources = await readManifestSources([file, "-"], { stdin: async () => pod("piped") });
  assert.deepEqual(
    sources.map((s) => s.file),
    [file, "<stdin>"],
  );
  assert.deepEqual(
    parseManifestSources(sources).map((o) => o.metadata.name),
    ["split", "piped"],
  );
  assert.throws(
    () => parseManifestSources([...sources, { file: "again.yaml", text: pod("split") }]),
    (err) => {
      assert.ok(err instanceof ManifestError);
      assert.deepEqual(err.issues.map(formatIssue), [
        `again.yaml:3:18 metadata.name: duplicate Pod "split": first defined at ${file}:3:18`,
      ]);
      return true;
    },
  );
  await assert.rejects(readManifestSources([join(dir, "nope.yaml")]), ManifestError);
});
