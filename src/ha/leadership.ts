// The server's outer loop: wait to lead, run the leader's work and every leader-only loop under
// the term's signal, and when the term ends (lease lost, renew deadline, shutdown) stop them all
// before waiting again. Followers run none of them.
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { Elector, Term } from "./elector.ts";

/** A loop only the leader runs (controller, scheduler, node agents, autoscaler...). */
export type LeaderLoop = (signal: AbortSignal, term: Term) => Promise<void>;

/** The one place leader-only loops register: each runs for every term, under its signal. */
export class LeaderLoops {
  private readonly loops = new Map<string, LeaderLoop>();

  register(name: string, loop: LeaderLoop): void {
    if (this.loops.has(name)) throw new Error(`leader loop ${name} registered twice`);
    this.loops.set(name, loop);
  }

  /** Runs every loop until `term.signal` aborts; a loop that throws is logged and ends the term. */
  async run(term: Term, log: Logger, abort: () => void): Promise<void> {
    await Promise.allSettled(
      [...this.loops].map(async ([name, loop]) => {
        try {
          await loop(term.signal, term);
        } catch (err) {
          log.error(`leader loop ${name} failed: ${errorMessage(err)}`, { event: "leader" });
        } finally {
          // A loop that returns while the term lasts has failed: leading without it is wrong.
          if (!term.signal.aborted) {
            log.error(`leader loop ${name} ended; stepping down`, { event: "leader" });
            abort();
          }
        }
      }),
    );
  }
}

export interface LeadershipHooks {
  onLeader?: (term: Term) => void;
  onFollower?: () => void;
}

/** Leads whenever elected until `signal` aborts; resolves after the last term has stopped. */
export async function runLeadership(
  elector: Elector,
  loops: LeaderLoops,
  signal: AbortSignal,
  log: Logger,
  hooks: LeadershipHooks = {},
): Promise<void> {
  try {
    while (!signal.aborted) {
      const term = await elector.acquire(signal);
      if (!term) break;
      log.info(`Elected leader (term ${term.term}); reconciling`, { event: "lease" });
      const local = new AbortController();
      const stop = () => local.abort();
      term.signal.addEventListener("abort", stop, { once: true });
      signal.addEventListener("abort", stop, { once: true });
      hooks.onLeader?.(term);
      try {
        await loops.run({ signal: local.signal, term: term.term, end: stop }, log, stop);
      } finally {
        term.end();
        term.signal.removeEventListener("abort", stop);
        signal.removeEventListener("abort", stop);
        hooks.onFollower?.();
      }
      if (!signal.aborted)
        log.warn(`Leadership ended (term ${term.term}); back to waiting`, { event: "lease" });
    }
  } finally {
    await elector.release();
  }
}
