// Leader election in etcd: each replica holds a session lease (TTL = --election-ttl) and campaigns
// by creating the campaign key on it (a transaction: create only if absent). The winner's term is
// the key's create revision — the fencing token every log write is compared against. A leader
// renews its lease every retry period under keepTerm's renew deadline (< TTL): cut off from etcd,
// it stops acting before its key can expire and another replica take over. After stepping down
// on a deadline while its lease lived on (etcd electing a new raft leader stalls renewals for a
// second or two), it finds its own key on its own lease and leads on in the same term.
// Candidates watch the key and campaign again the moment it is deleted (lease expiry or resign).
// Not guaranteed: a leader paused past the TTL may still run a Docker action that was in flight;
// its log writes are refused by etcd (the create-revision compare in log.ts).
import { sleep } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { Elector, LeaseTiming, Term } from "../elector.ts";
import { keepTerm } from "../keep-term.ts";
import { b64, decodeKv, type Gateway, type Header, type RawKv } from "./gateway.ts";
import type { Keys } from "./keys.ts";
import type { SyncCaller } from "./sync-call.ts";

export type Role = "leader" | "follower" | "candidate";

/** The log cannot be caught up without a leader to take a snapshot from: let another replica lead. */
export class NeedsLeaderError extends Error {}

export interface EtcdElectorOptions {
  gateway: Gateway;
  keys: Keys;
  id: string;
  timing: LeaseTiming;
  log: Logger;
  /** The worker thread that renews the session lease, whatever the main thread is busy with. */
  worker: SyncCaller;
  /** Runs after winning, before leading: the log must be applied up to its head. */
  beforeLead: (signal: AbortSignal) => Promise<void>;
  onRoleChange?: (role: Role, leader: string | undefined) => void;
}

export class EtcdElector implements Elector {
  role: Role = "candidate";
  /** The leader as last seen (id), and its term. */
  leader: string | undefined;
  term = 0;
  lastError: string | undefined;
  private lease: string | undefined;
  private leading: { term: number; ctl: AbortController } | undefined;
  private lastRenewOk = 0;

  constructor(private readonly o: EtcdElectorOptions) {}

  get leaseId(): string | undefined {
    return this.lease;
  }

  /** The term this replica may write in now, or undefined (LogWriter's fence before etcd's). */
  writableTerm(): number | undefined {
    const l = this.leading;
    if (!l || l.ctl.signal.aborted) return undefined;
    if (this.renewal() === "lost") return undefined;
    if (Date.now() - this.lastRenewOk > this.o.timing.renewDeadlineMs) return undefined;
    return l.term;
  }

  /** etcd refused a write: the term is over, stop at once. */
  fence(why: string): void {
    this.o.log.error(`Fenced off: ${why}; stepping down`, { event: "lease" });
    this.leading?.ctl.abort(new Error(why));
  }

  private setRole(role: Role, leader: string | undefined, term?: number): void {
    const changed = role !== this.role || leader !== this.leader;
    this.role = role;
    this.leader = leader;
    if (term !== undefined) this.term = term;
    if (changed) this.o.onRoleChange?.(role, leader);
  }

  private ttlSeconds(): number {
    return Math.max(1, Math.ceil(this.o.timing.leaseMs / 1000));
  }

  /** The session lease, granted on first use and again after it was lost. */
  async ensureLease(signal?: AbortSignal): Promise<string> {
    if (this.lease) return this.lease;
    const sentAt = Date.now();
    const r = await this.o.gateway.call<{ ID: string; TTL: string }>(
      "/v3/lease/grant",
      { TTL: String(this.ttlSeconds()) },
      signal ? { signal } : {},
    );
    this.lease = r.ID;
    this.lastRenewOk = sentAt;
    const { retryPeriodMs, renewDeadlineMs } = this.o.timing;
    this.o.worker.keepalive(r.ID, sentAt, retryPeriodMs, renewDeadlineMs);
    return r.ID;
  }

  /** What the worker's keepalive says of the session lease. */
  private renewal(): "lost" | { renewedAt: number } {
    const st = this.o.worker.keepaliveState();
    if (st.lost) return "lost";
    if (st.lastOk > this.lastRenewOk) this.lastRenewOk = st.lastOk;
    return { renewedAt: this.lastRenewOk };
  }

