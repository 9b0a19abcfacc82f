// Docker calls to one SSH node go through two lanes. Bulk work (creates, starts, removals, lists,
// inspects: the calls a rollout or a converge of many pods makes by the dozen) waits for one of a
// few slots (p-limit), so it cannot flood the node's sshd and dockerd. Everything a node's liveness
// or its pods' health depends on passes at once: the heartbeat (ping, info), probes (exec), the
// event stream, logs and exec sessions; so do calls that legitimately last long and would
// otherwise hold a slot for nothing: a graceful stop (it waits out the grace period inside
// dockerd), image copies, and stats (the usage collector has its own limit).
import pLimit, { type LimitFunction } from "p-limit";
import type { ContainerRuntime } from "../runtime/runtime.ts";

/** The calls that queue for a slot; every other method of the runtime passes straight through. */
export const BULK_CALLS: ReadonlySet<keyof ContainerRuntime> = new Set<keyof ContainerRuntime>([
  "create",
  "start",
  "kill",
  "remove",
  "inspect",
  "list",
  "hasImage",
]);

export interface LanedRuntime {
  runtime: ContainerRuntime;
  /** Bulk calls running now and waiting for a slot (for tests and metrics). */
  load(): { active: number; pending: number };
}

/** Wraps `runtime` so at most `concurrency` bulk calls run at once (see BULK_CALLS). */
export function laneRuntime(runtime: ContainerRuntime, concurrency: number): LanedRuntime {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`Docker call concurrency ${concurrency}: expected a whole number of at least 1`);
  const limit: LimitFunction = pLimit(concurrency);
  const wrapped = new Proxy(runtime, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || !BULK_CALLS.has(prop as keyof ContainerRuntime)) return value;
      return (...args: unknown[]) => limit(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  return { runtime: wrapped, load: () => ({ active: limit.activeCount, pending: limit.pendingCount }) };
}
