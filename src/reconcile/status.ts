// Container and pod status, derived from what Docker shows and what was recorded before. Pure:
// the agent feeds it observations and commits the result.
import type { ContainerSpec, PodSpec } from "../manifest/types.ts";
import type { RuntimeContainer } from "../runtime/runtime.ts";
import type { ContainerStatusRow, PodPhase } from "../store/rows.ts";
import type { DesiredPod } from "./actions.ts";
import { type BackoffConfig, backoffDelay, nextBackoffStep } from "./backoff.ts";

export type ContainerStatus = ContainerStatusRow;

export interface StatusEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface ProbeView {
  /** Readiness: true when there is no readiness probe, or its last verdict was success. */
  ready: boolean;
  /** Startup: true when there is no startup probe, or it has succeeded. */
  started: boolean;
}

export function shouldRestart(policy: PodSpec["restartPolicy"], exitCode: number | null): boolean {
  if (policy === "Always") return true;
  if (policy === "Never") return false;
  return exitCode !== 0;
}

export function freshStatus(pod: DesiredPod, container: string, now: number): ContainerStatus {
  return {
    pod: pod.name,
    podUid: pod.uid,
    container,
    containerId: null,
    state: "waiting",
    reason: "ContainerCreating",
    message: null,
    ready: false,
    started: false,
    restartCount: 0,
    backoffStep: 0,
    nextRestartAt: null,
    lastRestartAt: null,
    startedAt: null,
    lastExitCode: null,
    lastReason: null,
    lastFinishedAt: null,
    lastOomKilled: null,
    updatedAt: now,
  };
}

function terminationReason(c: RuntimeContainer): string {
  if (c.oomKilled) return "OOMKilled";
  return c.exitCode === 0 ? "Completed" : "Error";
}

/**
 * The next status of one container. A termination not seen before (a new finishedAt, or a running
 * container that vanished) decides the restart: at once, after a back-off, or never.
 */
export function observeContainer(input: {
  pod: DesiredPod;
  container: ContainerSpec;
  observed: RuntimeContainer | undefined;
  prev: ContainerStatus | undefined;
  backoff: BackoffConfig;
  probe: ProbeView;
  now: number;
}): { status: ContainerStatus; events: StatusEvent[] } {
  const { pod, container, observed: obs, backoff, probe, now } = input;
  const prev = input.prev && input.prev.podUid === pod.uid ? input.prev : undefined;
  const st: ContainerStatus = { ...(prev ?? freshStatus(pod, container.name, now)), updatedAt: now };
  const events: StatusEvent[] = [];

  const terminated = (
    exitCode: number | null,
    reason: string,
    finishedAt: number,
    oom: boolean,
    what: string,
  ) => {
    st.lastExitCode = exitCode;
    st.lastReason = reason;
    st.lastFinishedAt = finishedAt;
    st.lastOomKilled = oom;
    st.ready = false;
    const failed = exitCode !== 0;
    events.push({
      type: failed ? "Warning" : "Normal",
      reason: failed ? "ContainerDied" : "Completed",
      message: `Container ${container.name} ${what}`,
    });
    if (pod.deleting) {
      st.state = "terminated";
      st.reason = reason;
      return;
    }
    if (shouldRestart(pod.spec.restartPolicy, exitCode)) {
      const step = nextBackoffStep(prev?.backoffStep ?? 0, prev?.lastRestartAt ?? null, finishedAt, backoff);
      const delay = backoffDelay(step, backoff);
      st.backoffStep = step;
      st.nextRestartAt = now + delay;
      st.state = "waiting";
      st.reason = delay > 0 ? "CrashLoopBackOff" : "Restarting";
      st.message =
        delay > 0 ? `back-off ${formatSeconds(delay)} restarting failed container ${container.name}` : null;
      if (delay > 0) events.push({ type: "Warning", reason: "BackOff", message: st.message ?? "" });
    } else {
      st.state = "terminated";
      st.reason = reason;
      st.nextRestartAt = null;
      st.message = null;
    }
  };

  if (!obs) {
    if (prev?.state === "running") {
      terminated(null, "ContainerMissing", now, false, "disappeared from the node");
    }
    st.containerId = null;
    return { status: st, events };
  }

  st.containerId = obs.id;
  switch (obs.state) {
    case "running":
    case "paused":
    case "restarting":
      st.state = "running";
      st.reason = null;
      st.message = null;
      st.nextRestartAt = null;
      st.startedAt = obs.startedAt;
      st.started = probe.started;
      st.ready = probe.started && probe.ready;
      break;
    case "created":
      if (st.state !== "waiting") {
        st.state = "waiting";
        st.reason = "ContainerCreating";
      }
      break;
    default: {
      // exited, dead, removing
      const finishedAt = obs.finishedAt ?? now;
      const seen = prev?.lastFinishedAt === finishedAt && prev.state !== "running";
      if (!seen) {
        const reason = terminationReason(obs);
        const detail = obs.oomKilled ? "was OOM-killed" : `exited with code ${obs.exitCode ?? "?"}`;
        terminated(obs.exitCode, reason, finishedAt, obs.oomKilled, detail);
      }
      st.ready = false;
    }
  }
  return { status: st, events };
}

export interface PodStatus {
  phase: PodPhase;
  reason: string | null;
  message: string | null;
  ready: boolean;
  restartCount: number;
  ip: string | null;
  startedAt: number | null;
}

const WAITING_REASONS_SHOWN = new Set([
  "CrashLoopBackOff",
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "CreateContainerError",
  "ContainerCreating",
]);

/** A pod's phase from its containers' statuses, as Kubernetes defines it. */
export function derivePodStatus(
  pod: DesiredPod,
  statuses: readonly ContainerStatus[],
  observed: readonly RuntimeContainer[],
): PodStatus {
  const names = pod.spec.containers.map((c) => c.name);
  const byName = new Map(statuses.map((s) => [s.container, s]));
  const list = names.map((n) => byName.get(n));
  const restartCount = list.reduce((n, s) => n + (s?.restartCount ?? 0), 0);
  const running = observed.find((c) => c.state === "running" && c.ip);
  const startedAts = list.map((s) => s?.startedAt).filter((t): t is number => typeof t === "number");
  const startedAt = startedAts.length ? Math.min(...startedAts) : null;
  const waiting = list.find((s) => s?.state === "waiting" && s.reason && WAITING_REASONS_SHOWN.has(s.reason));
  const base = { restartCount, ip: running?.ip ?? null, startedAt };

  if (pod.deleting) {
    return { ...base, phase: phaseOf(list), reason: "Terminating", message: null, ready: false };
  }
  const phase = phaseOf(list);
  const ready = phase === "Running" && list.every((s) => s?.state === "running" && s.ready);
  const reason =
    phase === "Succeeded" ? "Completed" : phase === "Failed" ? "Error" : (waiting?.reason ?? null);
  return { ...base, phase, reason, message: waiting?.message ?? null, ready };
}

function phaseOf(list: (ContainerStatus | undefined)[]): PodPhase {
  if (list.length > 0 && list.every((s) => s?.state === "terminated")) {
    return list.every((s) => s?.lastExitCode === 0) ? "Succeeded" : "Failed";
  }
  const ranBefore = list.some(
    (s) => s && (s.state === "running" || s.startedAt !== null || s.restartCount > 0),
  );
  return ranBefore ? "Running" : "Pending";
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}
