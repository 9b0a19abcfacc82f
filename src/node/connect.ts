// Connecting to a node's Docker engine: the local one over its unix socket; peers over SSH
// (see ssh-docker.ts). Returns the runtime and a close function.
import { InvalidInputError } from "../lib/errors.ts";
import { type ParsedDockerUrl, parseDockerUrl } from "./docker-url.ts";

export { localDockerUrl, type ParsedDockerUrl, parseDockerUrl } from "./docker-url.ts";

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
  /** Open SSH channels (SSH nodes only): a leak shows here and in mk_ssh_channels. */
  channelCount?(): number;
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
