// A container runtime that refuses to change anything once the leader's term has ended: the
// agents' actions already planned or running in the background (a pass that started just before a
// step-down) cannot create, start or remove a container after leadership is gone. Reads pass.
// In HA mode every change also waits for the log (`settled`): an action is taken only on state
// etcd has committed, so a leader deposed before its last entries landed never acted on them.

import type { ContainerRuntime } from "../runtime/runtime.ts";
import { NotLeaderError } from "./etcd/log.ts";

const MUTATING = new Set<string>([
  "pullImage",
  "create",
  "start",
  "stop",
  "kill",
  "remove",
  "exec",
  "loadImage",
]);

export function fenceRuntime(
  runtime: ContainerRuntime,
  term: () => AbortSignal | undefined,
  settled?: () => Promise<void>,
): ContainerRuntime {
  return new Proxy(runtime, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || !MUTATING.has(String(prop))) return value;
      return (...args: unknown[]) => {
        if (term()?.aborted) {
          return Promise.reject(new NotLeaderError(`not the leader any more: ${String(prop)} refused`));
        }
        const act = () => {
          if (term()?.aborted) throw new NotLeaderError(`not the leader any more: ${String(prop)} refused`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
        return settled ? settled().then(act) : act();
      };
    },
  });
}
