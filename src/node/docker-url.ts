// Docker endpoint URLs of nodes: unix:///path or ssh://user@host[:port]. No I/O, no Docker client:
// callers that only validate a URL stay light (the CLI's start-up time depends on it).
import { InvalidInputError } from "../lib/errors.ts";

export type ParsedDockerUrl =
  | { kind: "unix"; socketPath: string }
  | { kind: "ssh"; user: string; host: string; port: number };

export function parseDockerUrl(url: string): ParsedDockerUrl {
  if (url.startsWith("unix://")) {
    const path = url.slice("unix://".length);
    if (!path.startsWith("/"))
      throw new InvalidInputError(`Docker URL ${url}: expected unix:///absolute/path`);
    return { kind: "unix", socketPath: path };
  }
  const m = /^ssh:\/\/(?:([^@/:]+)@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(url);
  if (m) {
    const port = m[3] ? Number(m[3]) : 22;
    if (port < 1 || port > 65535) throw new InvalidInputError(`Docker URL ${url}: port must be 1..65535`);
    return { kind: "ssh", user: m[1] ?? "root", host: (m[2] ?? "").replace(/^\[|\]$/g, ""), port };
  }
  throw new InvalidInputError(
    `Docker URL ${url}: expected unix:///path/to/docker.sock or ssh://user@host[:port]`,
  );
}

/** The local engine: DOCKER_HOST when it is a unix socket, else /var/run/docker.sock. */
export function localDockerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.DOCKER_HOST;
  if (h?.startsWith("unix://")) return h;
  return "unix:///var/run/docker.sock";
}
