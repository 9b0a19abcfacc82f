// planPods(): the pods that Pod and PodSet objects call for. Pure: it sees the desired objects and
// the pod rows and returns mutations (create, update, request deletion). A PodSet's pods are
// named <podset>-<template hash>-<5 random chars>; a template change replaces them all
// (Recreate: the old ones are gone before the new ones start).
import type { MkObjectBody, PodObject, PodSetObject, PodSpec } from "../manifest/types.ts";
import { hashOf } from "../reconcile/spec-hash.ts";
import type { Mutation } from "../store/mutations.ts";
import type { PodRow } from "../store/rows.ts";

export interface PodsInput {
  objects: readonly MkObjectBody[];
  pods: readonly PodRow[];
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
    ready: false,
    restartCount: 0,
    ip: null,
    createdAt: now,
    scheduledAt: null,
    startedAt: null,
    deletionAt: null,
    deletionReason: null,
    deletionGraceSeconds: null,
  };
}

export function planPods(input: PodsInput): Mutation[] {
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
    muts.push(...planPodSet(ps, owned.get(ps.metadata.name) ?? [], input));
  }
  return muts;
}

function planPodSet(ps: PodSetObject, pods: readonly PodRow[], input: PodsInput): Mutation[] {
  const muts: Mutation[] = [];
  const name = ps.metadata.name;
  const hash = templateHash(ps);
  const alive = pods.filter((p) => p.deletionAt === null);
  // Pods that finished for good (Succeeded or Failed) no longer count as replicas.
  const counted = alive.filter((p) => p.phase !== "Succeeded" && p.phase !== "Failed");
  const old = alive.filter((p) => p.templateHash !== hash);
  for (const p of old) {
    muts.push({
      op: "requestPodDeletion",
      name: p.name,
      at: input.now,
      reason: `podset/${name} template changed`,
    });
  }
  for (const p of alive) {
    if (p.templateHash === hash && (p.phase === "Succeeded" || p.phase === "Failed")) {
      muts.push({
        op: "requestPodDeletion",
        name: p.name,
        at: input.now,
        reason: `pod ${p.phase.toLowerCase()}; replaced`,
      });
    }
  }
  // Recreate: the new template starts only once every old pod is gone.
  if (pods.some((p) => p.templateHash !== hash)) return muts;

  const current = counted.filter((p) => p.templateHash === hash);
  const want = ps.spec.replicas;
  if (current.length < want) {
    const taken = new Set(input.pods.map((p) => p.name));
    const { labels, annotations } = ps.spec.template.metadata;
    for (let i = current.length; i < want; i++) {
      let podName = `${name}-${hash}-${suffix(input.random)}`;
      while (taken.has(podName)) podName = `${name}-${hash}-${suffix(input.random)}`;
      taken.add(podName);
      muts.push({
        op: "createPod",
        pod: newPodRow(
          podName,
          input.newUid(),
          { kind: "PodSet", name, templateHash: hash },
          labels,
          annotations,
          ps.spec.template.spec,
          input.now,
        ),
      });
    }
  } else if (current.length > want) {
    // Newest first, like a ReplicaSet scaling down; unscheduled and not-ready ones go before those.
    const victims = [...current]
      .sort((a, b) => score(a) - score(b) || b.createdAt - a.createdAt || (a.name < b.name ? 1 : -1))
      .slice(0, current.length - want);
    for (const p of victims) {
      muts.push({
        op: "requestPodDeletion",
        name: p.name,
        at: input.now,
        reason: `podset/${name} scaled to ${want}`,
      });
    }
  }
  return muts;
}

/** Lower goes first when scaling down: unbound, then pending, then not ready, then ready. */
function score(p: PodRow): number {
  if (p.node === null) return 0;
  if (p.phase === "Pending") return 1;
  if (!p.ready) return 2;
  return 3;
}
