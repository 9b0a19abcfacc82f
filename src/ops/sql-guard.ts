// Which statements `mk sql` refuses before running them, with a message in the user's words. The
// connection is read-only anyway; this is about saying why instead of SQLite's "attempt to write
// a readonly database" or "database is locked" (a journal_mode change). Pure.

/** Pragmas that take an argument only to read: `pragma table_info(pods)` is a query. */
const READING_PRAGMAS = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
  "function_list",
  "module_list",
  "pragma_list",
  "collation_list",
  "database_list",
  "compile_options",
]);

/** Pragmas that write or checkpoint even without an argument. */
const WRITING_PRAGMAS = new Set(["wal_checkpoint", "optimize", "incremental_vacuum", "shrink_memory"]);

const MESSAGE =
  "mk sql is read-only: pragmas that write or change settings (pragma NAME = VALUE, wal_checkpoint, optimize, incremental_vacuum) are refused; reading ones such as pragma table_info(pods) or pragma journal_mode work";

/** Why `query` is refused, or undefined when it may run. */
export function sqlRefusal(query: string): string | undefined {
  const m = /^\s*pragma\s+(?:"?[A-Za-z_][\w]*"?\s*\.\s*)?"?([A-Za-z_][\w]*)"?\s*(=|\()?/i.exec(query);
  if (!m) return undefined;
  const name = (m[1] ?? "").toLowerCase();
  if (WRITING_PRAGMAS.has(name)) return MESSAGE;
  if (m[2] === "=") return MESSAGE;
  if (m[2] === "(" && !READING_PRAGMAS.has(name)) return MESSAGE;
  return undefined;
}

/** SQLite's error for a pragma that tried to write, said in the user's words. */
export function explainSqlError(query: string, message: string): string {
  if (/^\s*pragma\b/i.test(query) && /readonly|read-only|locked/i.test(message)) return MESSAGE;
  return message;
}
