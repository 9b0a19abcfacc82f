// mk scale podset/NAME --replicas N
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData } from "../output.ts";

export async function runScale(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const target = args[0] ?? "";
  const m = /^(podset|podsets|ps|deployment|deploy)\/(.+)$/.exec(target);
  const name =
    m?.[2] ?? (args[1] && /^(podset|podsets|ps|deployment|deploy)$/.test(target) ? args[1] : undefined);
  if (!name) throw new UsageError("mk scale needs podset/NAME, e.g. mk scale podset/web --replicas 5");
  if (opts.replicas === undefined) throw new UsageError("mk scale needs --replicas N");
  const replicas = Number(opts.replicas);
  const api = await ctx.api();
  try {
    const r = await api.scale(name, replicas);
    ctx.out(
      ctx.output === "json" || ctx.output === "yaml"
        ? formatData(r, ctx.output)
        : `podset/${r.name} scaled from ${r.previous} to ${r.replicas}`,
    );
    return 0;
  } finally {
    api.close();
  }
}
