// judgePod(): is a pod Ready, still on its way, or stuck in a state waiting will not fix? Pure over
// the pod record; `mk apply --wait` and `mk wait` use it to succeed only on Running and Ready, and
// to fail at once, naming the pod and the reason, on a crash loop, an image that cannot be had, a
// container that cannot start, a failed pod or one no node can take.
import type { PodView } from "./views.ts";

/** Container waiting reasons that mean "this will not become Ready by itself". */
export const STUCK_REASONS: ReadonlySet<string> = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "ErrImageNeverPull",
  "InvalidImageName",
  "RunContainerError",
  "CreateContainerError",
]);

export type PodVerdict =
  | { state: "ready" }
  /** Finished successfully (restartPolicy Never/OnFailure): it will never be Ready. */
  | { state: "succeeded" }
  | { state: "waiting"; why: string }
  | { state: "failed"; why: string };

/**
 * How long a pod must have been Ready, counted from its newest container start, before a wait
 * accepts it (Kubernetes' minReadySeconds, here 1 s): a container that crashes right after it
 * started is not taken for a running one.
 */
export const MIN_READY_MS = 1000;

export function judgePod(p: PodView, now = Date.now(), minReadyMs = MIN_READY_MS): PodVerdict {
  const name = `pod/${p.name}`;
  if (p.deletionRequestedAt) return { state: "waiting", why: `${name} is terminating` };
  if (p.phase === "Failed") {
    const c = p.containers.find((x) => x.lastTermination && x.lastTermination.exitCode !== 0);
    const detail = c?.lastTermination
      ? `: container ${c.name} exited with code ${c.lastTermination.exitCode ?? "?"} (${c.lastTermination.reason ?? "Error"})`
      : "";
    return { state: "failed", why: `${name} failed${detail}` };
  }
  if (p.phase === "Succeeded") return { state: "succeeded" };
  if (p.phase === "Pending" && p.reason === "Unschedulable") {
    const why = `${name} is unschedulable: ${p.message ?? "no node fits"}`;
    // A node that is not ready yet or still settling takes pods by itself in a few seconds: only
    // a pod that no node could take once they are all up is stuck. The scheduler says which
    // (its transient flag, from the filters themselves), never the message text.
    if (p.unschedulableTransient) return { state: "waiting", why };
    return { state: "failed", why };
  }
  for (const c of p.containers) {
    if (c.reason && STUCK_REASONS.has(c.reason)) {
      const exit = c.lastTermination?.exitCode;
      const detail = c.message ?? (exit !== undefined && exit !== null ? `last exit code ${exit}` : "");
      return {
        state: "failed",
        why: `${name} is ${c.reason} (container ${c.name})${detail ? `: ${detail}` : ""}`,
      };
    }
  }
  if (p.phase === "Running" && p.ready) {
    const starts = p.containers.map((c) => (c.startedAt ? Date.parse(c.startedAt) : 0));
    const since = Math.max(0, ...starts);
    if (now - since < minReadyMs)
      return { state: "waiting", why: `${name} is Ready, for less than ${minReadyMs / 1000}s` };
    return { state: "ready" };
  }
  if (p.phase === "Running") {
    const notReady = p.containers.filter((c) => !c.ready).map((c) => c.name);
    const starting = p.containers.filter((c) => c.state === "waiting").map((c) => c.name);
    if (starting.length)
      return { state: "waiting", why: `${name} containers are starting: ${starting.join(", ")}` };
    return {
      state: "waiting",
      why: `${name} is Running but not Ready (containers not ready: ${notReady.join(", ")})`,
    };
  }
  return { state: "waiting", why: `${name} is ${p.status}${p.message ? `: ${p.message}` : ""}` };
}
