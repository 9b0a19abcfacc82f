// mk logs POD|pod/POD|deploy/NAME [CONTAINER] [-c CONTAINER | --all-containers] [-p] [-f] [--tail N]
//   [--since 5m|RFC3339] [--timestamps] [-l SELECTOR] [--prefix]
import type { Readable } from "node:stream";
import type { MkApi } from "../../api/types.ts";
import { UsageError } from "../../lib/errors.ts";
import { parseDurationMs } from "../../manifest/quantity.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { filtersOf, listObjects } from "../listing.ts";
import { podOfPodSet } from "../pod-of.ts";
import { parseSingleRef } from "../resource-ref.ts";

interface Target {
  pod: string;
  container?: string;
}

/** Which pods: -l SELECTOR (every match), pod/NAME or NAME, or the first pod of deploy/NAME. */
async function targetsOf(api: MkApi, args: string[], opts: Record<string, unknown>): Promise<Target[]> {
  const container = typeof opts.container === "string" ? opts.container : undefined;
  if (opts.selector !== undefined) {
    if (args.length > 0) throw new UsageError("mk logs takes a pod or -l SELECTOR, not both");
    const groups = [{ resource: "pods" as const, names: [] }];
    const listing = await listObjects(api, groups, filtersOf(opts, groups));
    return (listing.sections[0]?.objects ?? []).map((o) => ({
      pod: o.metadata.name,
      ...(container ? { container } : {}),
    }));
  }
  const { ref, rest, typed } = parseSingleRef(args, {
    command: "logs",
    allowed: ["pods", "podsets"],
    defaultResource: "pods",
    example: "mk logs web-1, mk logs pod/web-1 -c main, mk logs -l app=web",
  });
  if (rest.length > 1)
    throw new UsageError(`mk logs takes one pod and one container, got also "${rest.slice(1).join(" ")}"`);
  if (rest[0] && container && rest[0] !== container)
    throw new UsageError(`mk logs: container "${rest[0]}" and -c ${container} disagree`);
  const c = container ?? rest[0];
  if (ref.resource === "pods") return [{ pod: ref.name, ...(c ? { container: c } : {}) }];
  // kubectl logs deploy/web: one of its pods (the oldest running one).
  return [
    {
      pod: await podOfPodSet(api, ref.name, typed, (l) => process.stderr.write(`${l}\n`)),
      ...(c ? { container: c } : {}),
    },
  ];
}

/** Writes a stream with each line prefixed (lines split across chunks stay whole). */
async function pipePrefixed(stream: Readable, prefix: string): Promise<void> {
  let rest = "";
  for await (const chunk of stream) {
    const text = rest + (chunk as Buffer).toString("utf8");
    const lines = text.split("\n");
    rest = lines.pop() ?? "";
    if (lines.length) process.stdout.write(lines.map((l) => `${prefix}${l}\n`).join(""));
  }
  if (rest) process.stdout.write(`${prefix}${rest}\n`);
}

/**
 * kubectl's default container: the pod's first, said on stderr when there are several
 * (`Defaulted container "app" out of: app, sidecar`).
 */
export async function defaultContainer(api: MkApi, pod: string): Promise<string | undefined> {
  const names = (await api.pod(pod)).containers.map((c) => c.name);
  if (names.length > 1)
    process.stderr.write(`Defaulted container "${names[0]}" out of: ${names.join(", ")}\n`);
  return names[0];
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
  if (args.length === 0 && opts.selector === undefined)
    throw new UsageError("mk logs needs a pod (NAME or pod/NAME) or -l SELECTOR");
  // kubectl: the last 10 lines of each pod with a selector, everything for one pod.
  const tailDefault = opts.selector !== undefined ? 10 : undefined;
  const tail = opts.tail === undefined ? tailDefault : Number(opts.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < -1))
    throw new UsageError(`--tail ${String(opts.tail)}: expected a whole number`);
  const since = opts.since ?? opts.sinceTime;
  const sinceMs = since !== undefined ? parseSince(since) : undefined;
  const allContainers = opts.allContainers === true;
  if (allContainers && typeof opts.container === "string")
    throw new UsageError("--all-containers and -c name different containers: use one");
  const previous = opts.previous === true;
  if (previous && opts.follow === true)
    throw new UsageError("-p and -f together: a previous run's logs do not grow");
  const api = await ctx.api();
  const abort = new AbortController();
  const onSig = () => abort.abort();
  process.once("SIGINT", onSig);
  try {
    let targets = await targetsOf(api, args, opts);
    if (allContainers && (opts.prefix === true || opts.selector !== undefined)) {
      const expanded: Target[] = [];
      for (const t of targets)
        for (const c of (await api.pod(t.pod)).containers) expanded.push({ pod: t.pod, container: c.name });
      targets = expanded;
    }
    if (targets.length === 0) {
      process.stderr.write("No resources found in default namespace.\n");
      return 0;
    }
    const prefixed = opts.prefix === true || opts.selector !== undefined;
    const one = async (t: Target) => {
      if (!t.container && !allContainers) t.container = await defaultContainer(api, t.pod);
      const stream = await api.logs(t.pod, {
        ...(t.container ? { container: t.container } : {}),
        // With a prefix, each container is its own target (below): its lines are named.
        allContainers: allContainers && !t.container,
        previous,
        follow: opts.follow === true,
        timestamps: opts.timestamps === true,
        ...(tail !== undefined && tail >= 0 ? { tail } : {}),
        ...(sinceMs !== undefined ? { sinceMs } : {}),
        signal: abort.signal,
      });
      if (!prefixed) {
        for await (const chunk of stream) process.stdout.write(chunk as Buffer);
        return;
      }
      const container = t.container ?? (await api.pod(t.pod)).containers[0]?.name ?? "";
      await pipePrefixed(stream, `[pod/${t.pod}/${container}] `);
    };
    // Followed streams run side by side; finite ones one after the other, in pod order.
    if (opts.follow === true) await Promise.all(targets.map(one));
    else for (const t of targets) await one(t);
    return 0;
  } catch (err) {
    if (abort.signal.aborted) return 0;
    throw err;
  } finally {
    process.off("SIGINT", onSig);
    api.close();
  }
}
