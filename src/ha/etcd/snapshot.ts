// Snapshots for replicas that start empty or fell behind the log's compaction: the leader makes a
// consistent copy of its SQLite with SQLite's online backup (the applied log position is a row of
// it, written in the same transactions as the data), the replica downloads it and replaces its
// tables' contents with it in one transaction, then tails the log from that position.
import { createWriteStream, rmSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import { StateError } from "../../lib/errors.ts";
import type { Store } from "../../store/store.ts";

/**
 * Writes a consistent copy of the state to `path` (the leader's side), through a connection of
 * its own: the leader's connection holds entries etcd has not committed yet (log.ts), a separate
 * reader sees only what SQLite committed, which is only what etcd committed.
 */
export async function makeSnapshot(store: Store, path: string): Promise<void> {
  rmSync(path, { force: true });
  const reader = new Database(store.path, { readonly: true, fileMustExist: true });
  try {
    await reader.backup(path);
  } finally {
    reader.close();
  }
}

/** Downloads the leader's snapshot to `path`. */
export async function downloadSnapshot(
  leaderUrl: string,
  path: string,
  headers: Record<string, string>,
  timeoutMs = 60_000,
): Promise<void> {
  const res = await fetch(`${leaderUrl.replace(/\/+$/, "")}/api/v1/ha/snapshot`, {
    headers,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok || !res.body) throw new Error(`snapshot from ${leaderUrl}: HTTP ${res.status}`);
  await pipeline(
    Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>),
    createWriteStream(path),
  );
}

/** Replaces every table's rows by the snapshot's, in one transaction. */
export function restoreSnapshot(store: Store, path: string): void {
  const db = store.sqlite;
  db.prepare("attach database ? as snap").run(path);
  try {
    const theirs = db.prepare("pragma snap.user_version").pluck().get() as number;
    const ours = db.pragma("user_version", { simple: true }) as number;
    if (theirs !== ours) {
      throw new StateError(
        `Cannot restore the leader's snapshot: its schema version ${theirs} differs from ours (${ours}); run the same mk version on every controller`,
        { theirs, ours },
      );
    }
    const tables = db
      .prepare("select name from main.sqlite_master where type = 'table' and name not like 'sqlite_%'")
      .pluck()
      .all() as string[];
    db.transaction(() => {
      for (const t of tables) {
        db.exec(`delete from main."${t}"`);
        db.exec(`insert into main."${t}" select * from snap."${t}"`);
      }
    }).immediate();
  } finally {
    db.exec("detach database snap");
  }
}
