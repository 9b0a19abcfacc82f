// Rollout operations on a PodSet: status, history, undo, pause, resume, restart, set image. Undo,
// restart and set image store a new desired object the way apply does (putObject, journaled,
// generation + 1), then plan pods in the same transaction, so every path sees them alike.

import { planPods } from "../controller/pods.ts";
import { readPodsInput } from "../controller/pods-input.ts";
import { parseConditions } from "../controller/podset-status.ts";
import { parseTemplate, undoTarget, withTemplate } from "../controller/revisions.ts";
import { checkPodSet } from "../controller/row-check.ts";
import { InvalidInputError, NotFoundError } from "../lib/errors.ts";
import type { PodSetObject, PodTemplate } from "../manifest/types.ts";
import { objectHash } from "../reconcile/spec-hash.ts";
import type { Mutation } from "../store/mutations.ts";
import { orThrow } from "../store/row-decode.ts";
import type { ObjectRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

const iso = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString());

/** The waiting reasons of a new pod that will not fix themselves: rollout status fails fast on them. */
export const FATAL_REASONS = new Set([
  "CrashLoopBackOff",
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
]);

/** A container that could not start: fatal only once it failed again after a back-off (not a blip). */
const REPEATED_REASONS = new Set(["RunContainerError", "CreateContainerError"]);

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastUpdateTime: string | null;
  lastTransitionTime: string | null;
}

export interface RolloutStatusView {
  name: string;
  generation: number;
  observedGeneration: number;
  paused: boolean;
  revision: number;
  templateHash: string | null;
  /** spec.replicas */
  replicas: number;
  /** Pods not being deleted, of any revision. */
  totalReplicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  conditions: ConditionView[];
  /** New pods stuck for good (crash loop, image pull): rollout status fails fast on these. */
  failing: { pod: string; container: string; reason: string; message: string | null }[];
}

export interface RevisionView {
  revision: number;
  templateHash: string;
  changeCause: string | null;
  createdAt: string | null;
  images: string[];
  current: boolean;
  failedAt: string | null;
  pods: number;
  template?: PodTemplate;
}

function podSetRow(store: Store, name: string): { row: ObjectRow; body: PodSetObject } {
  const row = store.getObject("PodSet", name);
  if (!row) throw new NotFoundError("podset", name);
  return { row, body: orThrow(checkPodSet(row)) };
}

export function rolloutStatus(store: Store, name: string): RolloutStatusView {
  const { row, body } = podSetRow(store, name);
  const st = store.getPodSetStatus(name);
  const newest = store.listRevisions(name).at(-1);
  const hash = newest?.templateHash ?? null;
  const failing: RolloutStatusView["failing"] = [];
  const statuses = store.containerStatuses();
  const readyNodes = new Set(store.listNodes().flatMap((n) => (n.state === "Ready" ? [n.name] : [])));
  for (const p of store.listPods({ ownerKind: "PodSet", ownerName: name })) {
    // A pod on a node that is not Ready is the node's trouble: it is replaced, not a failed rollout.
    if (p.deletionAt !== null || p.templateHash !== hash || p.node === null || !readyNodes.has(p.node))
      continue;
    for (const cs of statuses) {
      if (cs.pod !== p.name || cs.podUid !== p.uid || !cs.reason) continue;
      if (FATAL_REASONS.has(cs.reason) || (REPEATED_REASONS.has(cs.reason) && cs.backoffStep >= 2))
        failing.push({ pod: p.name, container: cs.container, reason: cs.reason, message: cs.message });
    }
  }
  return {
    name,
    generation: row.generation,
    observedGeneration: st?.observedGeneration ?? 0,
    paused: st?.paused ?? false,
    revision: st?.revision ?? newest?.revision ?? 0,
    templateHash: hash,
    replicas: body.spec.replicas,
    totalReplicas: st?.replicas ?? 0,
    updatedReplicas: st?.updatedReplicas ?? 0,
    readyReplicas: st?.readyReplicas ?? 0,
    availableReplicas: st?.availableReplicas ?? 0,
    conditions: parseConditions(st?.conditions).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastUpdateTime: iso(c.lastUpdateTime),
      lastTransitionTime: iso(c.lastTransitionTime),
    })),
    failing,
  };
}

