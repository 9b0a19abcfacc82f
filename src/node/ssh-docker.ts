// Docker over SSH with ONE persistent ssh2 connection per node. dockerode gets an http.Agent
// whose sockets are SSH stream-local channels to the node's Docker socket (~3 ms a request, 100
// in parallel), and probes get direct-tcpip channels. Bulk Docker calls share a few slots per node
// (docker-lanes.ts), so a rollout's creates cannot starve the heartbeat. Keepalives close a link
// that stays silent for longer than the node grace period (a busy host is slow, not dead: the
// heartbeat decides when a node is Unknown); the connection comes back with back-off.
import { readFileSync } from "node:fs";
import { Agent } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { inspect } from "node:util";
import { Client, type ConnectConfig } from "ssh2";
import { errorMessage, NodeUnreachableError, RuntimeError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { Dialer } from "../probes/runners.ts";
import { DockerRuntime } from "../runtime/docker.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import type { NodeConnection, NodeEndpoint, ParsedDockerUrl } from "./connect.ts";
import { laneRuntime } from "./docker-lanes.ts";
import { expandHome } from "./identity-path.ts";
import { describeKey, parseKnownHosts, readKnownHosts, verifyHostKey } from "./known-hosts.ts";

export interface SshOptions {
  knownHostsFile: string;
  /** The SSH handshake must finish within this (ssh2's readyTimeout). */
  readyTimeoutMs: number;
  /** A keepalive request this often... */
  keepaliveIntervalMs: number;
  /** ...and the connection is closed after this many go unanswered in a row. */
  keepaliveCountMax: number;
  /** At most this many bulk Docker calls at once on the node (docker-lanes.ts); absent: 4. */
  dockerConcurrency?: number;
  log: Logger;
}

/**
 * The defaults of mk server's --ssh-* flags (docs/cli.md, docs/architecture.md): a keepalive every
 * 2 s, the link closed after 3 unanswered ones (6-8 s of silence, longer than the 4 s node grace, so
 * a host that is only busy keeps its connection), a 5 s handshake, 4 bulk Docker calls at once.
 */
export const SSH_DEFAULTS = {
  readyTimeoutMs: 5000,
  keepaliveIntervalMs: 2000,
  keepaliveCountMax: 3,
  dockerConcurrency: 4,
} as const;

export function defaultSshOptions(log: Logger, env: NodeJS.ProcessEnv = process.env): SshOptions {
  return { knownHostsFile: defaultKnownHosts(env), ...SSH_DEFAULTS, log };
}

export function defaultKnownHosts(env: NodeJS.ProcessEnv = process.env): string {
  return env.MK_KNOWN_HOSTS ?? join(homedir(), ".ssh", "known_hosts");
}

/** The private key: --identity (a leading ~/ is this user's home), else the usual files in ~/.ssh. */
export function readIdentity(file: string | null | undefined): Buffer | undefined {
  const candidates = file
    ? [expandHome(file)]
    : ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(homedir(), ".ssh", f));
  for (const c of candidates) {
    try {
      return readFileSync(c);
    } catch (err) {
      if (file) throw new RuntimeError(`Cannot read SSH identity ${file}: ${errorMessage(err)}`);
    }
  }
  return undefined;
}

type Ssh = Extract<ParsedDockerUrl, { kind: "ssh" }>;

