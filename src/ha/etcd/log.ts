// The leader's side of the log, written without blocking the event loop. Store.commit applies a
// batch to SQLite at once (so every read-modify-write still sees its own writes) inside ONE SQLite
// transaction this writer holds open, and queues the batch as the next log entry. A pump writes the
// queued entries to etcd in order, several per etcd transaction, each guarded by two compares:
//   - the campaign key still has this leader's create revision (the fencing token: a deposed
//     leader, whose key expired or was replaced, is refused by etcd itself);
//   - the head is still the entry before the first one written (no entry skipped or written twice).
// When everything queued is committed in etcd, the SQLite transaction commits. When a write is
// refused or its outcome is unknown (a timeout), the SQLite transaction rolls back: the replica's
// SQLite holds only what etcd committed (plus nothing), and the applier reads what etcd has. So
// SQLite never holds an entry etcd lacks, also after a crash (an open transaction dies with the
// process). Acknowledgements wait for synced() (the API answers, the agents' Docker actions), so an
// apply is acknowledged, and a container started, only for state committed in etcd.
import { MkError } from "../../lib/errors.ts";
import type { Mutation } from "../../store/mutations.ts";
import { type LogPosition, type Replicator, writeApplied } from "../../store/replication.ts";
import type { Store } from "../../store/store.ts";
import { b64, type Gateway, type Header, type RawKv } from "./gateway.ts";
import type { Keys, LogEntry } from "./keys.ts";

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
  gateway: Gateway;
  keys: Keys;
  id: string;
  /** The term this replica leads now (create revision of its campaign key), or undefined. */
  term: () => number | undefined;
  /** etcd refused the write because the term is over: the elector steps down at once. */
  onFenced: (why: string) => void;
  /** The log may hold entries this replica has not applied: the applier catches up (then resume()). */
  onBehind: () => void;
  onAppended?: (entry: LogEntry) => void;
  /**
   * The log could not be written for this long (ms): the leader steps down (onFenced), so that
   * its next term starts afresh — heartbeats first — instead of acting on state it could not
   * record (a node's heartbeats missed only because the log was unreachable would evict its pods).
   */
  maxOutageMs?: number;
  now?: () => number;
  /** Why the log may not be written at all now (its identity is lost), or undefined. */
  refuse?: () => string | undefined;
  /** Deadline of one etcd write (ms). */
  timeoutMs?: number;
  /** Entries per etcd transaction at most (etcd's --max-txn-ops is 128 by default; one put each). */
  maxBatch?: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class LogWriter implements Replicator {
  /** When the current run of failed writes began (0: the last write worked). */
  private failingSince = 0;
  /** This writer holds an SQLite transaction open with the entries not yet committed in etcd. */
  private open = false;
  private queue: LogEntry[] = [];
  private inflight: LogEntry[] = [];
  private waiters: Waiter[] = [];
  private pumping = false;
  /** A write failed: no new entry until the applier has read what etcd has (resume()). */
  private stalled: string | undefined;
  /** The etcd revision of the newest entry etcd confirmed to this writer. */
  private revision = 0;

  constructor(private readonly o: LogWriterOptions) {}

  private failed(): void {
    const now = (this.o.now ?? Date.now)();
    if (this.failingSince === 0) this.failingSince = now;
    else if (this.o.maxOutageMs !== undefined && now - this.failingSince > this.o.maxOutageMs) {
      this.failingSince = 0;
      this.o.onFenced(`the log could not be written for over ${this.o.maxOutageMs} ms`);
    }
  }

  /** Before a local write: opens the transaction the unconfirmed entries live in. */
  begin(): void {
    const { id, store } = this.o;
    if (this.o.term() === undefined)
      throw new NotLeaderError(`${id} is not the leader: writes go to the leader`);
    const refused = this.o.refuse?.();
    if (refused !== undefined) throw new LogUnavailableError(`Cannot write to the etcd log: ${refused}`);
    if (this.stalled !== undefined)
      throw new LogUnavailableError(`Cannot write to the etcd log now: ${this.stalled}; try again`);
    if (!this.open) {
      if (!store.sqlite.inTransaction) store.sqlite.exec("BEGIN IMMEDIATE");
      this.open = true;
    }
  }

  /** Queues the batch (applied locally already, in the open transaction) as the next entry. */
  append(muts: readonly Mutation[]): LogPosition {
    const { store, id } = this.o;
    const term = this.o.term();
    if (term === undefined) throw new NotLeaderError(`${id} is not the leader: writes go to the leader`);
    if (!this.open) throw new Error("LogWriter.append outside begin()");
    const applied = store.appliedPosition();
    const seq = applied.seq + 1;
    this.queue.push({ seq, term, leader: id, at: (this.o.now ?? Date.now)(), muts: [...muts] });
    queueMicrotask(() => void this.pump());
    return { seq, revision: applied.revision };
  }

  /** Resolves when every entry appended so far is committed in etcd; rejects when one was refused. */
  synced(): Promise<void> {
    const last = this.queue.at(-1) ?? this.inflight.at(-1);
    if (!last) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq: last.seq, resolve, reject }));
  }

  /** The applier has read the log up to its head: new entries may be written again. */
  resume(): void {
    this.stalled = undefined;
  }

  /** The first entry applied locally that etcd has not confirmed, or undefined. */
  firstUnconfirmed(): number | undefined {
    return (this.inflight[0] ?? this.queue[0])?.seq;
  }

  /** Entries queued or in flight (for metrics and tests). */
  pendingCount(): number {
    return this.queue.length + this.inflight.length;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        this.inflight = this.queue.splice(0, batchSize(this.queue, this.o.maxBatch ?? 100));
        const err = await this.write(this.inflight);
        if (err) {
          this.discard(err);
          return;
        }
        const last = this.inflight.at(-1) as LogEntry;
        this.inflight = [];
        this.failingSince = 0;
        this.settle(last.seq);
        if (this.queue.length === 0) this.commitLocal();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Writes `batch` as entries in one etcd transaction; returns the error, or undefined. */
  private async write(batch: LogEntry[]): Promise<Error | undefined> {
    const { keys, id } = this.o;
    const first = batch[0] as LogEntry;
    const last = batch.at(-1) as LogEntry;
    const term = first.term;
    const head =
      first.seq === 1
        ? { key: b64(keys.head), target: "VERSION", result: "EQUAL", version: "0" }
        : { key: b64(keys.head), target: "VALUE", result: "EQUAL", value: b64(String(first.seq - 1)) };
    let r: TxnAnswer;
    try {
      r = await this.o.gateway.call<TxnAnswer>(
        "/v3/kv/txn",
        {
          compare: [
            { key: b64(keys.election), target: "CREATE", result: "EQUAL", create_revision: String(term) },
            head,
          ],
          success: [
            ...batch.map((e) => ({
              request_put: { key: b64(keys.log(e.seq)), value: b64(JSON.stringify(e)) },
            })),
            { request_put: { key: b64(keys.head), value: b64(String(last.seq)) } },
          ],
          failure: [
            { request_range: { key: b64(keys.election) } },
            { request_range: { key: b64(keys.head) } },
          ],
        },
        { ...(this.o.timeoutMs !== undefined ? { timeoutMs: this.o.timeoutMs } : {}), retryOnTimeout: false },
      );
    } catch (err) {
      // Unknown outcome (a timeout) or not written: either way the applier reads the log next.
      this.failed();
      return new LogUnavailableError(`Cannot write to the etcd log: ${(err as Error).message}`);
    }
    if (r.succeeded) {
      this.revision = Number(r.header.revision ?? 0);
      for (const e of batch) this.o.onAppended?.(e);
      return undefined;
    }
    const campaign = r.responses?.[0]?.response_range?.kvs?.[0];
    if (!campaign || Number(campaign.create_revision) !== term) {
      const why = `term ${term} is over (the campaign key is ${campaign ? "another leader's" : "gone"})`;
      this.o.onFenced(why);
      return new NotLeaderError(`etcd refused the write of ${id}: ${why}`);
    }
    return new LogUnavailableError(
      `The log moved past entry ${first.seq - 1} before this write: catching up, try again`,
    );
  }

  private settle(seq: number): void {
    const done = this.waiters.filter((w) => w.seq <= seq);
    this.waiters = this.waiters.filter((w) => w.seq > seq);
    for (const w of done) w.resolve();
  }

  /** Everything queued is in etcd: the SQLite transaction commits, with the entries' revision. */
  private commitLocal(): void {
    const { store } = this.o;
    if (!this.open) return;
    this.open = false;
    if (!store.sqlite.inTransaction) return;
    writeApplied(store.sqlite, { seq: store.appliedPosition().seq, revision: this.revision });
    store.sqlite.exec("COMMIT");
  }

  /**
   * A write was refused or its outcome is unknown: every entry not confirmed is dropped and the
   * SQLite transaction rolls back (entries etcd confirmed in it come back through the applier).
   */
  private discard(err: Error): void {
    const { store } = this.o;
    this.queue = [];
    this.inflight = [];
    if (this.open) {
      this.open = false;
      if (store.sqlite.inTransaction) store.sqlite.exec("ROLLBACK");
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
    this.stalled = err.message;
    this.o.onBehind();
  }
}

/** etcd refuses requests over 1.5 MiB (--max-request-bytes): batches stay well under it. */
const MAX_BATCH_BYTES = 512 * 1024;

/** How many of the first queued entries go in one etcd transaction (at least one). */
function batchSize(queue: readonly LogEntry[], max: number): number {
  let bytes = 0;
  let n = 0;
  for (const e of queue) {
    // base64 grows the value by a third
    bytes += Math.ceil((JSON.stringify(e).length * 4) / 3) + 64;
    if (n > 0 && (n >= max || bytes > MAX_BATCH_BYTES)) break;
    n++;
  }
  return Math.max(1, n);
}
