// Waiting after apply/delete and for `mk wait`: until the objects' pods are Running and Ready (or
// the deleted ones are gone), failing at once when a pod is stuck (src/ops/pod-health.ts). With no
// server holding the lease, the CLI reconciles itself; otherwise it watches the state.
import type { LocalApi } from "../api/local.ts";
import type { MkApi } from "../api/types.ts";
import { sleep } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { judgePod } from "../ops/pod-health.ts";
import type { PodSetView, PodView } from "../ops/views.ts";

export interface Target {
  kind: string;
  name: string;
}

export interface Progress {
  done: boolean;
  waiting: string[];
  /** Pods that will not get there by waiting (crash loop, image pull, unschedulable, failed). */
  failed: string[];
}

/** Adds one pod's verdict to the lists; `succeededOk` counts a finished pod as done (apply). */
function judge(p: PodView, waiting: string[], failed: string[], succeededOk: boolean): void {
  const v = judgePod(p);
  if (v.state === "waiting") waiting.push(v.why);
  else if (v.state === "failed") failed.push(v.why);
  else if (v.state === "succeeded" && !succeededOk)
    failed.push(`pod/${p.name} completed (Succeeded): it will never be Ready`);
}

/**
 * Are the objects' pods Running and Ready? Pure over views. A pod that finished successfully
 * (restartPolicy Never/OnFailure) counts as done for apply, and as a failure for `mk wait`.
 */
export function applyProgress(
  targets: readonly Target[],
  pods: readonly PodView[],
  podSets: readonly PodSetView[],
  opts: { succeededOk?: boolean } = {},
): Progress {
  const succeededOk = opts.succeededOk ?? true;
  const waiting: string[] = [];
  const failed: string[] = [];
  for (const t of targets) {
    if (t.kind === "Pod") {
      const p = pods.find((x) => x.name === t.name);
      if (!p) waiting.push(`pod/${t.name} is not created yet`);
      else judge(p, waiting, failed, succeededOk);
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
      for (const p of owned) judge(p, waiting, failed, succeededOk);
    }
  }
  return { done: waiting.length === 0 && failed.length === 0, waiting, failed };
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
  return { done: waiting.length === 0, waiting, failed: [] };
}

export type WaitOutcome = {
  /** failed: some pod will not get there by waiting (`failed` says which and why). */
  result: "converged" | "timeout" | "failed";
  waiting: string[];
  failed: string[];
  reconciledHere: boolean;
};

export async function waitFor(
  api: MkApi,
  check: (pods: PodView[], podSets: PodSetView[]) => Progress,
  timeoutMs: number,
  log: Logger,
): Promise<WaitOutcome> {
  const local = "store" in api ? (api as LocalApi) : undefined;
  let last: Progress = { done: false, waiting: [], failed: [] };
  const over = () => last.done || last.failed.length > 0;
  const outcome = (result: "converged" | "timeout", reconciledHere: boolean): WaitOutcome => ({
    result: last.failed.length > 0 ? "failed" : result,
    waiting: result === "converged" ? [] : last.waiting,
    failed: last.failed,
    reconciledHere,
  });
  const deadline = Date.now() + timeoutMs;
  if (local) {
    const { Engine } = await import("../engine/engine.ts");
    const q = await import("../ops/queries.ts");
    const engine = new Engine({ store: local.store, log: log.child("apply"), resyncMs: 1000 });
    const probe = () => {
      last = check(q.listPods(local.store), q.listPodSets(local.store));
      return over();
    };
    // A live server holds the lease: watch it work. A dead one's lease expires: take over then.
    for (;;) {
      const r = await engine.converge(probe, Math.max(0, deadline - Date.now()));
      if (r !== "lease-held") return outcome(r === "converged" ? "converged" : "timeout", true);
      if (probe()) return outcome("converged", false);
      if (Date.now() >= deadline) return outcome("timeout", false);
      await sleep(250);
    }
  }
  for (;;) {
    last = check(await api.pods(), await api.podSets());
    if (over()) return outcome("converged", false);
    if (Date.now() >= deadline) return outcome("timeout", false);
    await sleep(250);
  }
}

/** The message for a wait that did not succeed; undefined when it did. */
export function waitFailure(outcome: WaitOutcome, timeoutMs: number, what: string): string | undefined {
  if (outcome.result === "failed") return `${what} will not succeed:\n  ${outcome.failed.join("\n  ")}`;
  if (outcome.result === "timeout") {
    return `timed out after ${timeoutMs / 1000}s waiting for ${what}:\n  ${outcome.waiting.join("\n  ")}`;
  }
  return undefined;
}
