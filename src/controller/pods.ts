// planPods(): the pods that Pod and PodSet objects call for. Pure: it sees the desired objects, the
// pod rows, the PodSets' revisions and status, and returns mutations (create, update, request
// deletion, revisions, status, events). A PodSet's pods are named <podset>-<template hash>-<5
// random chars>; a template change rolls out as the strategy says (rollout.ts), with revisions
// (revisions.ts) and conditions (podset-status.ts).
import type {
  MkObjectBody,
  PodObject,
  PodSetObject,
  PodSetSpec,
  PodSpec,
  PodTemplate,
} from "../manifest/types.ts";
import { hashOf, objectHash } from "../reconcile/spec-hash.ts";
import type { Mutation } from "../store/mutations.ts";
import type { PodRow, PodSetStatusRow, RevisionRow } from "../store/rows.ts";
import { planPodSetStatus, progressDeadlineAt } from "./podset-status.ts";
import { parseTemplate, planRevisions, undoTarget, withTemplate } from "./revisions.ts";
import { planRollout } from "./rollout.ts";

export interface PodsInput {
  objects: readonly MkObjectBody[];
  pods: readonly PodRow[];
  /** Revisions of every PodSet (absent: none recorded yet). */
  revisions?: readonly RevisionRow[];
  podSetStatus?: readonly PodSetStatusRow[];
  /** Per PodSet: what a rollback's putObject needs, and the generation for observedGeneration. */
  podSetMeta?: ReadonlyMap<string, { apiVersion: string; sourceFile: string | null; generation: number }>;
  now: number;
  /** Source of names and uids: random in production, seeded in tests. */
  random: () => number;
  newUid: () => string;
}

const NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";

function suffix(random: () => number): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(random() * NAME_CHARS.length)];
  return s;
}

export function templateHash(ps: PodSetObject): string {
  return hashOf(ps.spec.template, 10);
}

export function podSpecHash(
  spec: PodSpec,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): string {
  return hashOf({ spec, labels, annotations });
}

function newPodRow(
  name: string,
  uid: string,
  owner: { kind: string; name: string; templateHash: string | null },
  labels: Record<string, string>,
  annotations: Record<string, string>,
  spec: PodSpec,
  now: number,
): PodRow {
  return {
    name,
    uid,
    ownerKind: owner.kind,
    ownerName: owner.name,
    templateHash: owner.templateHash,
    labels: JSON.stringify(labels),
    annotations: JSON.stringify(annotations),
    spec: JSON.stringify(spec),
    specHash: podSpecHash(spec, labels, annotations),
    node: spec.nodeName ?? null,
    phase: "Pending",
    reason: null,
    message: null,
    unschedulableTransient: false,
    ready: false,
    restartCount: 0,
    ip: null,
    createdAt: now,
    scheduledAt: null,
    startedAt: null,
    readySince: null,
    deletionAt: null,
    deletionReason: null,
    deletionGraceSeconds: null,
  };
}

export function planPods(input: PodsInput): Mutation[] {
  return planPodsDetailed(input).mutations;
}

