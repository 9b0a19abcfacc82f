import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { silentLogger } from "../../src/lib/log.ts";
import { expandHome, resolveIdentityPath } from "../../src/node/identity-path.ts";
import { parseKnownHosts, readKnownHosts, verifyHostKey } from "../../src/node/known-hosts.ts";
import { defaultSshOptions, readIdentity, sshConfig } from "../../src/node/ssh-docker.ts";

const dir = mkdtempSync(join(tmpdir(), "mk-known-hosts-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIK1";
const OTHER = "AAAAC3NzaC1lZDI1NTE5AAAAIK2";

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

test("verifyHostKey() refuses a key revoked by an @revoked line, even when another line trusts it", () => {
  const text = [`10.0.0.5 ssh-ed25519 ${KEY}`, `@revoked 10.0.0.5 ssh-ed25519 ${KEY}`].join("\n");
  assert.equal(verifyHostKey(parseKnownHosts(text), "10.0.0.5", 22, "ssh-ed25519", KEY), "revoked");
  assert.equal(
    verifyHostKey(parseKnownHosts(`@revoked * ssh-ed25519 ${KEY}`), "h", 2222, "ssh-ed25519", KEY),
    "revoked",
  );
  // A revoked key for another host, or another key, changes nothing.
  const other = `10.0.0.5 ssh-ed25519 ${OTHER}\n@revoked 10.0.0.6 ssh-ed25519 ${OTHER}`;
  assert.equal(verifyHostKey(parseKnownHosts(other), "10.0.0.5", 22, "ssh-ed25519", OTHER), "known");
});

test("verifyHostKey() matches hashed names, [host]:port, wildcards and negations like OpenSSH", () => {
  const entries = parseKnownHosts(
    [
      `${hashed("10.0.0.7")} ssh-ed25519 ${KEY}`,
      `[10.0.0.8]:2222 ssh-ed25519 ${KEY}`,
      `*.lab,!bad.lab ssh-ed25519 ${KEY}`,
      `@cert-authority *.lab ssh-ed25519 ${OTHER}`,
      "# a comment",
      "garbage",
    ].join("\n"),
  );
  assert.equal(entries.length, 3, "CA lines and malformed lines are not host keys");
  assert.equal(verifyHostKey(entries, "10.0.0.7", 22, "ssh-ed25519", KEY), "known");
  assert.equal(verifyHostKey(entries, "10.0.0.8", 2222, "ssh-ed25519", KEY), "known");
  assert.equal(verifyHostKey(entries, "10.0.0.8", 22, "ssh-ed25519", KEY), "unknown");
  assert.equal(verifyHostKey(entries, "n1.lab", 22, "ssh-ed25519", KEY), "known");
  assert.equal(verifyHostKey(entries, "bad.lab", 22, "ssh-ed25519", KEY), "unknown");
  assert.equal(verifyHostKey(entries, "n1.lab", 22, "ssh-ed25519", OTHER), "changed");
  assert.equal(
    verifyHostKey(entries, "n1xlab", 22, "ssh-ed25519", KEY),
    "unknown",
    "a dot is not a wildcard",
  );
});

test("readKnownHosts() treats only a missing file as empty; other read errors throw", () => {
  assert.equal(readKnownHosts(join(dir, "missing")), "");
  const sub = join(dir, "a-directory");
  mkdirSync(sub);
  assert.throws(
    () => readKnownHosts(sub),
    /^RuntimeError: Cannot read known_hosts file .*a-directory: EISDIR/,
  );
  const eacces = Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: "EACCES" });
  assert.throws(
    () =>
      readKnownHosts("/x", () => {
        throw eacces;
      }),
    /Cannot read known_hosts file \/x: EACCES: permission denied.*host keys cannot be checked/,
  );
});

test("sshConfig()'s host verifier refuses, with the reason, when known_hosts cannot be read", () => {
  const sub = join(dir, "kh-dir");
  mkdirSync(sub);
  const verdicts: string[] = [];
  const key = Buffer.alloc(51);
  key.writeUInt32BE(11, 0);
  key.write("ssh-ed25519", 4, "latin1");
  const cfg = sshConfig(
    { name: "n", docker: "ssh://root@10.0.0.5", identityFile: null },
    { kind: "ssh", user: "root", host: "10.0.0.5", port: 22 } as never,
    { ...defaultSshOptions(silentLogger), knownHostsFile: sub },
    (v) => verdicts.push(v),
  );
  const verify = cfg.hostVerifier as (k: Buffer) => boolean;
  assert.equal(verify(key), false);
  assert.match(verdicts[0] ?? "", /^unreadable: Cannot read known_hosts file .*EISDIR/);
  writeFileSync(join(dir, "kh"), `10.0.0.5 ssh-ed25519 ${key.toString("base64")}\n`);
  const ok = sshConfig(
    { name: "n", docker: "ssh://root@10.0.0.5", identityFile: null },
    { kind: "ssh", user: "root", host: "10.0.0.5", port: 22 } as never,
    { ...defaultSshOptions(silentLogger), knownHostsFile: join(dir, "kh") },
  );
  assert.equal((ok.hostVerifier as (k: Buffer) => boolean)(key), true);
});

test("resolveIdentityPath() makes a relative --identity absolute where it was typed; ~/ is home", () => {
  assert.equal(resolveIdentityPath("keys/id", "/work/here", "/home/u"), "/work/here/keys/id");
  assert.equal(resolveIdentityPath("./id", "/work/here", "/home/u"), "/work/here/id");
  assert.equal(resolveIdentityPath("/abs/id", "/work/here", "/home/u"), "/abs/id");
  assert.equal(resolveIdentityPath("~/.ssh/id", "/work/here", "/home/u"), "/home/u/.ssh/id");
  assert.equal(expandHome("~", "/home/u"), "/home/u");
  assert.equal(expandHome("a~/b", "/home/u"), "a~/b");
  const file = join(dir, "id_test");
  writeFileSync(file, "KEY");
  assert.equal(readIdentity(file)?.toString(), "KEY");
  assert.throws(() => readIdentity(join(dir, "nope")), /Cannot read SSH identity .*nope: ENOENT/);
});
