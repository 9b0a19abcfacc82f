// SQLite's failures as mk's StateError (exit 3, HTTP 503): a full disk, a read-only file system or
// a corrupted file gets a clear sentence naming the state file, never a stack trace. Every write
// is one transaction, so "nothing was written" holds whenever a commit fails.
import { accessSync, constants, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { StateError } from "../lib/errors.ts";

/** The file (or, before it exists, its directory) cannot be written: a read-only mount or mode. */
function readOnly(path: string): boolean {
  for (const p of [path, dirname(path)]) {
    try {
      accessSync(p, constants.W_OK);
      return false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EROFS" || code === "EACCES" || code === "EPERM") return true;
    }
  }
  return false;
}

function diskFull(path: string): boolean {
  try {
    return statfsSync(dirname(path)).bavail === 0;
  } catch {
    return false;
  }
}

interface SqliteLike {
  name?: string;
  code?: string;
  message?: string;
}

function sqliteCode(err: unknown): string | undefined {
  const e = err as SqliteLike | null;
  return e && typeof e === "object" && typeof e.code === "string" && e.code.startsWith("SQLITE_")
    ? e.code
    : undefined;
}

/** Why SQLite failed, in words, or undefined when `err` is not a SQLite error. */
export function describeSqliteError(err: unknown): string | undefined {
  const code = sqliteCode(err);
  if (!code) return undefined;
  const raw = (err as SqliteLike).message ?? code;
  if (code === "SQLITE_FULL") return `the disk is full (${raw})`;
  if (code.startsWith("SQLITE_READONLY")) return `it is read-only (${raw})`;
  if (code === "SQLITE_CORRUPT" || code.startsWith("SQLITE_CORRUPT_") || code === "SQLITE_NOTADB")
    return `it is corrupted (${raw}); restore it from a backup (docs/state.md)`;
  if (code.startsWith("SQLITE_IOERR")) return `the disk failed (${raw})`;
  if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_"))
    return `it is locked by another process (${raw})`;
  if (code.startsWith("SQLITE_CANTOPEN")) return `it cannot be opened (${raw})`;
  return raw;
}

/**
 * A StateError for a SQLite failure while doing `action` ("write", "read", "open") on the state
 * at `path`; other errors are returned as they are.
 */
export function asStateError(
  err: unknown,
  path: string | undefined,
  action: "write" | "read" | "open",
): unknown {
  if (err instanceof StateError) return err;
  let why = describeSqliteError(err);
  if (!why) return err;
  // SQLite reports a full disk as an I/O error when the WAL index cannot grow: look.
  if (path && path !== ":memory:" && sqliteCode(err)?.startsWith("SQLITE_IOERR") && diskFull(path))
    why = `the disk is full (${(err as SqliteLike).message ?? "disk I/O error"})`;
  if (path && path !== ":memory:" && sqliteCode(err)?.startsWith("SQLITE_CANTOPEN") && readOnly(path))
    why = `it is read-only (${(err as SqliteLike).message ?? "unable to open database file"})`;
  const where = path ? `the state database ${path}` : "the state database";
  const tail = action === "write" ? "; nothing was written" : "";
  return new StateError(
    `Cannot ${action} ${where}: ${why}${tail}`,
    { ...(path ? { path } : {}), sqlite: sqliteCode(err) ?? "" },
    err,
  );
}
