// mk events [-w] [--for kind/name]
import { sleep } from "../../lib/clock.ts";
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { age, formatData } from "../output.ts";
import { RESOURCES, resourceOf } from "../resource-ref.ts";
import { printEvents } from "./get.ts";

const BY_WORD = (word: string | undefined) => {
  try {
    return resourceOf(word);
  } catch {
    return undefined;
  }
};

export async function runEvents(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  let filter: { kind?: string; name?: string } = {};
  if (typeof opts.for === "string") {
    const [k, n] = opts.for.split("/");
    const resource = BY_WORD(k);
    const kind = resource ? RESOURCES[resource].kind : undefined;
    if (!kind || !n || kind === "Event")
      throw new UsageError(`--for ${opts.for}: expected pod/NAME, podset/NAME (deploy/NAME) or node/NAME`);
    filter = { kind, name: n };
  }
  const limit = Number(opts.limit ?? 100);
  const api = await ctx.api();
  try {
    const first = await api.events({ ...filter, limit });
    if (ctx.output === "json" || ctx.output === "yaml") {
      if (!opts.watch) {
        ctx.out(formatData(first, ctx.output));
        return 0;
      }
    } else ctx.out(first.length ? printEvents(first) : "No events found");
    if (!opts.watch) return 0;
    // Watch: print each event again whenever its count or last-seen time moves.
    const seen = new Map(first.map((e) => [e.id, `${e.count}:${e.lastSeen}`]));
    for (;;) {
      await sleep(500);
      for (const e of await api.events({ ...filter, limit: 200 })) {
        const key = `${e.count}:${e.lastSeen}`;
        if (seen.get(e.id) === key) continue;
        seen.set(e.id, key);
        if (ctx.output === "json") ctx.out(JSON.stringify(e));
        else
          ctx.out(
            `${age(e.lastSeen).padEnd(9)} ${e.type.padEnd(7)} ${e.reason.padEnd(16)} ${e.object.padEnd(30)} ${String(e.count).padEnd(5)} ${e.message}`,
          );
      }
    }
  } finally {
    api.close();
  }
}
