// Opening the state database: pragmas, then migrations applied transactionally at open.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { StateError } from "../lib/errors.ts";
import { loadMigrations, type Migration } from "./migrations.ts";
import * as schema from "./schema.ts";
import { asStateError } from "./state-errors.ts";

export type Sqlite = Database.Database;
export type Db = BetterSQLite3Database<typeof schema>;

export interface OpenOptions {
  readonly?: boolean;
  /** A loaded better-sqlite3 addon (the single executable passes the one it carries). */
  nativeBinding?: unknown;
}

let defaultNativeBinding: unknown;

/** Lets the single executable hand over the native addon it carries before any database opens. */
export function setNativeBinding(binding: unknown): void {
  defaultNativeBinding = binding;
}

export function openSqlite(path: string, opts: OpenOptions = {}): Sqlite {
  const readonly = opts.readonly ?? false;
  if (!readonly && path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const binding = opts.nativeBinding ?? defaultNativeBinding;
  let sqlite: Sqlite;
  try {
    const options: Database.Options = { readonly, fileMustExist: readonly };
    // better-sqlite3 accepts a loaded addon object here, though its types only say string.
    if (binding !== undefined) (options as { nativeBinding?: unknown }).nativeBinding = binding;
    sqlite = new Database(path, options);
  } catch (err) {
    const e = asStateError(err, path, "open");
    if (e instanceof StateError) throw e;
    throw new StateError(`Cannot open state database ${path}: ${(err as Error).message}`, { path }, err);
  }
  try {
    sqlite.pragma("busy_timeout = 5000");
    if (!readonly) {
      sqlite.pragma("journal_mode = WAL");
      sqlite.pragma("synchronous = NORMAL");
    }
    sqlite.pragma("foreign_keys = ON");
  } catch (err) {
    // The first statement is where a corrupted file, a full disk or a read-only one shows.
    sqlite.close();
    throw asStateError(err, path, "open");
  }
  return sqlite;
}

/** Applies pending migrations, each in its own transaction; refuses a database newer than us. */
export function migrate(sqlite: Sqlite, path: string, migrations: Migration[] = loadMigrations()): void {
  const current = sqlite.pragma("user_version", { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new StateError(
      `Cannot use state database ${path}: its schema version ${current} is newer than this mk supports (${latest}); upgrade mk`,
      { path, schemaVersion: current, supported: latest },
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    const apply = sqlite.transaction(() => {
      for (const stmt of m.statements) sqlite.exec(stmt);
      sqlite.pragma(`user_version = ${m.version}`);
    });
    try {
      apply.immediate();
    } catch (err) {
      throw new StateError(
        `Cannot migrate state database ${path} to version ${m.version} (${m.tag}): ${(err as Error).message}`,
        { path, version: m.version },
        err,
      );
    }
  }
}

export function openDb(path: string, opts: OpenOptions = {}): { sqlite: Sqlite; db: Db } {
  const sqlite = openSqlite(path, opts);
  if (opts.readonly) {
    const current = sqlite.pragma("user_version", { simple: true }) as number;
    if (current > loadMigrations().length) migrate(sqlite, path); // throws the "newer" error
  } else {
    migrate(sqlite, path);
  }
  return { sqlite, db: drizzle(sqlite, { schema }) };
}