/** kubectl's DeploymentStatusViewer: one line, and whether the rollout is done. */
export function describeRollout(
  s: RolloutStatusView,
  kind: string,
): { message: string; done: boolean; error?: string } {
  const who = `${kind} "${s.name}"`;
  if (s.generation > s.observedGeneration)
    return { message: "Waiting for rollout spec update to be observed...", done: false };
  const progressing = s.conditions.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded")
    return { message: "", done: false, error: `${who} exceeded its progress deadline` };
  const failing = s.failing[0];
  if (failing) {
    return {
      message: "",
      done: false,
      error: `${who} rollout failed: pod "${failing.pod}" container "${failing.container}" is in ${failing.reason}${failing.message ? `: ${failing.message}` : ""}`,
    };
  }
  if (s.updatedReplicas < s.replicas)
    return {
      message: `Waiting for rollout to finish: ${s.updatedReplicas} out of ${s.replicas} new replicas have been updated...`,
      done: false,
    };
  if (s.totalReplicas > s.updatedReplicas)
    return {
      message: `Waiting for rollout to finish: ${s.totalReplicas - s.updatedReplicas} old replicas are pending termination...`,
      done: false,
    };
  if (s.availableReplicas < s.updatedReplicas)
    return {
      message: `Waiting for rollout to finish: ${s.availableReplicas} of ${s.updatedReplicas} updated replicas are available...`,
      done: false,
    };
  return { message: `${who} successfully rolled out`, done: true };
}

export function rolloutHistory(store: Store, name: string, revision?: number): RevisionView[] {
  podSetRow(store, name);
  const revisions = store.listRevisions(name);
  const pods = store.listPods({ ownerKind: "PodSet", ownerName: name }).filter((p) => p.deletionAt === null);
  const newest = revisions.at(-1);
  const views = revisions.map((r): RevisionView => {
    const template = parseTemplate(r.template);
    return {
      revision: r.revision,
      templateHash: r.templateHash,
      changeCause: r.changeCause,
      createdAt: iso(r.createdAt),
      images: template?.spec.containers.map((c) => c.image) ?? [],
      current: r === newest,
      failedAt: iso(r.failedAt),
      pods: pods.filter((p) => p.templateHash === r.templateHash).length,
      ...(revision !== undefined && template ? { template } : {}),
    };
  });
  if (revision === undefined) return views;
  const one = views.find((v) => v.revision === revision);
  if (!one) throw new InvalidInputError(`Unable to find the specified revision ${revision} in history`);
  return [one];
}

/** Stores `next` as the PodSet's desired object (as apply would) and plans its pods. */
function storePodSet(store: Store, row: ObjectRow, next: PodSetObject, extra: Mutation[]): number {
  const now = store.clock.now();
  store.commit([
    {
      op: "putObject",
      kind: "PodSet",
      name: row.name,
      apiVersion: row.apiVersion,
      spec: JSON.stringify(next),
      specHash: objectHash(next),
      sourceFile: row.sourceFile,
      at: now,
    },
    ...extra,
  ]);
  store.commit(planPods(readPodsInput(store, now)));
  return store.getObject("PodSet", row.name)?.generation ?? row.generation;
}

function event(name: string, reason: string, message: string, at: number): Mutation {
  return {
    op: "recordEvent",
    type: "Normal",
    reason,
    objectKind: "PodSet",
    objectName: name,
    node: null,
    message,
    at,
  };
}

export interface RolloutActionResult {
  name: string;
  action: string;
  revision?: number;
  generation?: number;
}

