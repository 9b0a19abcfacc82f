// The seam between the Store and an HA log (ha/etcd/log.ts). With a Replicator set, every
// transaction's mutations are queued as a log entry; the SQLite transaction that applied them
// (held open by the replicator) commits only once the log committed them: refused by the log (a
// deposed leader, etcd unreachable), it rolls back and nothing reaches SQLite's file. synced()
// is how a caller waits for that before acknowledging anything. Entries written by other replicas come in through
// applyLogEntry, in log order, idempotently; the position applied is recorded in the same
// transaction (meta rows ha_applied_seq / ha_applied_revision).
import type { Sqlite } from "./db.ts";
import type { Mutation } from "./mutations.ts";

export interface LogPosition {
  /** The entry's sequence number in the log: 1, 2, 3... with no gaps. */
  seq: number;
  /** etcd's revision of the entry. */
  revision: number;
}

export interface Replicator {
  /** Before a local write: throws when this replica may not write now (not the leader...). */
  begin(): void;
  /** Queues one batch (applied in the open transaction) as the next log entry: its position. */
  append(muts: readonly Mutation[]): LogPosition;
  /** Resolves when every batch appended so far is committed in the log; rejects if one was refused. */
  synced(): Promise<void>;
}

const SEQ = "ha_applied_seq";
const REV = "ha_applied_revision";

export function readApplied(sqlite: Sqlite): LogPosition {
  const rows = sqlite.prepare("select key, value from meta where key in (?, ?)").all(SEQ, REV) as {
    key: string;
    value: string;
  }[];
  const get = (k: string) => Number(rows.find((r) => r.key === k)?.value ?? 0);
  return { seq: get(SEQ), revision: get(REV) };
}

export function writeApplied(sqlite: Sqlite, pos: LogPosition): void {
  const stmt = sqlite.prepare(
    "insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
  );
  stmt.run(SEQ, String(pos.seq));
  stmt.run(REV, String(pos.revision));
}
