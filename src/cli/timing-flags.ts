// Timing flags of mk server (and the waits of other commands): parsed once, ranges checked, the
// relations between them enforced, every failure a usage error (exit 2) that names the flag. Pure.
// `--lease 0` would let two servers lead at once and `--resync 0` or `--heartbeat 0` would spin a
// core, so the lower bounds are not cosmetic.
import { UsageError } from "../lib/errors.ts";
import { parseDurationMs } from "../manifest/quantity.ts";

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

/** A duration flag: its default, its range, and why the bounds are what they are. */
export interface DurationFlag {
  flag: string;
  default: string;
  minMs: number;
  maxMs: number;
}

const d = (flag: string, def: string, minMs: number, maxMs: number): DurationFlag => ({
  flag,
  default: def,
  minMs,
  maxMs,
});

/** Every timing flag of mk server with its range (docs/cli.md shows the defaults). */
export const SERVER_TIMING_FLAGS = {
  resyncMs: d("--resync", "5s", 100, H),
  heartbeatMs: d("--heartbeat", "1s", 100, 5 * MIN),
  nodeGraceMs: d("--node-grace", "4s", 200, H),
  evictionDelayMs: d("--eviction-delay", "2s", 0, 24 * H),
  settleMs: d("--settle", "3s", 0, H),
  leaseMs: d("--lease", "15s", S, 10 * MIN),
  backoffInitialMs: d("--backoff-initial", "10s", 100, H),
  backoffMaxMs: d("--backoff-max", "300s", 100, 24 * H),
  backoffResetMs: d("--backoff-reset", "10m", S, 24 * H),
  sqlTimeoutMs: d("--sql-timeout", "5s", 100, 10 * MIN),
} as const;

export type ServerTimings = { -readonly [K in keyof typeof SERVER_TIMING_FLAGS]: number };

/** HA mode (--etcd): the leader's lease in etcd (whole seconds; etcd raises less than 2 s to 2 s). */
export const ELECTION_TTL_FLAG = d("--election-ttl", "2s", S, 10 * MIN);
/** A leader that cannot renew for this long stops acting (default 2/3 of the lease). */
export const RENEW_DEADLINE_FLAG = d("--renew-deadline", "10s", 100, 10 * MIN);

/** Wait flags of the client commands (apply, delete, sql). */
export const WAIT_FLAG = d("--timeout", "120s", 0, 24 * H);
export const SQL_TIMEOUT_FLAG = d("--timeout", "5s", 100, 10 * MIN);

/** "1500" ms -> "1.5s", 90000 -> "1m30s": how messages show a duration. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < S) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ["h", H],
    ["m", MIN],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest / S}s`);
  return parts.join("");
}

/** The key names cac gives a flag: --node-grace -> nodeGrace. */
function optionKey(flag: string): string {
  return flag.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Parses one duration flag and checks its range; `value` undefined takes the default. */
export function durationFlag(spec: DurationFlag, value: unknown): number {
  const raw = value === undefined ? spec.default : String(value);
  let ms: number;
  try {
    ms = parseDurationMs(raw);
  } catch (err) {
    throw new UsageError(`${spec.flag} ${raw}: ${(err as Error).message}`, { flag: spec.flag });
  }
  if (ms < spec.minMs || ms > spec.maxMs) {
    throw new UsageError(
      `${spec.flag} ${raw}: expected a duration from ${formatDuration(spec.minMs)} to ${formatDuration(spec.maxMs)}`,
      { flag: spec.flag },
    );
  }
  return ms;
}

/** A whole-number flag in min..max; `value` undefined takes `def`. */
export function integerFlag(flag: string, value: unknown, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  const raw = String(value);
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} ${raw}: expected a whole number from ${min} to ${max}`, { flag });
  }
  return n;
}

function relation(ok: boolean, flag: string, value: number, message: string): void {
  if (!ok) throw new UsageError(`${flag} ${formatDuration(value)}: ${message}`, { flag });
}

/**
 * All timing flags of mk server from cac's options object (camelCase keys), or a UsageError naming
 * the first bad flag. Relations: a node must be able to miss a heartbeat before it turns Unknown
 * (grace > heartbeat), the crash-loop back-off cap is not below its first delay, and a renew
 * deadline (where the flag exists) is shorter than the lease.
 */
export function parseServerTimings(opts: Record<string, unknown>): ServerTimings {
  const out = {} as ServerTimings;
  for (const [key, spec] of Object.entries(SERVER_TIMING_FLAGS) as [keyof ServerTimings, DurationFlag][]) {
    out[key] = durationFlag(spec, opts[optionKey(spec.flag)]);
  }
  relation(
    out.nodeGraceMs > out.heartbeatMs,
    "--node-grace",
    out.nodeGraceMs,
    `expected longer than --heartbeat (${formatDuration(out.heartbeatMs)}): a node must be able to miss a heartbeat before it turns Unknown`,
  );
  relation(
    out.backoffMaxMs >= out.backoffInitialMs,
    "--backoff-max",
    out.backoffMaxMs,
    `expected at least --backoff-initial (${formatDuration(out.backoffInitialMs)})`,
  );
  const renew = opts.renewDeadline;
  if (renew !== undefined) {
    const renewMs = durationFlag(RENEW_DEADLINE_FLAG, renew);
    // In HA mode (--etcd) the leader's lease is --election-ttl.
    const ha = opts.etcd !== undefined && opts.etcd !== false;
    const leaseMs = ha ? durationFlag(ELECTION_TTL_FLAG, opts.electionTtl) : out.leaseMs;
    relation(
      renewMs < leaseMs,
      "--renew-deadline",
      renewMs,
      `expected shorter than ${ha ? "--election-ttl" : "--lease"} (${formatDuration(leaseMs)}): the leader must stop acting before its lease can expire`,
    );
  }
  return out;
}

export const SQL_MAX_ROWS = { flag: "--sql-max-rows", default: 10_000, min: 1, max: 1_000_000 } as const;
