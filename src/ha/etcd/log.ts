// The leader's side of the log: Store.commit hands each transaction's mutations to append(), which
// writes them as the next entry in ONE etcd transaction guarded by two compares:
//   - the campaign key still has this leader's create revision (the fencing token: a deposed
//     leader, whose key expired or was replaced, is refused by etcd itself);
//   - the head is still the entry this replica applied last (no entry can be skipped or written
//     twice, whoever wrote the one before).
// Only then does the SQLite transaction commit: an apply is acknowledged after etcd committed it.
import { MkError } from "../../lib/errors.ts";
import type { Mutation } from "../../store/mutations.ts";
import type { LogPosition, Replicator } from "../../store/replication.ts";
import type { Store } from "../../store/store.ts";
import { b64, type Header, type RawKv } from "./gateway.ts";
import type { Keys, LogEntry } from "./keys.ts";
import type { SyncCaller } from "./sync-call.ts";

/** This replica may not write: it is not the leader, or its term was fenced off. */
export class NotLeaderError extends MkError {
  constructor(message: string, leader?: string) {
    super("not_leader", message, { details: leader ? { leader } : {}, exitCode: 3, httpStatus: 503 });
  }
}

/** The log could not be written (etcd unreachable, no quorum): nothing was applied. */
export class LogUnavailableError extends MkError {
  constructor(message: string) {
    super("log_unavailable", message, { exitCode: 3, httpStatus: 503 });
  }
}

interface TxnAnswer {
  header: Header;
  succeeded?: boolean;
  responses?: { response_range?: { kvs?: RawKv[] } }[];
}

export interface LogWriterOptions {
  store: Store;
  sync: SyncCaller;
  keys: Keys;
  id: string;
  /** The term this replica leads now (create revision of its campaign key), or undefined. */
  term: () => number | undefined;
  /** etcd refused the write because the term is over: the elector steps down at once. */
  onFenced: (why: string) => void;
  /** The head moved past what this replica applied: the applier catches up. */
  onBehind: () => void;
  onAppended?: (entry: LogEntry) => void;
  /**
   * The log could not be written for this long (ms): the leader steps down (onFenced), so that
   * its next term starts afresh — heartbeats first — instead of acting on state it could not
   * record (a node's heartbeats missed only because the log was unreachable would evict its pods).
   */
  maxOutageMs?: number;
  now?: () => number;
  timeoutMs?: number;
}

export class LogWriter implements Replicator {
  /** When the current run of failed writes began (0: the last write worked). */
  private failingSince = 0;

  constructor(private readonly o: LogWriterOptions) {}

  private failed(): void {
    const now = (this.o.now ?? Date.now)();
    if (this.failingSince === 0) this.failingSince = now;
    else if (this.o.maxOutageMs !== undefined && now - this.failingSince > this.o.maxOutageMs) {
      this.failingSince = 0;
      this.o.onFenced(`the log could not be written for over ${this.o.maxOutageMs} ms`);
    }
  }

  append(muts: readonly Mutation[]): LogPosition {
    const { keys, store, id } = this.o;
    const term = this.o.term();
    if (term === undefined) throw new NotLeaderError(`${id} is not the leader: writes go to the leader`);
    const applied = store.appliedPosition();
    const seq = applied.seq + 1;
    const entry: LogEntry = { seq, term, leader: id, at: (this.o.now ?? Date.now)(), muts: [...muts] };
    const head =
      applied.seq === 0
        ? { key: b64(keys.head), target: "VERSION", result: "EQUAL", version: "0" }
        : { key: b64(keys.head), target: "VALUE", result: "EQUAL", value: b64(String(applied.seq)) };
    let r: TxnAnswer;
    try {
      r = this.o.sync.call<TxnAnswer>(
        "/v3/kv/txn",
        {
          compare: [
            { key: b64(keys.election), target: "CREATE", result: "EQUAL", create_revision: String(term) },
            head,
          ],
          success: [
            { request_put: { key: b64(keys.log(seq)), value: b64(JSON.stringify(entry)) } },
            { request_put: { key: b64(keys.head), value: b64(String(seq)) } },
          ],
          failure: [
            { request_range: { key: b64(keys.election) } },
            { request_range: { key: b64(keys.head) } },
          ],
        },
        this.o.timeoutMs,
      );
    } catch (err) {
      // Unknown outcome (a timeout) or not written: either way the applier reads the log next.
      this.o.onBehind();
      this.failed();
      throw new LogUnavailableError(`Cannot write to the etcd log: ${(err as Error).message}`);
    }
    if (r.succeeded) {
      this.failingSince = 0;
      this.o.onAppended?.(entry);
      return { seq, revision: Number(r.header.revision ?? 0) };
    }
    const campaign = r.responses?.[0]?.response_range?.kvs?.[0];
    if (!campaign || Number(campaign.create_revision) !== term) {
      const why = `term ${term} is over (the campaign key is ${campaign ? "another leader's" : "gone"})`;
      this.o.onFenced(why);
      throw new NotLeaderError(`etcd refused the write of ${id}: ${why}`);
    }
    this.o.onBehind();
    throw new LogUnavailableError(
      `The log moved past entry ${applied.seq} before this write: catching up, try again`,
    );
  }
}
