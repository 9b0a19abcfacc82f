// mk scale deploy/NAME --replicas N | mk scale deploy NAME --replicas N (podset, ps, deployment...)
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData } from "../output.ts";
import { parseSingleRef, typeWord } from "../resource-ref.ts";

/** --replicas as a whole number 0..1000, or a usage error naming the flag. */
export function replicasOpt(v: unknown): number {
  if (v === undefined)
    throw new UsageError("mk scale needs --replicas N, e.g. mk scale deploy/web --replicas 3");
  const s = String(v);
  if (v === true || !/^\d+$/.test(s) || Number(s) > 1000)
    throw new UsageError(`--replicas ${v === true ? "(no value)" : s}: expected a whole number 0..1000`);
  return Number(s);
}

export async function runScale(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const { ref, rest } = parseSingleRef(args, {
    command: "scale",
    allowed: ["podsets"],
    example: "mk scale deploy/web --replicas 3",
  });
  if (rest.length > 0) throw new UsageError(`mk scale takes one object, got also "${rest.join(" ")}"`);
  const replicas = replicasOpt(opts.replicas);
  const api = await ctx.api();
  try {
    const r = await api.scale(ref.name, replicas);
    const applied = await api.objects("PodSet", r.name).catch(() => []);
    const word = typeWord("PodSet", applied[0]?.apiVersion);
    ctx.out(
      ctx.output === "json" || ctx.output === "yaml"
        ? formatData(r, ctx.output)
        : ctx.output === "name"
          ? `${word}/${r.name}`
          : `${word}/${r.name} scaled from ${r.previous} to ${r.replicas}`,
    );
    return 0;
  } finally {
    api.close();
  }
}