export function rolloutUndo(store: Store, name: string, toRevision?: number): RolloutActionResult {
  return store.transaction(() => {
    const { row, body } = podSetRow(store, name);
    if (store.getPodSetStatus(name)?.paused) {
      throw new InvalidInputError(
        `Cannot undo podset/${name}: it is paused; resume it first with 'mk rollout resume podset/${name}' and try again`,
      );
    }
    const revisions = store.listRevisions(name);
    const target = undoTarget(revisions, toRevision);
    if (!target) {
      if (toRevision !== undefined)
        throw new InvalidInputError(`Unable to find the specified revision ${toRevision} in history`);
      throw new InvalidInputError(`No rollout history found for podset "${name}" to go back to`);
    }
    const current = revisions.at(-1);
    if (current && target.templateHash === current.templateHash) {
      return {
        name,
        action: `skipped rollback (current template already matches revision ${target.revision})`,
      };
    }
    const generation = storePodSet(store, row, withTemplate(body, target), [
      event(
        name,
        "DeploymentRollback",
        `Rolled back podset "${name}" to revision ${target.revision}`,
        store.clock.now(),
      ),
    ]);
    return { name, action: "rolled back", revision: target.revision, generation };
  });
}

export function rolloutPause(store: Store, name: string, paused: boolean): RolloutActionResult {
  return store.transaction(() => {
    podSetRow(store, name);
    const now = store.clock.now();
    if ((store.getPodSetStatus(name)?.paused ?? false) === paused) {
      throw new InvalidInputError(`podset "${name}" is ${paused ? "already paused" : "not paused"}`);
    }
    store.commit([
      { op: "setPodSetPaused", podset: name, paused },
      event(
        name,
        paused ? "Paused" : "Resumed",
        `Rollout of podset "${name}" ${paused ? "paused" : "resumed"}`,
        now,
      ),
    ]);
    store.commit(planPods(readPodsInput(store, now)));
    return { name, action: paused ? "paused" : "resumed" };
  });
}

export const RESTARTED_AT = "mk/restartedAt";

export function rolloutRestart(store: Store, name: string): RolloutActionResult {
  return store.transaction(() => {
    const { row, body } = podSetRow(store, name);
    if (store.getPodSetStatus(name)?.paused) {
      throw new InvalidInputError(
        `Cannot restart podset/${name}: it is paused; run 'mk rollout resume podset/${name}' first`,
      );
    }
    const now = store.clock.now();
    const template = body.spec.template;
    const next: PodSetObject = {
      ...body,
      spec: {
        ...body.spec,
        template: {
          ...template,
          metadata: {
            ...template.metadata,
            annotations: { ...template.metadata.annotations, [RESTARTED_AT]: new Date(now).toISOString() },
          },
        },
      },
    };
    const generation = storePodSet(store, row, next, [
      event(name, "Restarted", `Rollout restart of podset "${name}"`, now),
    ]);
    return { name, action: "restarted", generation };
  });
}

export function setImage(store: Store, name: string, images: Record<string, string>): RolloutActionResult {
  const entries = Object.entries(images);
  if (entries.length === 0)
    throw new InvalidInputError("Cannot set image: expected at least one CONTAINER=IMAGE");
  for (const [c, image] of entries) {
    if (!c || !image || /\s/.test(image))
      throw new InvalidInputError(
        `Cannot set image: expected CONTAINER=IMAGE, got ${JSON.stringify(`${c}=${image}`)}`,
      );
  }
  return store.transaction(() => {
    const { row, body } = podSetRow(store, name);
    const containers = body.spec.template.spec.containers;
    const names = new Set(containers.map((c) => c.name));
    const all = images["*"];
    for (const [c] of entries) {
      if (c !== "*" && !names.has(c))
        throw new InvalidInputError(
          `Cannot set image on podset/${name}: unable to find container named "${c}" (containers: ${[...names].join(", ")})`,
        );
    }
    const next: PodSetObject = {
      ...body,
      metadata: {
        ...body.metadata,
        annotations: {
          ...body.metadata.annotations,
          "kubernetes.io/change-cause": `mk set image podset/${name} ${entries.map(([c, i]) => `${c}=${i}`).join(" ")}`,
        },
      },
      spec: {
        ...body.spec,
        template: {
          ...body.spec.template,
          spec: {
            ...body.spec.template.spec,
            containers: containers.map((c) => {
              const image = images[c.name] ?? all;
              return image ? { ...c, image } : c;
            }),
          },
        },
      },
    };
    if (JSON.stringify(next.spec.template) === JSON.stringify(body.spec.template))
      return { name, action: "image unchanged" };
    const generation = storePodSet(store, row, next, []);
    return { name, action: "image updated", generation };
  });
}
