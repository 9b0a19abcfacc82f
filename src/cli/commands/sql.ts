// mk sql "select ..."
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData, table } from "../output.ts";
import { durationFlag, integerFlag, SQL_MAX_ROWS, SQL_TIMEOUT_FLAG } from "../timing-flags.ts";

export async function runSql(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const query = args.join(" ").trim();
  if (!query) throw new UsageError('mk sql needs a query, e.g. mk sql "select name, phase from pods"');
  // Only the limits given are sent: a server applies its own (--sql-timeout, --sql-max-rows) otherwise.
  const limits = {
    ...(opts.timeout !== undefined ? { timeoutMs: durationFlag(SQL_TIMEOUT_FLAG, opts.timeout) } : {}),
    ...(opts.maxRows !== undefined
      ? {
          maxRows: integerFlag(
            "--max-rows",
            opts.maxRows,
            SQL_MAX_ROWS.default,
            SQL_MAX_ROWS.min,
            SQL_MAX_ROWS.max,
          ),
        }
      : {}),
  };
  const api = await ctx.api();
  try {
    const res = await api.sql(query, limits);
    if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(res.rows, ctx.output));
    else if (res.rows.length === 0)
      ctx.out(`(no rows)${res.columns.length ? ` ${res.columns.join(", ")}` : ""}`);
    else
      ctx.out(
        table(
          res.columns.map((c) => c.toUpperCase()),
          res.rows.map((r) => res.columns.map((c) => fmt(r[c]))),
        ),
      );
    return 0;
  } finally {
    api.close();
  }
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  return String(v);
}