/** ssh2 connect settings with host-key verification against known_hosts. */
export function sshConfig(
  ep: NodeEndpoint,
  u: Ssh,
  opts: Pick<SshOptions, "knownHostsFile" | "readyTimeoutMs" | "keepaliveIntervalMs" | "keepaliveCountMax">,
  onVerdict?: (v: string) => void,
): ConnectConfig {
  const key = readIdentity(ep.identityFile);
  return {
    host: u.host,
    port: u.port,
    username: u.user,
    ...(key ? { privateKey: key } : {}),
    ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
    readyTimeout: opts.readyTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs,
    keepaliveCountMax: opts.keepaliveCountMax,
    hostVerifier: (hostKey: Buffer) => {
      let text: string;
      try {
        text = readKnownHosts(opts.knownHostsFile);
      } catch (err) {
        // An unreadable file is not "unknown host": refuse, and say why.
        onVerdict?.(`unreadable: ${errorMessage(err)}`);
        return false;
      }
      const { keyType, keyBase64 } = describeKey(hostKey);
      const verdict = verifyHostKey(parseKnownHosts(text), u.host, u.port, keyType, keyBase64);
      onVerdict?.(verdict);
      return verdict === "known";
    },
  };
}

export class SshDockerConnection implements NodeConnection {
  readonly runtime: ContainerRuntime;
  /** Bulk calls running and queued on this node (docker-lanes.ts). */
  readonly dockerLoad: () => { active: number; pending: number };
  readonly dial: Dialer;
  private client: Client | undefined;
  private ready = false;
  private closed = false;
  private connecting: Promise<Client> | undefined;
  private pending: Client | undefined;
  private retryMs = 250;
  private blockedUntil = 0;
  private lastError = "not connected yet";
  private verdict = "";
  /** Open channels: destroyed when the connection dies, so no request hangs on a dead node. */
  private readonly channels = new Set<Duplex>();

  constructor(
    private readonly ep: NodeEndpoint,
    private readonly u: Ssh,
    private readonly opts: SshOptions,
  ) {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    // docker-modem formats every request's options with util.inspect(depth: null, showHidden)
    // before it even checks whether debug output is on, and the options hold this agent: its free
    // sockets are SSH channels, which reach the whole ssh2 client. That walk grows with every open
    // channel: 2.0 s of the event loop (12.7 MB of text) per request with 30 of them, so 20 creates
    // starved the keepalives and the heartbeats and nodes flapped. The agent prints as one line.
    Object.defineProperty(agent, inspect.custom, { value: () => `[SSH agent of node ${ep.name}]` });
    const socketPath = ep.socketPath ?? "/var/run/docker.sock";
    // http.Agent's createConnection may answer through a callback; ssh2 channels lack a few
    // socket methods http calls, so they are added as no-ops.
    (agent as unknown as { createConnection: unknown }).createConnection = (
      _o: unknown,
      cb: (err: Error | null, s?: Duplex) => void,
    ) => {
      this.channel((c, done) => c.openssh_forwardOutStreamLocal(socketPath, done))
        .then((s) => cb(null, s))
        .catch((err: Error) => cb(err));
    };
    const laned = laneRuntime(
      new DockerRuntime(
        { protocol: "http", host: "docker", port: 80, agent } as unknown as ConstructorParameters<
          typeof DockerRuntime
        >[0],
        `node ${ep.name}`,
      ),
      opts.dockerConcurrency ?? SSH_DEFAULTS.dockerConcurrency,
    );
    this.runtime = laned.runtime;
    this.dockerLoad = laned.load;
    this.dial = (host, port, signal) =>
      this.channel((c, done) => c.forwardOut("127.0.0.1", 0, host, port, done), signal);
    void this.connect().catch(() => undefined);
  }

