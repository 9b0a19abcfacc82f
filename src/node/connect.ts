// Connecting to a node's Docker engine: the local one over its unix socket; peers over SSH
// (see ssh-docker.ts). Returns the runtime and a close function.
import { InvalidInputError } from "../lib/errors.ts";
import { type Dialer, localDialer } from "../probes/runners.ts";
import { DockerRuntime } from "../runtime/docker.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";

export interface NodeEndpoint {
  name: string;
  docker: string;
  identityFile?: string | null;
  socketPath?: string | null;
}

export interface NodeConnection {
  runtime: ContainerRuntime;
  /** Opens a TCP stream to an address as seen from the node (for probes). */
  dial: Dialer;
  close(): void;
}

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

export type SshConnector = (
  ep: NodeEndpoint,
  parsed: Extract<ParsedDockerUrl, { kind: "ssh" }>,
) => NodeConnection;

export function connectNode(ep: NodeEndpoint, ssh?: SshConnector): NodeConnection {
  const parsed = parseDockerUrl(ep.docker);
  if (parsed.kind === "unix") {
    return {
      runtime: new DockerRuntime({ socketPath: parsed.socketPath }, `node ${ep.name}`),
      dial: localDialer,
      close() {},
    };
  }
  if (!ssh) throw new InvalidInputError(`node ${ep.name}: SSH nodes need the server's SSH connector`);
  return ssh(ep, parsed);
}

/** The local engine: DOCKER_HOST when it is a unix socket, else /var/run/docker.sock. */
export function localDockerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.DOCKER_HOST;
  if (h?.startsWith("unix://")) return h;
  return "unix:///var/run/docker.sock";
}
