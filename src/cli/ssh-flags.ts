// mk server's SSH flags: how the one connection to each SSH node is kept alive, how long its
// handshake may take, and how many bulk Docker calls may run on a node at once. Pure; every failure
// is a usage error (exit 2) naming the flag.
//
// The relation that matters: a keepalive must not close a link the heartbeat still tolerates.
// Closing the connection fails every Docker call in flight (half-done creates, a rollout's starts)
// and its reconnect costs a CPU-bound handshake on a host that is already busy; whether a node is
// gone is the heartbeat's call (--node-grace). So interval x count must cover the node grace: the
// default count is the smallest that does, and at least 3 (OpenSSH's ServerAliveCountMax).
import { UsageError } from "../lib/errors.ts";
import { SSH_DEFAULTS, type SshOptions } from "../node/ssh-docker.ts";
import { type DurationFlag, durationFlag, formatDuration, integerFlag } from "./timing-flags.ts";

export const SSH_KEEPALIVE_INTERVAL_FLAG: DurationFlag = {
  flag: "--ssh-keepalive-interval",
  default: "2s",
  minMs: 100,
  maxMs: 10 * 60_000,
};
export const SSH_CONNECT_TIMEOUT_FLAG: DurationFlag = {
  flag: "--ssh-connect-timeout",
  default: "5s",
  minMs: 500,
  maxMs: 10 * 60_000,
};
export const SSH_KEEPALIVE_COUNT = { flag: "--ssh-keepalive-count", min: 1, max: 1000 } as const;
export const SSH_DOCKER_CONCURRENCY = {
  flag: "--ssh-docker-concurrency",
  default: SSH_DEFAULTS.dockerConcurrency,
  min: 1,
  max: 256,
} as const;

export type SshFlags = Required<
  Pick<SshOptions, "readyTimeoutMs" | "keepaliveIntervalMs" | "keepaliveCountMax" | "dockerConcurrency">
>;

/** The SSH flags from cac's options (camelCase keys); `nodeGraceMs` is the parsed --node-grace. */
export function parseSshFlags(opts: Record<string, unknown>, nodeGraceMs: number): SshFlags {
  const keepaliveIntervalMs = durationFlag(SSH_KEEPALIVE_INTERVAL_FLAG, opts.sshKeepaliveInterval);
  const readyTimeoutMs = durationFlag(SSH_CONNECT_TIMEOUT_FLAG, opts.sshConnectTimeout);
  const dockerConcurrency = integerFlag(
    SSH_DOCKER_CONCURRENCY.flag,
    opts.sshDockerConcurrency,
    SSH_DOCKER_CONCURRENCY.default,
    SSH_DOCKER_CONCURRENCY.min,
    SSH_DOCKER_CONCURRENCY.max,
  );
  const needed = Math.ceil(nodeGraceMs / keepaliveIntervalMs);
  const keepaliveCountMax = integerFlag(
    SSH_KEEPALIVE_COUNT.flag,
    opts.sshKeepaliveCount,
    Math.max(SSH_DEFAULTS.keepaliveCountMax, needed),
    SSH_KEEPALIVE_COUNT.min,
    SSH_KEEPALIVE_COUNT.max,
  );
  if (keepaliveIntervalMs * keepaliveCountMax < nodeGraceMs) {
    const flag =
      opts.sshKeepaliveCount !== undefined ? SSH_KEEPALIVE_COUNT.flag : SSH_KEEPALIVE_INTERVAL_FLAG.flag;
    const value =
      flag === SSH_KEEPALIVE_COUNT.flag ? String(keepaliveCountMax) : formatDuration(keepaliveIntervalMs);
    throw new UsageError(
      `${flag} ${value}: ${keepaliveCountMax} unanswered keepalives ${formatDuration(keepaliveIntervalMs)} apart (${formatDuration(keepaliveIntervalMs * keepaliveCountMax)}) must cover --node-grace (${formatDuration(nodeGraceMs)}): a busy node would lose its connection before the heartbeat gives up on it; use --ssh-keepalive-count ${needed} or more`,
      { flag },
    );
  }
  return { keepaliveIntervalMs, keepaliveCountMax, readyTimeoutMs, dockerConcurrency };
}
