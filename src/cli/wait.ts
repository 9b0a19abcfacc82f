// Waiting after apply/delete: until the applied objects' pods run (or the deleted ones are gone).
// With no server holding the lease, the CLI reconciles itself; otherwise it watches the state.
import type { LocalApi } from "../api/local.ts";
import type { MkApi } from "../api/types.ts";
import { sleep } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { PodSetView, PodView } from "../ops/views.ts";

export interface Target {
  kind: string;
  name: string;
}

export interface Progress {
  done: boolean;
  waiting: string[];
}

const SETTLED = new Set(["Running", "Succeeded", "Failed"]);

function podSettled(p: PodView): string | undefined {
  if (p.deletionRequestedAt) return `pod/${p.name} is terminating`;
  if (!SETTLED.has(p.phase)) return `pod/${p.name} is ${p.status}${p.message ? `: ${p.message}` : ""}`;
  if (
    p.phase === "Running" &&
    // Still starting: a container waiting for its first run (not one in back-off, not one done).
    p.containers.some(
      (c) => c.state === "waiting" && c.reason !== "CrashLoopBackOff" && c.reason !== "RunContainerError",
    )
  ) {
    return `pod/${p.name} containers are starting`;
  }
  return undefined;
}

/** Are the applied objects' pods running? Pure over views. */
export function applyProgress(
  targets: readonly Target[],
  pods: readonly PodView[],
  podSets: readonly PodSetView[],
): Progress {
  const waiting: string[] = [];
  for (const t of targets) {
    if (t.kind === "Pod") {
      const p = pods.find((x) => x.name === t.name && x.owner.kind === "Pod");
      if (!p) waiting.push(`pod/${t.name} is not created yet`);
      else {
        const w = podSettled(p);
        if (w) waiting.push(w);
      }
    } else if (t.kind === "PodSet") {
      const ps = podSets.find((x) => x.name === t.name);
      // Pods being deleted (replaced, or stranded on a lost node) are not part of the new state.
      const owned = pods.filter(
        (p) => p.owner.kind === "PodSet" && p.owner.name === t.name && !p.deletionRequestedAt,
      );
      if (!ps) {
        waiting.push(`podset/${t.name} is not created yet`);
        continue;
      }
      if (ps.upToDate !== ps.replicas || owned.length !== ps.replicas) {
        waiting.push(
          `podset/${t.name} has ${ps.upToDate}/${ps.replicas} up-to-date pods (${owned.length} in all)`,
        );
      }
      for (const p of owned) {
        const w = podSettled(p);
        if (w) waiting.push(w);
      }
    }
  }
  return { done: waiting.length === 0, waiting };
}

/** Are the deleted objects' pods gone? */
export function deleteProgress(targets: readonly Target[], pods: readonly PodView[]): Progress {
  const waiting = pods
    .filter((p) =>
      targets.some(
        (t) =>
          (t.kind === "Pod" && p.name === t.name) ||
          (t.kind === "PodSet" && p.owner.kind === "PodSet" && p.owner.name === t.name),
      ),
    )
    .map((p) => `pod/${p.name} is ${p.deletionRequestedAt ? "terminating" : p.status}`);
  return { done: waiting.length === 0, waiting };
}

export type WaitOutcome = { result: "converged" | "timeout"; waiting: string[]; reconciledHere: boolean };

export async function waitFor(
  api: MkApi,
  check: (pods: PodView[], podSets: PodSetView[]) => Progress,
  timeoutMs: number,
  log: Logger,
): Promise<WaitOutcome> {
  const local = "store" in api ? (api as LocalApi) : undefined;
  let last: Progress = { done: false, waiting: [] };
  const probe = async () => {
    last = check(await api.pods(), await api.podSets());
    return last.done;
  };
  const deadline = Date.now() + timeoutMs;
  if (local) {
    const { Engine } = await import("../engine/engine.ts");
    const q = await import("../ops/queries.ts");
    const engine = new Engine({ store: local.store, log: log.child("apply"), resyncMs: 1000 });
    const check2 = () => {
      last = check(q.listPods(local.store), q.listPodSets(local.store));
      return last.done;
    };
    // A live server holds the lease: watch it work. A dead one's lease expires: take over then.
    for (;;) {
      const outcome = await engine.converge(check2, Math.max(0, deadline - Date.now()));
      if (outcome !== "lease-held") {
        return {
          result: outcome === "converged" ? "converged" : "timeout",
          waiting: last.waiting,
          reconciledHere: true,
        };
      }
      if (check2()) return { result: "converged", waiting: [], reconciledHere: false };
      if (Date.now() >= deadline) return { result: "timeout", waiting: last.waiting, reconciledHere: false };
      await sleep(250);
    }
  }
  while (!(await probe())) {
    if (Date.now() >= deadline) return { result: "timeout", waiting: last.waiting, reconciledHere: false };
    await sleep(250);
  }
  return { result: "converged", waiting: [], reconciledHere: false };
}
