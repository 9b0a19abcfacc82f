// Keeps a leader's term alive: renews every retry period and ends the term (aborts its signal)
// when the lease is reported lost, or when no renewal has succeeded within the renew deadline —
// which comes before the lease can expire, so a leader that cannot reach its lease store (a
// SQLite file stuck busy, an etcd it is cut off from) stops acting while it still holds the
// lease. Not guaranteed: a process paused (SIGSTOP, a long GC) past the whole lease acts once
// more when it wakes; fenced writes (etcd's guarded log transaction) catch that case.
import type { Clock } from "../lib/clock.ts";
import { sleep, systemClock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { LeaseTiming } from "./elector.ts";

/** "renewed" counts from when the attempt began; `{ renewedAt }` says when it was really sent. */
export type RenewResult = "renewed" | "lost" | { renewedAt: number };

export interface KeepTermOptions {
  timing: LeaseTiming;
  /** One renewal attempt. A throw (or a hang past the deadline) counts as a failed attempt. */
  renew: (signal: AbortSignal) => Promise<RenewResult> | RenewResult;
  /** Aborted by keepTerm when the term ends; its abort also stops keepTerm. */
  term: AbortController;
  log: Logger;
  clock?: Clock;
  /** When the lease was last known good (acquired or renewed), ms. Default: now. */
  since?: number;
  /** Each successful renewal, with the time it was sent (the lease runs at least from then). */
  onRenewed?: (sentAt: number) => void;
}

/** Resolves when the term ends, with why. */
export async function keepTerm(o: KeepTermOptions): Promise<string> {
  const clock = o.clock ?? systemClock;
  const { timing, term, log } = o;
  let lastOk = o.since ?? clock.now();
  const end = (why: string) => {
    if (!term.signal.aborted) term.abort(new Error(why));
    return why;
  };
  // A watchdog, not only the loop: a renewal that hangs must not hold the term open.
  let watchdog: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(
      () => {
        log.error(
          `Lease not renewed within the renew deadline (${timing.renewDeadlineMs} ms); stepping down`,
          {
            event: "lease",
          },
        );
        end("renew deadline passed");
      },
      Math.max(0, lastOk + timing.renewDeadlineMs - clock.now()),
    );
  };
  arm();
  try {
    while (!term.signal.aborted) {
      await sleep(timing.retryPeriodMs, term.signal);
      if (term.signal.aborted) break;
      const sentAt = clock.now();
      const attempt = new AbortController();
      const stop = () => attempt.abort();
      term.signal.addEventListener("abort", stop, { once: true });
      try {
        const r = await o.renew(attempt.signal);
        if (term.signal.aborted) break;
        if (r === "lost") {
          log.error("Lease lost to another candidate; stepping down", { event: "lease" });
          return end("lease lost");
        }
        // The lease runs from when the renewal was sent, at the latest: count from then.
        const at = r === "renewed" ? sentAt : r.renewedAt;
        if (at > lastOk) {
          lastOk = at;
          o.onRenewed?.(at);
          arm();
        }
      } catch (err) {
        log.warn(`Lease renewal failed: ${errorMessage(err)}`, { event: "lease" });
      } finally {
        term.signal.removeEventListener("abort", stop);
      }
    }
    return String((term.signal.reason as Error | undefined)?.message ?? "stopped");
  } finally {
    clearTimeout(watchdog);
  }
}
