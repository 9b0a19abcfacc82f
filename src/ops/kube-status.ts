// Kubernetes' own status fields, added to the flat view that is an object's `status` in
// `mk get -o yaml|json`, so that kubectl scripts read what they read from Kubernetes:
// `{.status.podIP}`, `{.status.containerStatuses[0].restartCount}`,
// `{.status.conditions[?(@.type=="Ready")].status}`, `{.status.readyReplicas}`. The flat fields
// stay as they were (docs/api.md); these only add. Pure.
import type { RolloutStatusView } from "./rollout.ts";
import type { ContainerView, PodView } from "./views.ts";

type Condition = { type: string; status: "True" | "False"; reason?: string; message?: string };

/** A container's `state`/`lastState` as Kubernetes writes them: one of waiting, running, terminated. */
function containerState(c: ContainerView): Record<string, unknown> {
  if (c.state === "running") return { running: { startedAt: c.startedAt } };
  if (c.state === "terminated") {
    const t = c.lastTermination;
    return {
      terminated: {
        exitCode: t?.exitCode ?? null,
        reason: c.reason ?? t?.reason ?? null,
        startedAt: c.startedAt,
        finishedAt: t?.finishedAt ?? null,
      },
    };
  }
  return {
    waiting: { reason: c.reason ?? "ContainerCreating", ...(c.message ? { message: c.message } : {}) },
  };
}

function lastState(c: ContainerView): Record<string, unknown> {
  const t = c.lastTermination;
  if (!t || c.state === "terminated") return {};
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.oomKilled ? "OOMKilled" : (t.reason ?? "Error"),
      finishedAt: t.finishedAt,
    },
  };
}

export function podKubeStatus(v: PodView): Record<string, unknown> {
  const bool = (b: boolean): "True" | "False" => (b ? "True" : "False");
  const allReady = v.containers.length > 0 && v.containers.every((c) => c.ready);
  const conditions: Condition[] = [
    {
      type: "PodScheduled",
      status: bool(v.node !== null),
      // As the scheduler writes it: reason Unschedulable, message "0/3 nodes are available: ...".
      ...(v.node === null && v.reason === "Unschedulable"
        ? { reason: "Unschedulable", ...(v.message ? { message: v.message } : {}) }
        : {}),
    },
    { type: "Initialized", status: bool(v.node !== null) },
    { type: "ContainersReady", status: bool(allReady) },
    { type: "Ready", status: bool(v.ready) },
  ];
  return {
    ...(v.ip ? { podIP: v.ip, podIPs: [{ ip: v.ip }] } : {}),
    ...(v.startedAt ? { startTime: v.startedAt } : {}),
    conditions,
    containerStatuses: v.containers.map((c) => ({
      name: c.name,
      image: c.image,
      ready: c.ready,
      started: c.state === "running",
      restartCount: c.restartCount,
      ...(c.containerId ? { containerID: `docker://${c.containerId}` } : {}),
      state: containerState(c),
      lastState: lastState(c),
    })),
  };
}

export function podSetKubeStatus(r: RolloutStatusView): Record<string, unknown> {
  return {
    observedGeneration: r.observedGeneration,
    updatedReplicas: r.updatedReplicas,
    readyReplicas: r.readyReplicas,
    availableReplicas: r.availableReplicas,
    unavailableReplicas: Math.max(0, r.replicas - r.availableReplicas),
    conditions: r.conditions,
  };
}
