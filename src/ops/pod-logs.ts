// podLogs(): a pod container's logs from its node's Docker: the current run, or the previous one
// (-p), with --since, --timestamps, --tail, -f, and every container in turn (--all-containers).
// stdout and stderr come from Docker's one multiplexed stream, demultiplexed in order.
import { PassThrough, type Readable } from "node:stream";
import { InvalidInputError } from "../lib/errors.ts";
import type { Store } from "../store/store.ts";
import { logRun } from "./log-run.ts";
import {
  chooseContainer,
  containerRuns,
  findScheduledPod,
  type NodeOpener,
  waitingReason,
} from "./pod-target.ts";

export interface LogRequest {
  container?: string;
  allContainers?: boolean;
  previous?: boolean;
  follow?: boolean;
  tail?: number;
  /** Only lines after this time (ms since epoch). */
  sinceMs?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export async function podLogs(
  store: Store,
  pod: string,
  req: LogRequest,
  open: NodeOpener,
): Promise<Readable> {
  const t = findScheduledPod(store, pod, "has no logs");
  const names = req.allContainers
    ? t.spec.containers.map((c) => c.name)
    : [chooseContainer(t, req.container)];
  const lease = await open(t.node);
  try {
    const streams: Readable[] = [];
    for (const name of names) {
      const runs = await containerRuns(lease.conn, t, name);
      const st = store.containerStatuses(pod).find((x) => x.podUid === t.row.uid && x.container === name);
      const c = logRun(runs, req.previous ?? false, st?.state === "waiting");
      if (!c) {
        if (req.previous) {
          throw new InvalidInputError(`previous terminated container "${name}" in pod "${pod}" not found`);
        }
        if (req.allContainers) continue; // the others still have something to say
        throw new InvalidInputError(waitingReason(store, t, name));
      }
      streams.push(
        await lease.conn.runtime.logs(c.id, {
          follow: (req.follow ?? false) && !req.previous,
          ...(req.tail !== undefined ? { tail: req.tail } : {}),
          ...(req.sinceMs !== undefined ? { since: req.sinceMs / 1000 } : {}),
          ...(req.timestamps ? { timestamps: true } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        }),
      );
    }
    if (streams.length === 0) throw new InvalidInputError(waitingReason(store, t, names[0] ?? ""));
    const out = streams.length === 1 ? (streams[0] as Readable) : concat(streams, req.follow ?? false);
    let released = false;
    const release = () => {
      if (!released) lease.release();
      released = true;
    };
    out.on("close", release);
    out.on("end", release);
    out.on("error", release);
    return out;
  } catch (err) {
    lease.release();
    throw err;
  }
}

/** Several containers' logs: one after the other, or interleaved as they come when following. */
function concat(streams: readonly Readable[], follow: boolean): Readable {
  const out = new PassThrough();
  if (follow) {
    let open = streams.length;
    for (const s of streams) {
      s.on("data", (d: Buffer) => out.write(d));
      s.on("end", () => {
        if (--open === 0) out.end();
      });
      s.on("error", (e) => out.destroy(e));
    }
    return out;
  }
  void (async () => {
    try {
      for (const s of streams) for await (const chunk of s) out.write(chunk);
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}
