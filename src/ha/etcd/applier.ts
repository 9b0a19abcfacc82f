// Every replica's side of the log (the leader's too): reads entries after the one applied last and
// applies each to the local SQLite in log order, once (Store.applyLogEntry records the position in
// the same transaction). A watch on the log wakes it; a poll every second covers a watch that died
// silently. An entry that is gone (compacted) means this replica is too far behind: it restores a
// snapshot from the leader first (snapshot.ts), then tails from the snapshot's position.
import { sleep } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { Trigger } from "../../lib/trigger.ts";
import type { Store } from "../../store/store.ts";
import { b64, decodeKv, type Gateway, type Header, prefixEnd, type RawKv } from "./gateway.ts";
import type { Keys, LogEntry } from "./keys.ts";

/**
 * The etcd prefix no longer holds this replica's log: wiped (no cluster key), replaced by another
 * cluster's, or rolled back behind what this replica applied (an old etcd backup). Nothing is
 * applied and nothing written until an operator recovers (docs/ha.md, "etcd data lost"): an empty
 * log is never taken for "delete everything".
 */
export class LogIntegrityError extends Error {}

interface RangeAnswer {
  header: Header;
  kvs?: RawKv[];
  more?: boolean;
}

export interface ApplierOptions {
  gateway: Gateway;
  keys: Keys;
  store: Store;
  log: Logger;
  /** Replaces the local state by the leader's snapshot; the applier tails from its position. */
  snapshot: (why: string) => Promise<void>;
  onApplied?: (entry: LogEntry, lagMs: number) => void;
  /** Every entry up to the head seen is applied (the writer may write again). */
  onCaughtUp?: () => void;
  /**
   * The first entry applied here that etcd has not confirmed yet (the leader's writer), or
   * undefined: the head may lag that far behind what this replica applied.
   */
  firstUnconfirmed?: () => number | undefined;
  /** The log's identity is lost (LogIntegrityError's message) or back (undefined). */
  onIntegrity?: (problem: string | undefined) => void;
}

export class LogApplier {
  private readonly wake = new Trigger();
  /** The newest head seen in etcd, and when: what "caught up" is measured against. */
  head = 0;
  headSeenAt = 0;
  lastError: string | undefined;
  /** Why the log in etcd is not this replica's any more (see LogIntegrityError), or undefined. */
  integrity: string | undefined;

  constructor(private readonly o: ApplierOptions) {}

  /** The log's identity against this replica's state: a problem, or undefined. */
  private check(
    cluster: string | undefined,
    head: number,
    applied: number,
    confirmed: number,
  ): string | undefined {
    const mine = this.o.store.getMeta("cluster_id");
    const where = `etcd prefix ${this.o.keys.prefix}`;
    if (cluster === undefined) {
      if (applied === 0) return undefined;
      return `${where} lost its data (no cluster key; this replica has applied ${applied} log entries): refusing to act on an empty log`;
    }
    if (mine !== undefined && cluster !== mine)
      return `${where} holds another cluster's log (${cluster}; this replica belongs to ${mine}): refusing to apply it`;
    if (head < confirmed)
      return `the log at ${where} ends at entry ${head}, behind this replica's entry ${applied}: etcd's data was lost or restored from an older backup; refusing to act`;
    return undefined;
  }

  private setIntegrity(problem: string | undefined): void {
    if (problem === this.integrity) return;
    this.integrity = problem;
    if (problem) this.o.log.error(problem, { event: "ha-log-lost" });
    else this.o.log.info("The etcd log is this replica's again", { event: "ha-log-lost" });
    this.o.onIntegrity?.(problem);
  }

  /** Makes the tail loop look at the log now (the writer saw it move). */
  poke(): void {
    this.wake.fire();
  }

  /** Applies every entry up to the current head; resolves when caught up with it. */
  async catchUp(signal?: AbortSignal): Promise<void> {
    const { gateway, keys, store } = this.o;
    for (;;) {
      if (signal?.aborted) return;
      const applied = store.appliedPosition().seq;
      // The leader's own entries not yet confirmed are ahead of the head by design.
      const unconfirmed = this.o.firstUnconfirmed?.();
      const confirmed = unconfirmed === undefined ? applied : Math.min(applied, unconfirmed - 1);
      const r = await gateway.call<{ responses: { response_range: RangeAnswer }[]; header: Header }>(
        "/v3/kv/txn",
        {
          compare: [],
          success: [
            { request_range: { key: b64(keys.head) } },
            {
              request_range: {
                key: b64(keys.log(applied + 1)),
                range_end: prefixEnd(keys.logPrefix),
                limit: "200",
              },
            },
            { request_range: { key: b64(keys.cluster) } },
          ],
        },
        { signal },
      );
      const headKv = r.responses[0]?.response_range.kvs?.[0];
      const head = headKv ? Number(decodeKv(headKv).value) : 0;
      const clusterKv = r.responses[2]?.response_range.kvs?.[0];
      const problem = this.check(clusterKv ? decodeKv(clusterKv).value : undefined, head, applied, confirmed);
      this.setIntegrity(problem);
      if (problem) throw new LogIntegrityError(problem);
      this.head = head;
      this.headSeenAt = Date.now();
      this.lastError = undefined;
      const kvs = r.responses[1]?.response_range.kvs ?? [];
      if (head <= applied && kvs.length === 0) {
        this.o.onCaughtUp?.();
        return;
      }
      const first = kvs[0] ? (JSON.parse(decodeKv(kvs[0]).value) as LogEntry) : undefined;
      if (!first || first.seq !== applied + 1) {
        await this.o.snapshot(
          `entry ${applied + 1} is no longer in the log (${first ? `it starts at ${first.seq}` : "it is empty"}; head ${head})`,
        );
        continue;
      }
      for (const kv of kvs) {
        const d = decodeKv(kv);
        const entry = JSON.parse(d.value) as LogEntry;
        if (store.applyLogEntry({ seq: entry.seq, revision: d.modRevision }, entry.muts, entry.at)) {
          this.o.onApplied?.(entry, Math.max(0, Date.now() - entry.at));
        }
      }
      if (!r.responses[1]?.response_range.more && store.appliedPosition().seq >= head) {
        this.o.onCaughtUp?.();
        return;
      }
    }
  }

  /** Tails the log until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const watch = this.watchLoop(signal);
    while (!signal.aborted) {
      try {
        await this.catchUp(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.lastError = errorMessage(err);
        this.o.log.warn(`Cannot read the etcd log: ${this.lastError}`, { event: "ha-log" });
      }
      await this.wake.wait(1000, signal);
    }
    await watch;
  }

  /** A watch on the log's keys: any put wakes the tail loop. */
  private async watchLoop(signal: AbortSignal): Promise<void> {
    const { gateway, keys } = this.o;
    while (!signal.aborted) {
      try {
        const stop = new AbortController();
        const both = AbortSignal.any([signal, stop.signal]);
        for await (const msg of gateway.stream<{ result?: { events?: unknown[] } }>(
          "/v3/watch",
          { create_request: { key: b64(keys.logPrefix), range_end: prefixEnd(keys.logPrefix) } },
          both,
        )) {
          if (msg.result?.events?.length) this.wake.fire();
        }
      } catch {
        // etcd unreachable or the stream broke: the poll covers it; try again shortly
      }
      await sleep(500, signal);
    }
  }
}
