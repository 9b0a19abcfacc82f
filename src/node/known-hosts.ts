// known_hosts: parse OpenSSH's file (plain and hashed host names, wildcards, negations, @revoked)
// and decide on a host key like `ssh -o StrictHostKeyChecking=accept-new`: a known key passes, a
// changed or revoked key is always refused, an unknown key passes only when the user said so on
// first contact. Reading the file: only "no such file" means "nothing known yet"; any other read
// error (permissions, a directory, I/O) is an error, never a silent "unknown host".
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { RuntimeError } from "../lib/errors.ts";

export interface KnownHost {
  /** Host patterns as written ("10.0.0.5", "[host]:2222", "*.lab", "!bad") or a hashed entry "|1|salt|hash". */
  hosts: string[];
  keyType: string;
  key: string;
  /** `@revoked`: this key must never be accepted for these hosts. `@cert-authority` lines are not used by mk. */
  revoked?: true;
}

export type HostKeyVerdict = "known" | "unknown" | "changed" | "revoked";

export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    let revoked = false;
    if (parts[0]?.startsWith("@")) {
      const marker = parts.shift();
      // mk does not do SSH certificates: a CA line vouches for nothing here.
      if (marker !== "@revoked") continue;
      revoked = true;
    }
    const [hosts, keyType, key] = parts;
    if (!hosts || !keyType || !key) continue;
    out.push({ hosts: hosts.split(","), keyType, key, ...(revoked ? { revoked: true as const } : {}) });
  }
  return out;
}

/** The file's text; "" when it does not exist yet. Any other failure to read it throws. */
export function readKnownHosts(
  file: string,
  read: (f: string) => string = (f) => readFileSync(f, "utf8"),
): string {
  try {
    return read(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw new RuntimeError(
      `Cannot read known_hosts file ${file}: ${(err as Error).message}; host keys cannot be checked`,
      { file },
      err,
    );
  }
}

/** The name ssh uses for a host: "host" on port 22, "[host]:port" otherwise. */
export function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesOne(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    const h = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return h === hash;
  }
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === name;
  // OpenSSH's wildcards: * any run of characters, ? exactly one.
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(name);
}

/** A line matches when one of its patterns does and none of its negated (`!`) patterns does. */
function matches(patterns: readonly string[], name: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (matchesOne(p.slice(1), name)) return false;
    } else if (matchesOne(p, name)) hit = true;
  }
  return hit;
}

export function verifyHostKey(
  entries: readonly KnownHost[],
  host: string,
  port: number,
  keyType: string,
  keyBase64: string,
): HostKeyVerdict {
  const name = hostName(host, port);
  const all = entries.filter((e) => matches(e.hosts, name));
  if (all.some((e) => e.revoked && e.key === keyBase64)) return "revoked";
  const mine = all.filter((e) => !e.revoked);
  if (mine.length === 0) return "unknown";
  if (mine.some((e) => e.key === keyBase64)) return "known";
  // Another key type for the same host is not a change (the server may offer several).
  return mine.some((e) => e.keyType === keyType) ? "changed" : "unknown";
}

export function knownHostsLine(host: string, port: number, keyType: string, keyBase64: string): string {
  return `${hostName(host, port)} ${keyType} ${keyBase64}`;
}

/** The key type and base64 blob of an SSH wire-format public key. */
export function describeKey(key: Buffer): { keyType: string; keyBase64: string } {
  const len = key.readUInt32BE(0);
  return { keyType: key.subarray(4, 4 + len).toString("latin1"), keyBase64: key.toString("base64") };
}
