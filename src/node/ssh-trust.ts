// First contact with an SSH node (`mk node add --accept-new-host-key`): like ssh's accept-new,
// an unknown host key is written to known_hosts, a known one passes, a changed one is refused.
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Client } from "ssh2";
import { InvalidInputError, RuntimeError } from "../lib/errors.ts";
import { parseDockerUrl } from "./connect.ts";
import {
  describeKey,
  knownHostsLine,
  parseKnownHosts,
  readKnownHosts,
  verifyHostKey,
} from "./known-hosts.ts";
import { defaultKnownHosts, readIdentity } from "./ssh-docker.ts";

export async function trustHostOnAdd(
  docker: string,
  opts: { identityFile?: string; acceptNew: boolean; knownHostsFile?: string },
): Promise<"known" | "added"> {
  const u = parseDockerUrl(docker);
  if (u.kind !== "ssh") return "known";
  const file = opts.knownHostsFile ?? defaultKnownHosts();
  const text = readKnownHosts(file);
  const entries = parseKnownHosts(text);
  let seen: { keyType: string; keyBase64: string } | undefined;
  const key = readIdentity(opts.identityFile);
  await new Promise<void>((resolve, reject) => {
    const c = new Client();
    c.on("ready", () => {
      c.end();
      resolve();
    });
    c.on("error", (err) => {
      // A refused host key ends the handshake: that case is judged below.
      if (seen) resolve();
      else reject(new RuntimeError(`Cannot reach ${u.host}:${u.port} over SSH: ${err.message}`));
    });
    c.connect({
      host: u.host,
      port: u.port,
      username: u.user,
      ...(key ? { privateKey: key } : {}),
      ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
      readyTimeout: 5000,
      hostVerifier: (hostKey: Buffer) => {
        seen = describeKey(hostKey);
        return false; // trust is decided here, not during this probe connection
      },
    });
  });
  if (!seen) throw new RuntimeError(`Cannot read the SSH host key of ${u.host}:${u.port}`);
  const verdict = verifyHostKey(entries, u.host, u.port, seen.keyType, seen.keyBase64);
  if (verdict === "known") return "known";
  if (verdict === "revoked") {
    throw new InvalidInputError(
      `Host key of ${u.host}:${u.port} is REVOKED in ${file} (${seen.keyType}); refusing`,
    );
  }
  if (verdict === "changed") {
    throw new InvalidInputError(
      `Host key of ${u.host}:${u.port} has CHANGED (${seen.keyType}); refusing. If the host was reinstalled, remove its line from ${file}`,
    );
  }
  if (!opts.acceptNew) {
    throw new InvalidInputError(
      `Host key of ${u.host}:${u.port} is unknown (${seen.keyType} ${seen.keyBase64.slice(0, 24)}...); pass --accept-new-host-key to trust it`,
    );
  }
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(
    file,
    `${text && !text.endsWith("\n") ? "\n" : ""}${knownHostsLine(u.host, u.port, seen.keyType, seen.keyBase64)}\n`,
    { mode: 0o600 },
  );
  return "added";
}
