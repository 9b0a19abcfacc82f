// known_hosts: parse OpenSSH's file (plain and hashed host names) and decide on a host key like
// `ssh -o StrictHostKeyChecking=accept-new`: a known key passes, a changed key is always refused,
// an unknown key passes only when the user said so on first contact.
import { createHmac } from "node:crypto";

export interface KnownHost {
  /** Host patterns as written ("10.0.0.5", "[host]:2222") or a hashed entry "|1|salt|hash". */
  hosts: string[];
  keyType: string;
  key: string;
}

export type HostKeyVerdict = "known" | "unknown" | "changed";

export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    // An optional marker (@cert-authority, @revoked) comes first; mk does not use those lines.
    if (parts[0]?.startsWith("@")) continue;
    const [hosts, keyType, key] = parts;
    if (!hosts || !keyType || !key) continue;
    out.push({ hosts: hosts.split(","), keyType, key });
  }
  return out;
}

/** The name ssh uses for a host: "host" on port 22, "[host]:port" otherwise. */
export function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    const h = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return h === hash;
  }
  return pattern === name;
}

export function verifyHostKey(
  entries: readonly KnownHost[],
  host: string,
  port: number,
  keyType: string,
  keyBase64: string,
): HostKeyVerdict {
  const name = hostName(host, port);
  const mine = entries.filter((e) => e.hosts.some((p) => matches(p, name)));
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
