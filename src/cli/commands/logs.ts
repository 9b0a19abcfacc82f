// mk logs POD [-c CONTAINER] [-f] [--tail N]
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";

export async function runLogs(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const pod = args[0];
  if (!pod) throw new UsageError("mk logs needs a pod name");
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0))
    throw new UsageError(`--tail ${String(opts.tail)}: expected a whole number`);
  const api = await ctx.api();
  const abort = new AbortController();
  const onSig = () => abort.abort();
  process.once("SIGINT", onSig);
  try {
    const stream = await api.logs(pod, {
      ...(typeof opts.container === "string" ? { container: opts.container } : {}),
      follow: opts.follow === true,
      ...(tail !== undefined ? { tail } : {}),
      signal: abort.signal,
    });
    for await (const chunk of stream) process.stdout.write(chunk as Buffer);
    return 0;
  } catch (err) {
    if (abort.signal.aborted) return 0;
    throw err;
  } finally {
    process.off("SIGINT", onSig);
    api.close();
  }
}
