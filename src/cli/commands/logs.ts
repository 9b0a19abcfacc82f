// mk logs POD [-c CONTAINER | --all-containers] [-p] [-f] [--tail N] [--since 5m|RFC3339] [--timestamps]
import { UsageError } from "../../lib/errors.ts";
import { parseDurationMs } from "../../manifest/quantity.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";

/** `pod/x`, `po/x`, `pods/x` or a bare name: the pod. */
export function podArg(arg: string | undefined, command: string): string {
  if (!arg) throw new UsageError(`mk ${command} needs a pod name`);
  const m = /^([^/]+)\/(.+)$/.exec(arg);
  if (!m) return arg;
  if (!["pod", "pods", "po"].includes((m[1] ?? "").toLowerCase()))
    throw new UsageError(`mk ${command} works on pods, not ${m[1]}: expected pod/NAME or NAME`);
  return m[2] ?? "";
}

/** --since 10s|5m|1h (relative) or an RFC 3339 time: the moment as ms since the epoch. */
export function parseSince(v: unknown, now = Date.now()): number {
  const s = String(v);
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return t;
  } else {
    try {
      return now - parseDurationMs(s);
    } catch {
      // fall through to the usage error
    }
  }
  throw new UsageError(`--since ${s}: expected a duration like 10s, 5m, 1h or an RFC 3339 time`);
}

export async function runLogs(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const pod = podArg(args[0], "logs");
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0))
    throw new UsageError(`--tail ${String(opts.tail)}: expected a whole number`);
  const since = opts.since ?? opts.sinceTime;
  if (opts.allContainers === true && typeof opts.container === "string")
    throw new UsageError("--all-containers and -c name different containers: use one");
  const previous = opts.previous === true;
  if (previous && opts.follow === true)
    throw new UsageError("-p and -f together: a previous run's logs do not grow");
  const api = await ctx.api();
  const abort = new AbortController();
  const onSig = () => abort.abort();
  process.once("SIGINT", onSig);
  try {
    const stream = await api.logs(pod, {
      ...(typeof opts.container === "string" ? { container: opts.container } : {}),
      allContainers: opts.allContainers === true,
      previous,
      follow: opts.follow === true,
      timestamps: opts.timestamps === true,
      ...(tail !== undefined ? { tail } : {}),
      ...(since !== undefined ? { sinceMs: parseSince(since) } : {}),
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