  private async channel(
    open: (c: Client, done: (err: Error | undefined, s: Duplex) => void) => void,
    signal?: AbortSignal,
  ): Promise<Duplex> {
    const c = await this.connect();
    if (signal?.aborted) throw new Error("timeout");
    return new Promise((resolve, reject) => {
      let abandoned = false;
      const onAbort = () => {
        abandoned = true;
        reject(new Error("timeout"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      open(c, (err, stream) => {
        signal?.removeEventListener("abort", onAbort);
        if (err)
          return reject(new RuntimeError(`SSH channel to node ${this.ep.name} failed: ${err.message}`));
        // Opened after its caller gave up: close it, or it would stay open for good.
        if (abandoned) {
          stream.destroy();
          return;
        }
        const s = stream as Duplex & Record<string, unknown>;
        for (const f of ["setNoDelay", "setKeepAlive", "ref", "unref", "setTimeout"]) {
          if (typeof s[f] !== "function") s[f] = () => s;
        }
        this.channels.add(s);
        s.once("close", () => this.channels.delete(s));
        resolve(s);
      });
    });
  }

  /** The live client, or a connection attempt; fails fast while the node is unreachable. */
  private connect(): Promise<Client> {
    if (this.closed)
      return Promise.reject(new NodeUnreachableError(`node ${this.ep.name}: connection closed`));
    if (this.client && this.ready) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    if (Date.now() < this.blockedUntil) {
      return Promise.reject(
        new NodeUnreachableError(`Cannot reach node ${this.ep.name} over SSH: ${this.lastError} (retrying)`),
      );
    }
    const c = new Client();
    this.pending = c;
    this.connecting = new Promise<Client>((resolve, reject) => {
      const fail = (err: Error) => {
        this.ready = false;
        this.connecting = undefined;
        this.pending = undefined;
        // Reconnect with back-off: 250 ms doubling to 2 s, so a returning node is seen quickly.
        this.blockedUntil = Date.now() + this.retryMs;
        this.retryMs = Math.min(this.retryMs * 2, 2000);
        this.lastError =
          this.verdict === "changed"
            ? `host key of ${this.u.host} CHANGED: refusing to connect (possible man-in-the-middle); fix ${this.opts.knownHostsFile} if the host was reinstalled`
            : this.verdict === "revoked"
              ? `host key of ${this.u.host} is REVOKED in ${this.opts.knownHostsFile}: refusing to connect`
              : this.verdict === "unknown"
                ? `host key of ${this.u.host} is not in ${this.opts.knownHostsFile}: add the node with --accept-new-host-key`
                : this.verdict.startsWith("unreadable: ")
                  ? this.verdict.slice("unreadable: ".length)
                  : err.message;
        c.destroy();
        reject(new NodeUnreachableError(`Cannot reach node ${this.ep.name} over SSH: ${this.lastError}`));
      };
      c.once("ready", () => {
        this.pending = undefined;
        if (this.closed) {
          c.end();
          return reject(new NodeUnreachableError(`node ${this.ep.name}: connection closed`));
        }
        this.client = c;
        this.ready = true;
        this.connecting = undefined;
        this.retryMs = 250;
        this.opts.log.info(`SSH connection to ${this.u.user}@${this.u.host}:${this.u.port} ready`, {
          node: this.ep.name,
          event: "ssh-ready",
        });
        resolve(c);
      });
      c.on("error", (err) => {
        if (!this.ready) fail(err);
        else this.lastError = err.message;
      });
      c.on("close", () => {
        const was = this.ready;
        this.ready = false;
        if (this.client === c) this.client = undefined;
        const err = new RuntimeError(`SSH connection to node ${this.ep.name} closed`);
        for (const ch of this.channels) ch.destroy(err);
        this.channels.clear();
        if (was)
          this.opts.log.warn(`SSH connection to node ${this.ep.name} closed: ${this.lastError}`, {
            node: this.ep.name,
            event: "ssh-closed",
          });
      });
      try {
        c.connect(
          sshConfig(this.ep, this.u, this.opts, (v) => {
            this.verdict = v;
          }),
        );
      } catch (err) {
        fail(err as Error);
      }
    });
    return this.connecting;
  }

  channelCount(): number {
    return this.channels.size;
  }

  close(): void {
    this.closed = true;
    this.client?.end();
    this.client = undefined;
    this.pending?.destroy(); // a connection attempt in flight must not outlive the node
  }
}

export function sshConnector(opts: SshOptions) {
  return (ep: NodeEndpoint, u: Ssh): NodeConnection => new SshDockerConnection(ep, u, opts);
}
