// What the leader loop needs from an election, whatever backs it (the SQLite lease of one state
// file, or a campaign key in etcd): wait to lead, then a term whose signal aborts when leadership
// ends. Lease timing is checked here once, like client-go's LeaderElectionConfig.
import { UsageError } from "../lib/errors.ts";

export interface Term {
  /** Aborts the moment leadership ends: lease lost, renew deadline passed, or shutdown. */
  readonly signal: AbortSignal;
  /** Grows with every new leader: the fencing token (SQLite lease epoch, etcd create revision). */
  readonly term: number;
  /** Ends the term from the leader's side (a leader loop failed): stops renewing it. */
  end(): void;
}

export interface Elector {
  /** Resolves when this process leads, or undefined when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<Term | undefined>;
  /** Hands leadership back (shutdown): the next candidate need not wait for expiry. */
  release(): Promise<void>;
}

/** Lease duration > renew deadline > retry period, as in client-go (15 s / 10 s / 2 s). */
export interface LeaseTiming {
  leaseMs: number;
  /** A leader that could not renew for this long stops acting: before the lease can expire. */
  renewDeadlineMs: number;
  /** How often the leader renews and a candidate retries. */
  retryPeriodMs: number;
}

/** Defaults in client-go's ratios (10/15 and 2/15 of the lease); throws UsageError naming the flag. */
export function leaseTiming(leaseMs: number, renewDeadlineMs?: number, retryPeriodMs?: number): LeaseTiming {
  const t = {
    leaseMs,
    renewDeadlineMs: renewDeadlineMs ?? Math.round((leaseMs * 2) / 3),
    retryPeriodMs: retryPeriodMs ?? Math.max(10, Math.round(leaseMs / 7.5)),
  };
  if (!(t.leaseMs > 0)) throw new UsageError(`lease duration ${leaseMs} ms: must be > 0`);
  if (!(t.renewDeadlineMs < t.leaseMs))
    throw new UsageError(
      `renew deadline ${t.renewDeadlineMs} ms must be shorter than the lease (${t.leaseMs} ms)`,
    );
  if (!(t.retryPeriodMs > 0 && t.retryPeriodMs < t.renewDeadlineMs))
    throw new UsageError(
      `retry period ${t.retryPeriodMs} ms must be > 0 and shorter than the renew deadline (${t.renewDeadlineMs} ms)`,
    );
  return t;
}
