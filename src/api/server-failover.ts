// The CLI's failover across the servers of an HA control plane (MK_SERVER=a,b,c): a server that
// cannot be reached, or that says it has no leader to take a write (503: no_leader,
// log_unavailable, not_leader), is skipped for the next; the whole list is retried until a
// deadline (MK_FAILOVER_MS, default 15 s: a leader failover takes ~3 s). Any other answer —
// success or a real error — is final.
import { MkError, RuntimeError } from "../lib/errors.ts";

const RETRYABLE = new Set(["no_leader", "log_unavailable", "not_leader"]);

/**
 * A server that answered it has no leader to take the call is worth asking again (a follower
 * forwards to the new leader once one is elected); one that did not answer is, when there are
 * others to ask (`unreachable`): a single server that is down fails at once.
 */
export function isRetryable(err: unknown, unreachable = true): boolean {
  if (err instanceof MkError)
    return RETRYABLE.has(err.code) || (unreachable && /^Cannot reach mk server/.test(err.message));
  return false;
}

export async function withFailover<T>(
  bases: readonly string[],
  preferred: string,
  call: (base: string) => Promise<T>,
  deadlineMs = Number(process.env.MK_FAILOVER_MS ?? 15_000),
): Promise<T> {
  const order = [preferred, ...bases.filter((b) => b !== preferred)];
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (let round = 0; ; round++) {
    for (const base of order) {
      try {
        return await call(base);
      } catch (err) {
        if (!isRetryable(err, bases.length > 1)) throw err;
        last = err;
      }
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(1000, 200 * (round + 1))));
  }
  if (last instanceof Error) throw last;
  throw new RuntimeError(`No mk server answered (${bases.join(", ")})`);
}
