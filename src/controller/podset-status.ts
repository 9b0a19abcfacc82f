// A PodSet's rollout status and its conditions, with Kubernetes' reasons (deployment/progress.go):
// Progressing True (NewReplicaSetCreated, ReplicaSetUpdated, NewReplicaSetAvailable), False
// (ProgressDeadlineExceeded), Unknown (DeploymentPaused, DeploymentResumed); Available True
// (MinimumReplicasAvailable) or False (MinimumReplicasUnavailable). Pure.
import type { PodSetSpec } from "../manifest/types.ts";
import type { PodSetStatusRow } from "../store/rows.ts";
import { type RolloutCounts, resolveFenceposts } from "./rollout.ts";

export interface Condition {
  type: "Progressing" | "Available";
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastUpdateTime: number;
  lastTransitionTime: number;
}

export function parseConditions(json: string | undefined): Condition[] {
  try {
    const v = JSON.parse(json ?? "[]") as unknown;
    return Array.isArray(v) ? (v as Condition[]) : [];
  } catch {
    return [];
  }
}

export interface StatusInput {
  name: string;
  generation: number;
  spec: Pick<PodSetSpec, "replicas" | "strategy" | "progressDeadlineSeconds">;
  prev: PodSetStatusRow | undefined;
  revision: number;
  templateHash: string;
  counts: RolloutCounts;
  /** This pass started a new revision. */
  newRevision: boolean;
  /** This pass created or stopped pods for the rollout. */
  scaled: boolean;
  paused: boolean;
  now: number;
}

export interface StatusResult {
  status: Omit<PodSetStatusRow, "paused">;
  /** The deadline passed in this pass (not before). */
  deadlineExceeded: boolean;
  /** Differs from `prev`: worth a write. */
  changed: boolean;
  complete: boolean;
}

function setCondition(list: Condition[], c: Omit<Condition, "lastTransitionTime">, now: number): Condition[] {
  const prev = list.find((x) => x.type === c.type);
  const keep = prev && prev.status === c.status ? prev.lastTransitionTime : now;
  return [...list.filter((x) => x.type !== c.type), { ...c, lastTransitionTime: keep }].sort((a, b) =>
    a.type < b.type ? -1 : 1,
  );
}

export function planPodSetStatus(a: StatusInput): StatusResult {
  const { counts, now, spec } = a;
  let conds = parseConditions(a.prev?.conditions);
  const prevProgressing = conds.find((c) => c.type === "Progressing");
  const rs = `revision ${a.revision} (${a.templateHash})`;
  const { unavailable } =
    spec.strategy.type === "RollingUpdate"
      ? resolveFenceposts(spec.strategy.maxSurge, spec.strategy.maxUnavailable, spec.replicas)
      : { unavailable: 0 };
  const minAvailable = spec.strategy.type === "RollingUpdate" ? spec.replicas - unavailable : spec.replicas;
  const available = counts.available >= minAvailable;
  const prevAvailable = conds.find((c) => c.type === "Available");
  const availableSince = (status: Condition["status"]) =>
    prevAvailable?.status === status ? prevAvailable.lastUpdateTime : now;
  conds = setCondition(
    conds,
    available
      ? {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "PodSet has minimum availability.",
          lastUpdateTime: availableSince("True"),
        }
      : {
          type: "Available",
          status: "False",
          reason: "MinimumReplicasUnavailable",
          message: "PodSet does not have minimum availability.",
          lastUpdateTime: availableSince("False"),
        },
    now,
  );

  const complete =
    counts.updated === spec.replicas &&
    counts.replicas === spec.replicas &&
    counts.available === spec.replicas;
  const prev = a.prev;
  const progressed =
    a.scaled ||
    !prev ||
    counts.updated > prev.updatedReplicas ||
    counts.ready > prev.readyReplicas ||
    counts.available > prev.availableReplicas ||
    counts.replicas - counts.updated < prev.replicas - prev.updatedReplicas;
  let deadlineExceeded = false;
  const progressing = (status: Condition["status"], reason: string, message: string, touch: boolean) => {
    conds = setCondition(
      conds,
      {
        type: "Progressing",
        status,
        reason,
        message,
        lastUpdateTime: touch || !prevProgressing ? now : prevProgressing.lastUpdateTime,
      },
      now,
    );
  };
  if (a.paused) {
    if (prevProgressing?.reason !== "DeploymentPaused")
      progressing("Unknown", "DeploymentPaused", "PodSet is paused", true);
  } else if (prevProgressing?.reason === "DeploymentPaused") {
    // Resumed: the deadline counts from now, not from before the pause.
    progressing("Unknown", "DeploymentResumed", "PodSet is resumed", true);
  } else if (a.newRevision) {
    progressing("True", "NewReplicaSetCreated", `Created new ${rs}`, true);
  } else if (complete) {
    if (prevProgressing?.reason !== "NewReplicaSetAvailable")
      progressing("True", "NewReplicaSetAvailable", `${rs} has successfully progressed.`, true);
  } else if (progressed) {
    progressing("True", "ReplicaSetUpdated", `${rs} is progressing.`, true);
  } else if (
    prevProgressing &&
    prevProgressing.reason !== "ProgressDeadlineExceeded" &&
    prevProgressing.reason !== "NewReplicaSetAvailable" &&
    now - prevProgressing.lastUpdateTime > spec.progressDeadlineSeconds * 1000
  ) {
    progressing("False", "ProgressDeadlineExceeded", `${rs} has timed out progressing.`, true);
    deadlineExceeded = true;
  }
  return {
    status: {
      podset: a.name,
      observedGeneration: a.generation,
      revision: a.revision,
      replicas: counts.replicas,
      updatedReplicas: counts.updated,
      readyReplicas: counts.ready,
      availableReplicas: counts.available,
      conditions: JSON.stringify(conds),
      updatedAt: now,
    },
    changed: !prev || !sameStatus(prev, counts, conds, a),
    deadlineExceeded,
    complete,
  };
}

function sameStatus(prev: PodSetStatusRow, c: RolloutCounts, conds: Condition[], a: StatusInput): boolean {
  return (
    prev.observedGeneration === a.generation &&
    prev.revision === a.revision &&
    prev.replicas === c.replicas &&
    prev.updatedReplicas === c.updated &&
    prev.readyReplicas === c.ready &&
    prev.availableReplicas === c.available &&
    prev.conditions === JSON.stringify(conds)
  );
}

/** When the progress deadline of a running rollout passes (for the controller's wake-up). */
export function progressDeadlineAt(
  status: Pick<PodSetStatusRow, "conditions"> | undefined,
  progressDeadlineSeconds: number,
): number | null {
  const p = parseConditions(status?.conditions).find((c) => c.type === "Progressing");
  if (!p || ["NewReplicaSetAvailable", "ProgressDeadlineExceeded", "DeploymentPaused"].includes(p.reason))
    return null;
  return p.lastUpdateTime + progressDeadlineSeconds * 1000;
}
