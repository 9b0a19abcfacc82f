// The embedded default's election: the controller lease row in the state file (store/lease.ts),
// renewed under keepTerm's renew deadline. One server per state file leads; `mk apply` without a
// server takes the same lease for its converge.
import type { Clock } from "../lib/clock.ts";
import { sleep, systemClock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { readLease, releaseLease, tryLease } from "../store/lease.ts";
import type { Store } from "../store/store.ts";
import type { Elector, LeaseTiming, Term } from "./elector.ts";
import { keepTerm } from "./keep-term.ts";

export class SqliteLeaseElector implements Elector {
  private readonly clock: Clock;

  constructor(
    private readonly o: {
      store: Store;
      name: string;
      identity: string;
      timing: LeaseTiming;
      log: Logger;
      clock?: Clock;
    },
  ) {
    this.clock = o.clock ?? systemClock;
  }

  async acquire(signal: AbortSignal): Promise<Term | undefined> {
    const { store, name, identity, timing, log } = this.o;
    let waitingFor = "";
    while (!signal.aborted) {
      let wait = timing.retryPeriodMs;
      try {
        const since = this.clock.now();
        const d = tryLease(store, name, identity, timing.leaseMs);
        if (d.action !== "wait") {
          const term = new AbortController();
          const stop = () => term.abort(new Error("shutdown"));
          signal.addEventListener("abort", stop, { once: true });
          void keepTerm({
            timing,
            term,
            log,
            clock: this.clock,
            since,
            renew: () =>
              tryLease(store, name, identity, timing.leaseMs).action === "wait" ? "lost" : "renewed",
          }).finally(() => signal.removeEventListener("abort", stop));
          return {
            signal: term.signal,
            term: readLease(store, name)?.epoch ?? 0,
            end: () => term.abort(new Error("ended by the leader")),
          };
        }
        if (d.holder !== waitingFor) {
          log.info(`Waiting for the controller lease, held by ${d.holder}`, { event: "lease" });
          waitingFor = d.holder;
        }
        wait = Math.min(timing.retryPeriodMs, Math.max(10, d.expiresAt - this.clock.now()));
      } catch (err) {
        log.error(`lease failed: ${errorMessage(err)}`, { event: "lease" });
      }
      await sleep(wait, signal);
    }
    return undefined;
  }

  async release(): Promise<void> {
    try {
      releaseLease(this.o.store, this.o.name, this.o.identity);
    } catch (err) {
      this.o.log.error(`lease release failed: ${errorMessage(err)}`, { event: "lease" });
    }
  }
}
