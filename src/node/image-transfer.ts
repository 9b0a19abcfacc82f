// Image distribution without a registry: `docker save` on the controller's engine piped into
// `docker load` on the node, through the node's SSH tunnel. One transfer per image and node at a
// time; concurrent requests for the same image share it, and a finished one (done or failed) is
// forgotten, so the next create tries afresh. Failures travel both ways: a save that breaks
// aborts the load (no half-sent tar waits on the node), a load that fails stops the save. A
// transfer that moves no bytes for IMAGE_TRANSFER_STALL_MS, or runs longer than
// IMAGE_TRANSFER_TIMEOUT_MS, is aborted the same way. Every stream is destroyed at the end.
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errorMessage, RuntimeError } from "../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";

/** No bytes for this long: the save or the tunnel is stuck. */
export const IMAGE_TRANSFER_STALL_MS = 60_000;
/** Upper bound for one image, however slowly it moves (1 GiB at ~1 MB/s). */
export const IMAGE_TRANSFER_TIMEOUT_MS = 20 * 60_000;

export interface ImageTransferOptions {
  stallMs?: number;
  timeoutMs?: number;
}

export type ImageTransfer = ((ref: string) => Promise<string | undefined>) & {
  /** Transfers running now (for tests and shutdown). */
  inFlight(): number;
};

export function imageTransfer(
  source: ContainerRuntime,
  target: ContainerRuntime,
  node: string,
  opts: ImageTransferOptions = {},
): ImageTransfer {
  const inFlight = new Map<string, Promise<string | undefined>>();
  const fn = (ref: string): Promise<string | undefined> => {
    const running = inFlight.get(ref);
    if (running) return running;
    const p = copyImage(source, target, node, ref, opts).finally(() => inFlight.delete(ref));
    inFlight.set(ref, p);
    return p;
  };
  return Object.assign(fn, { inFlight: () => inFlight.size });
}

async function copyImage(
  source: ContainerRuntime,
  target: ContainerRuntime,
  node: string,
  ref: string,
  opts: ImageTransferOptions,
): Promise<string | undefined> {
  if (!(await source.hasImage(ref))) return undefined;
  const stallMs = opts.stallMs ?? IMAGE_TRANSFER_STALL_MS;
  const timeoutMs = opts.timeoutMs ?? IMAGE_TRANSFER_TIMEOUT_MS;
  const what = `Cannot copy image "${ref}" to node ${node}`;
  const abort = new AbortController();
  const fail = (reason: string) => {
    if (!abort.signal.aborted) abort.abort(new RuntimeError(`${what}: ${reason}`, { image: ref, node }));
  };
  const t0 = performance.now();
  let bytes = 0;
  let stall: NodeJS.Timeout | undefined;
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(() => fail(`no data for ${stallMs / 1000}s after ${bytes} bytes`), stallMs);
  };
  const total = setTimeout(() => fail(`timed out after ${timeoutMs / 1000}s`), timeoutMs);
  armStall();
  // Counts bytes (and feeds the stall timer) on their way from the save to the load.
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      armStall();
      done(null, chunk);
    },
  });
  let tar: Readable | undefined;
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(abort.signal.reason as Error);
    if (abort.signal.aborted) onAbort();
    else abort.signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    tar = await Promise.race([source.saveImage(ref), aborted]);
    const copied = pipeline(tar, counter, { signal: abort.signal }).catch((err: unknown) => {
      fail(`docker save failed: ${errorMessage(err)}`);
      throw abort.signal.reason ?? err;
    });
    const loaded = target.loadImage(counter, { signal: abort.signal }).catch((err: unknown) => {
      fail(`docker load failed: ${errorMessage(err)}`);
      throw abort.signal.reason ?? err;
    });
    await Promise.race([Promise.all([copied, loaded]), aborted]);
    const secs = (performance.now() - t0) / 1000;
    return `Copied image "${ref}" from the controller's engine to node ${node}: ${(bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(2)}s`;
  } catch (err) {
    fail(errorMessage(err));
    throw abort.signal.reason ?? err;
  } finally {
    clearTimeout(stall);
    clearTimeout(total);
    if (!abort.signal.aborted) abort.abort(); // tears down whatever is still open
    tar?.destroy();
    counter.destroy();
  }
}
