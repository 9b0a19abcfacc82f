// Crash-loop back-off like the kubelet's: the first restart at once, then `initial`, doubling,
// capped at `max`; a container that ran `reset` without a restart starts again from zero.

export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
  resetMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

/** Checks the options first, so a bad server flag fails at start, not at the first crash. */
export function validateBackoff(cfg: BackoffConfig): BackoffConfig {
  if (!(cfg.initialMs > 0)) throw new RangeError(`back-off initial must be > 0, got ${cfg.initialMs} ms`);
  if (!(cfg.maxMs >= cfg.initialMs))
    throw new RangeError(`back-off max (${cfg.maxMs} ms) must be >= initial (${cfg.initialMs} ms)`);
  if (!(cfg.resetMs > 0)) throw new RangeError(`back-off reset must be > 0, got ${cfg.resetMs} ms`);
  return cfg;
}

/** Delay before the restart number `step` (0-based) of a back-off sequence. */
export function backoffDelay(step: number, cfg: BackoffConfig): number {
  if (step <= 0) return 0;
  // 2 ** 40 already exceeds any sane cap: avoid Infinity for absurd step counts.
  return Math.min(cfg.initialMs * 2 ** Math.min(step - 1, 40), cfg.maxMs);
}

/**
 * The step for the restart that follows an exit at `exitedAt`: back to 0 when the container had
 * been running for `reset` since its last restart, else one more than before.
 */
export function nextBackoffStep(
  prevStep: number,
  lastRestartAt: number | null,
  exitedAt: number,
  cfg: BackoffConfig,
): number {
  if (lastRestartAt === null || exitedAt - lastRestartAt >= cfg.resetMs) return 0;
  return prevStep + 1;
}

/** A pod's override merged over the server's settings. */
export function effectiveBackoff(
  server: BackoffConfig,
  pod: { initialMs?: number; maxMs?: number; resetMs?: number } | undefined,
): BackoffConfig {
  if (!pod) return server;
  const initialMs = pod.initialMs ?? server.initialMs;
  const maxMs = pod.maxMs ?? Math.max(server.maxMs, initialMs);
  return { initialMs, maxMs: Math.max(maxMs, initialMs), resetMs: pod.resetMs ?? server.resetMs };
}