/** planPods, and when the controller should look again (minReadySeconds, progress deadlines). */
export function planPodsDetailed(input: PodsInput): { mutations: Mutation[]; nextWakeAt: number | null } {
  let nextWakeAt: number | null = null;
  const wake = (at: number | null) => {
    if (at !== null && (nextWakeAt === null || at < nextWakeAt)) nextWakeAt = at;
  };
  const muts: Mutation[] = [];
  const podsByName = new Map(input.pods.map((p) => [p.name, p]));
  const standalone = new Map<string, PodObject>();
  const podsets = new Map<string, PodSetObject>();
  for (const o of input.objects) {
    if (o.kind === "Pod") standalone.set(o.metadata.name, o);
    else if (o.kind === "PodSet") podsets.set(o.metadata.name, o);
  }

  // Standalone pods: one row per Pod object; a spec change updates the row (the agent replaces
  // the containers whose hash changed); a removed object deletes the pod.
  for (const obj of standalone.values()) {
    const row = podsByName.get(obj.metadata.name);
    const { labels, annotations } = obj.metadata;
    if (!row) {
      muts.push({
        op: "createPod",
        pod: newPodRow(
          obj.metadata.name,
          input.newUid(),
          { kind: "Pod", name: obj.metadata.name, templateHash: null },
          labels,
          annotations,
          obj.spec,
          input.now,
        ),
      });
      continue;
    }
    if (row.ownerKind !== "Pod") continue; // name taken by a PodSet's pod: reported at apply time
    if (row.deletionAt !== null) continue; // re-created once the old one is gone
    const hash = podSpecHash(obj.spec, labels, annotations);
    if (row.specHash !== hash) {
      muts.push({
        op: "updatePodSpec",
        name: row.name,
        spec: JSON.stringify(obj.spec),
        specHash: hash,
        labels: JSON.stringify(labels),
        annotations: JSON.stringify(annotations),
      });
    }
  }

  // A pod being deleted that no node ever ran has nothing to stop: it goes at once.
  for (const p of input.pods) {
    if (p.deletionAt !== null && p.node === null) muts.push({ op: "deletePod", name: p.name });
  }

  const owned = new Map<string, PodRow[]>();
  for (const p of input.pods) {
    if (p.ownerKind === "Pod") {
      if (!standalone.has(p.ownerName) && p.deletionAt === null) {
        muts.push({
          op: "requestPodDeletion",
          name: p.name,
          at: input.now,
          reason: `pod/${p.ownerName} was deleted`,
        });
      }
      continue;
    }
    const list = owned.get(p.ownerName);
    if (list) list.push(p);
    else owned.set(p.ownerName, [p]);
  }

  for (const [owner, list] of owned) {
    if (!podsets.has(owner)) {
      for (const p of list) {
        if (p.deletionAt === null)
          muts.push({
            op: "requestPodDeletion",
            name: p.name,
            at: input.now,
            reason: `podset/${owner} was deleted`,
          });
      }
    }
  }

  for (const ps of podsets.values()) {
    muts.push(...planPodSet(ps, owned.get(ps.metadata.name) ?? [], input, wake));
  }
  return { mutations: muts, nextWakeAt };
}

const FINISHED = new Set(["Succeeded", "Failed"]);

/** Fields added after a state was written: stored objects may lack them. */
function withRolloutDefaults(spec: PodSetSpec): PodSetSpec {
  return {
    ...spec,
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
    rollbackOnFailure: spec.rollbackOnFailure ?? false,
  };
}

function podSetEvent(
  name: string,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  at: number,
): Mutation {
  return { op: "recordEvent", type, reason, objectKind: "PodSet", objectName: name, node: null, message, at };
}