  /** Watches the session lease (renewed by the worker): a lost lease is granted anew. */
  async session(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.o.timing.retryPeriodMs, signal);
      if (signal.aborted || this.leading || !this.lease) continue;
      if (this.renewal() === "lost") {
        this.o.worker.stopKeepalive();
        this.lease = undefined;
      }
    }
  }

  async acquire(signal: AbortSignal): Promise<Term | undefined> {
    const { gateway, keys, id, timing, log } = this.o;
    while (!signal.aborted) {
      let won: number | undefined;
      try {
        const lease = await this.ensureLease(signal);
        const r = await gateway.call<{
          header: Header;
          succeeded?: boolean;
          responses?: { response_range?: { kvs?: RawKv[] } }[];
        }>(
          "/v3/kv/txn",
          {
            compare: [{ key: b64(keys.election), target: "CREATE", result: "EQUAL", create_revision: "0" }],
            success: [{ request_put: { key: b64(keys.election), value: b64(id), lease } }],
            failure: [{ request_range: { key: b64(keys.election) } }],
          },
          { signal, retryOnTimeout: false },
        );
        this.lastError = undefined;
        if (r.succeeded) {
          won = Number(r.header.revision);
        } else {
          const raw = r.responses?.[0]?.response_range?.kvs?.[0];
          const kv = raw ? decodeKv(raw) : undefined;
          if (kv && kv.value === id && kv.lease === lease) {
            won = kv.createRevision; // still ours: lead on in the same term
          } else if (kv) {
            this.setRole("follower", kv.value === id ? undefined : kv.value, kv.createRevision);
            await this.waitForChange(kv.modRevision, signal);
            continue;
          } else continue;
        }
        this.setRole("candidate", undefined, won);
        await this.o.beforeLead(signal);
        if (signal.aborted) break;
      } catch (err) {
        if (signal.aborted) break;
        this.lastError = errorMessage(err);
        if (this.role !== "candidate") this.setRole("candidate", undefined);
        if (err instanceof NeedsLeaderError && won !== undefined) {
          log.warn(`Cannot lead: ${this.lastError}; resigning so another replica leads`, { event: "lease" });
          await this.resign(won).catch(() => undefined);
          await sleep(timing.leaseMs, signal);
        } else {
          log.warn(`Campaign failed: ${this.lastError}`, { event: "lease" });
          await sleep(timing.retryPeriodMs, signal);
        }
        continue;
      }
      const ctl = new AbortController();
      const stop = () => ctl.abort(new Error("shutdown"));
      signal.addEventListener("abort", stop, { once: true });
      const term = won;
      this.leading = { term, ctl };
      this.setRole("leader", id, term);
      void keepTerm({
        timing,
        term: ctl,
        log,
        since: this.lastRenewOk,
        onRenewed: (at) => {
          this.lastRenewOk = at;
        },
        renew: () => this.renewal(),
      }).then((why) => {
        signal.removeEventListener("abort", stop);
        if (why === "lease lost") {
          this.o.worker.stopKeepalive();
          this.lease = undefined;
        }
        if (this.leading?.ctl === ctl) this.leading = undefined;
        if (this.role === "leader") this.setRole("candidate", undefined);
        if (!signal.aborted) log.warn(`Term ${term} ended: ${why}`, { event: "lease" });
      });
      return { signal: ctl.signal, term, end: () => ctl.abort(new Error("ended by the leader")) };
    }
    return undefined;
  }

  /** Waits until the campaign key changes after `rev` (a watch), or a retry period at most ×4. */
  private async waitForChange(rev: number, signal: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), this.o.timing.retryPeriodMs * 4);
    try {
      for await (const msg of this.o.gateway.stream<{ result?: { events?: unknown[] } }>(
        "/v3/watch",
        { create_request: { key: b64(this.o.keys.election), start_revision: String(rev + 1) } },
        AbortSignal.any([signal, stop.signal]),
      )) {
        if (msg.result?.events?.length) return;
      }
    } catch {
      // timed out or etcd unreachable: the caller campaigns again
    } finally {
      clearTimeout(timer);
    }
  }

  private async resign(term: number): Promise<void> {
    await this.o.gateway.call("/v3/kv/txn", {
      compare: [
        { key: b64(this.o.keys.election), target: "CREATE", result: "EQUAL", create_revision: String(term) },
      ],
      success: [{ request_delete_range: { key: b64(this.o.keys.election) } }],
    });
  }

  /** Shutdown: revoking the lease deletes the campaign key, so the next leader need not wait. */
  async release(): Promise<void> {
    this.leading?.ctl.abort(new Error("shutdown"));
    const lease = this.lease;
    this.lease = undefined;
    this.o.worker.stopKeepalive();
    if (!lease) return;
    try {
      await this.o.gateway.call("/v3/lease/revoke", { ID: lease }, { timeoutMs: 1000 });
    } catch (err) {
      this.o.log.warn(`Cannot revoke the etcd lease: ${errorMessage(err)}`, { event: "lease" });
    }
  }
}
