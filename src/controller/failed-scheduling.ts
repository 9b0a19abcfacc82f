// How often a pod that fits nowhere gets another FailedScheduling event.

/** Kubernetes' scheduler backs an unschedulable pod off 1 s, doubling to 10 s, between attempts. */
export const FAILED_SCHEDULING_INITIAL_MS = 1000;
export const FAILED_SCHEDULING_MAX_MS = 10_000;

/**
 * The scheduler tries every pending pod on each pass; the event says so only when the reason
 * changes or the pod's back-off has passed (1 s, 2 s, 4 s … 10 s), as the kube-scheduler's queue
 * would have retried it. Without it every pass (and any commit by an agent starts one) adds to the
 * count, and `describe` shows "(x28 over 2s)" for one unchanged reason.
 */
export class FailedSchedulingEvents {
  private readonly last = new Map<string, { message: string; at: number; delayMs: number }>();

  constructor(
    private readonly initialMs = FAILED_SCHEDULING_INITIAL_MS,
    private readonly maxMs = FAILED_SCHEDULING_MAX_MS,
  ) {}

  /** Whether the failure of `pod` with `message` at `now` is recorded as an event. */
  record(pod: string, message: string, now: number): boolean {
    const prev = this.last.get(pod);
    if (prev && prev.message === message && now - prev.at < prev.delayMs) return false;
    const delayMs =
      prev && prev.message === message ? Math.min(prev.delayMs * 2, this.maxMs) : this.initialMs;
    this.last.set(pod, { message, at: now, delayMs });
    return true;
  }

  /** Forgets pods that are no longer pending (bound, deleted): a pod pending again starts afresh. */
  retain(pending: ReadonlySet<string>): void {
    for (const pod of this.last.keys()) if (!pending.has(pod)) this.last.delete(pod);
  }
}