function planPodSet(
  obj: PodSetObject,
  pods: readonly PodRow[],
  input: PodsInput,
  wake: (at: number | null) => void,
): Mutation[] {
  const muts: Mutation[] = [];
  const ps: PodSetObject = { ...obj, spec: withRolloutDefaults(obj.spec) };
  const name = ps.metadata.name;
  const now = input.now;
  const revisions = (input.revisions ?? []).filter((r) => r.podset === name);
  const prevStatus = input.podSetStatus?.find((s) => s.podset === name);
  const paused = prevStatus?.paused ?? false;
  const rev = planRevisions({ ps, specHash: templateHash(ps), revisions, pods, paused, now });
  muts.push(...rev.mutations);
  const target = rev.target;

  // Pods that finished for good (Succeeded or Failed) no longer count as replicas: replaced.
  for (const p of pods) {
    if (p.deletionAt === null && FINISHED.has(p.phase)) {
      muts.push({
        op: "requestPodDeletion",
        name: p.name,
        at: now,
        reason: `pod ${p.phase.toLowerCase()}; replaced`,
      });
    }
  }
  const active = pods.filter((p) => p.deletionAt !== null || !FINISHED.has(p.phase));
  const revisionOf = (hash: string | null) =>
    hash === target.templateHash
      ? target.revision
      : (revisions.find((r) => r.templateHash === hash)?.revision ?? 0);
  const plan = planRollout({
    spec: ps.spec,
    targetHash: target.templateHash,
    pods: active,
    revisionOf,
    paused,
    now,
  });

  // Stops, with one ScalingReplicaSet-like event per revision.
  const downBy = new Map<string, number>();
  for (const d of plan.delete) {
    muts.push({ op: "requestPodDeletion", name: d.pod.name, at: now, reason: `podset/${name} ${d.reason}` });
    const h = d.pod.templateHash ?? "";
    downBy.set(h, (downBy.get(h) ?? 0) + 1);
  }
  const aliveOf = (h: string) => active.filter((p) => p.deletionAt === null && p.templateHash === h).length;
  for (const [h, n] of downBy) {
    const had = aliveOf(h);
    muts.push(
      podSetEvent(
        name,
        "Normal",
        "ScalingReplicaSet",
        `Scaled down revision ${revisionOf(h)} (${h}) from ${had} to ${had - n}`,
        now,
      ),
    );
  }

  // New pods: of the target template, and (a paused PodSet scaled up) of older ones, in proportion.
  const batches: { revision: number; templateHash: string; template: PodTemplate; count: number }[] = [];
  if (plan.create > 0) batches.push({ ...target, count: plan.create });
  for (const c of plan.createOld) {
    const row = revisions.find((r) => r.templateHash === c.templateHash);
    const template = row ? parseTemplate(row.template) : undefined;
    if (row && template)
      batches.push({ revision: row.revision, templateHash: c.templateHash, template, count: c.count });
  }
  const taken = new Set(input.pods.map((p) => p.name));
  for (const b of batches) {
    const { labels, annotations } = b.template.metadata;
    for (let i = 0; i < b.count; i++) {
      let podName = `${name}-${b.templateHash}-${suffix(input.random)}`;
      while (taken.has(podName)) podName = `${name}-${b.templateHash}-${suffix(input.random)}`;
      taken.add(podName);
      muts.push({
        op: "createPod",
        pod: newPodRow(
          podName,
          input.newUid(),
          { kind: "PodSet", name, templateHash: b.templateHash },
          labels,
          annotations,
          b.template.spec,
          now,
        ),
      });
    }
    const had = aliveOf(b.templateHash) - (downBy.get(b.templateHash) ?? 0);
    muts.push(
      podSetEvent(
        name,
        "Normal",
        "ScalingReplicaSet",
        `Scaled up revision ${b.revision} (${b.templateHash}) from ${had} to ${had + b.count}`,
        now,
      ),
    );
  }

  const meta = input.podSetMeta?.get(name);
  const st = planPodSetStatus({
    name,
    generation: meta?.generation ?? 0,
    spec: ps.spec,
    prev: prevStatus,
    revision: target.revision,
    templateHash: target.templateHash,
    counts: plan.counts,
    newRevision: rev.created,
    scaled: plan.create > 0 || plan.delete.length > 0,
    paused,
    now,
  });
  if (st.changed) muts.push({ op: "setPodSetStatus", status: st.status });
  const targetRow = revisions.find((r) => r.revision === target.revision);
  if (st.complete && targetRow && targetRow.failedAt !== null)
    muts.push({ op: "markRevisionFailed", podset: name, revision: target.revision, at: null });
  if (st.deadlineExceeded) {
    muts.push({ op: "markRevisionFailed", podset: name, revision: target.revision, at: now });
    muts.push(
      podSetEvent(
        name,
        "Warning",
        "ProgressDeadlineExceeded",
        `PodSet "${name}" has timed out progressing: revision ${target.revision} made no progress for ${ps.spec.progressDeadlineSeconds}s`,
        now,
      ),
    );
    const back = ps.spec.rollbackOnFailure
      ? undoTarget(revisions, undefined, { skipFailed: true })
      : undefined;
    if (back && meta) {
      const next = withTemplate(obj, back);
      muts.push({
        op: "putObject",
        kind: "PodSet",
        name,
        apiVersion: meta.apiVersion,
        spec: JSON.stringify(next),
        specHash: objectHash(next),
        sourceFile: meta.sourceFile,
        at: now,
      });
      muts.push(
        podSetEvent(
          name,
          "Warning",
          "RolledBack",
          `Rolled back to revision ${back.revision} (${back.templateHash}): revision ${target.revision} exceeded its progress deadline`,
          now,
        ),
      );
    }
  }
  if (!paused && !st.complete)
    wake(progressDeadlineAt({ conditions: st.status.conditions }, ps.spec.progressDeadlineSeconds));
  wake(plan.nextCheckAt);
  return muts;
}
