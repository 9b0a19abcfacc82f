// Rolling-update arithmetic and planning, after Kubernetes' deployment controller (pkg/controller/
// deployment/rolling.go): resolve maxSurge/maxUnavailable, then per pass derive from the pod rows
// alone how many new-template pods to create and which old ones to stop. Pure: the same rows give
// the same plan, so a controller that crashed mid-rollout picks up where the tables say it is.
//
// Bounds kept at every moment (terminating pods count for neither):
//   available pods >= replicas - maxUnavailable      available = Ready for minReadySeconds
//   pods           <= replicas + maxSurge
import type { PodSetSpec } from "../manifest/types.ts";
import type { PodRow } from "../store/rows.ts";
import { proportionalSizes } from "./proportional.ts";

/** maxSurge rounds up, maxUnavailable down; when both come to 0, one pod may be unavailable. */
export function resolveFenceposts(
  maxSurge: number | string,
  maxUnavailable: number | string,
  replicas: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, replicas, true);
  const unavailable = scaledValue(maxUnavailable, replicas, false);
  if (surge === 0 && unavailable === 0) return { surge: 0, unavailable: 1 };
  return { surge, unavailable };
}

/** An integer as is; "25%" of `total`, rounded up or down (intstr.GetScaledValueFromIntOrPercent). */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m)
    throw new RangeError(`expected an integer or a percentage like "25%", got ${JSON.stringify(value)}`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Counts as in reconcileNewReplicaSet: how many new pods to add (>0) or remove (<0). */
export function newPodsDelta(a: { replicas: number; surge: number; total: number; updated: number }): number {
  if (a.updated > a.replicas) return a.replicas - a.updated;
  if (a.updated === a.replicas) return 0;
  const maxTotal = a.replicas + a.surge;
  if (a.total >= maxTotal) return 0;
  return Math.max(0, Math.min(maxTotal - a.total, a.replicas - a.updated));
}

/** reconcileOldReplicaSets: at most this many old pods may go this pass (0 or less: none). */
export function maxOldScaledDown(a: {
  replicas: number;
  unavailable: number;
  total: number;
  updated: number;
  updatedAvailable: number;
}): number {
  const minAvailable = a.replicas - a.unavailable;
  // New pods that are not available yet would make a further scale-down unsafe.
  return a.total - minAvailable - (a.updated - a.updatedAvailable);
}

/** cleanupUnhealthyReplicas: old pods that are not available go first, up to `max`. */
export function unhealthyCleanup(
  groups: readonly { count: number; available: number }[],
  max: number,
): number[] {
  let left = Math.max(0, max);
  return groups.map((g) => {
    const n = Math.min(left, Math.max(0, g.count - g.available));
    left -= n;
    return n;
  });
}

/** scaleDownOldReplicaSetsForRollingUpdate: available pods above the minimum may go. */
export function availableScaleDown(a: { replicas: number; unavailable: number; available: number }): number {
  return Math.max(0, a.available - (a.replicas - a.unavailable));
}

/** Ready for at least minReadySeconds, running, and not being deleted. */
export function isAvailable(p: PodRow, minReadySeconds: number, now: number): boolean {
  return (
    p.deletionAt === null &&
    p.phase === "Running" &&
    p.ready &&
    p.readySince !== null &&
    p.readySince + minReadySeconds * 1000 <= now
  );
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Which pod to stop first, like the ReplicaSet controller: unscheduled, then pending, unknown,
 * not ready, ready for a shorter time, more restarts, newer.
 */
export function deletionOrder(a: PodRow, b: PodRow): number {
  const bound = (p: PodRow) => (p.node === null ? 0 : 1);
  if (bound(a) !== bound(b)) return bound(a) - bound(b);
  const phase = (p: PodRow) => PHASE_ORDER[p.phase] ?? 3;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  if (a.ready && b.ready && a.readySince !== b.readySince) return (b.readySince ?? 0) - (a.readySince ?? 0);
  if (a.restartCount !== b.restartCount) return b.restartCount - a.restartCount;
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.name < b.name ? 1 : -1;
}

export interface RolloutCounts {
  /** Pods not being deleted. */
  replicas: number;
  /** ... of the target template. */
  updated: number;
  ready: number;
  available: number;
  updatedAvailable: number;
  /** Pods of other templates not being deleted. */
  old: number;
}

export interface RolloutInput {
  spec: Pick<PodSetSpec, "replicas" | "strategy" | "minReadySeconds">;
  targetHash: string;
  /** The PodSet's pods, including those being deleted. */
  pods: readonly PodRow[];
  /** Revision number of a template hash (older first when stopping old pods); 0 when unknown. */
  revisionOf: (hash: string | null) => number;
  paused: boolean;
  now: number;
}

export interface RolloutDeletion {
  pod: PodRow;
  reason: string;
}

export interface RolloutPlan {
  /** New pods of the target template to create. */
  create: number;
  /** Pods of older templates to create: a paused rollout scaled up keeps its mix (proportional.ts). */
  createOld: { templateHash: string; count: number }[];
  delete: RolloutDeletion[];
  counts: RolloutCounts;
  /** When a Ready pod becomes available (minReadySeconds): the controller looks again then. */
  nextCheckAt: number | null;
}

export function rolloutCounts(input: RolloutInput): RolloutCounts {
  const { pods, targetHash, now } = input;
  const min = input.spec.minReadySeconds;
  const alive = pods.filter((p) => p.deletionAt === null);
  const updated = alive.filter((p) => p.templateHash === targetHash);
  return {
    replicas: alive.length,
    updated: updated.length,
    ready: alive.filter((p) => p.ready && p.phase === "Running").length,
    available: alive.filter((p) => isAvailable(p, min, now)).length,
    updatedAvailable: updated.filter((p) => isAvailable(p, min, now)).length,
    old: alive.length - updated.length,
  };
}

/** The pass's plan for one PodSet: Recreate, RollingUpdate, or (paused) scaling only. */
export function planRollout(input: RolloutInput): RolloutPlan {
  const { spec, pods, targetHash, now } = input;
  const counts = rolloutCounts(input);
  const alive = pods.filter((p) => p.deletionAt === null);
  const isNew = (p: PodRow) => p.templateHash === targetHash;
  const avail = (p: PodRow) => isAvailable(p, spec.minReadySeconds, now);
  const R = spec.replicas;
  const deletions: RolloutDeletion[] = [];
  let create = 0;
  const createOld: RolloutPlan["createOld"] = [];

  let nextCheckAt: number | null = null;
  for (const p of alive) {
    if (p.ready && p.readySince !== null && !avail(p) && p.phase === "Running") {
      const at = p.readySince + spec.minReadySeconds * 1000;
      if (nextCheckAt === null || at < nextCheckAt) nextCheckAt = at;
    }
  }
  const plan = (): RolloutPlan => ({ create, createOld, delete: deletions, counts, nextCheckAt });

  const { surge, unavailable } =
    spec.strategy.type === "Recreate"
      ? { surge: 0, unavailable: R }
      : resolveFenceposts(spec.strategy.maxSurge, spec.strategy.maxUnavailable, R);
  let live = [...alive];
  const drop = (p: PodRow, reason: string) => {
    deletions.push({ pod: p, reason });
    live = live.filter((x) => x !== p);
  };

  if (input.paused && spec.strategy.type !== "Recreate") {
    // Paused: no rollout progress; a scale is shared out over the revisions in proportion.
    const byHash = new Map<string, PodRow[]>([[targetHash, []]]);
    for (const p of alive) {
      const h = p.templateHash ?? "";
      const list = byHash.get(h);
      if (list) list.push(p);
      else byHash.set(h, [p]);
    }
    // Oldest first; the position stands for the revision (unknown hashes count as the oldest).
    const groups = [...byHash.entries()]
      .map(([hash, list]) => ({
        hash,
        list,
        revision: hash === targetHash ? Infinity : input.revisionOf(hash),
      }))
      .sort((a, b) => a.revision - b.revision || (a.hash < b.hash ? -1 : 1));
    const sizes = proportionalSizes({
      groups: groups.map((g, i) => ({
        revision: i + 1,
        size: g.list.length,
        available: g.list.filter(avail).length,
      })),
      newest: groups.findIndex((g) => g.hash === targetHash) + 1,
      replicas: R,
      surge,
      sizeBeforeScale: alive.length,
    });
    groups.forEach((g, i) => {
      const want = sizes.get(i + 1) ?? g.list.length;
      const diff = want - g.list.length;
      if (diff > 0 && g.hash === targetHash) create = diff;
      else if (diff > 0 && g.hash !== "") createOld.push({ templateHash: g.hash, count: diff });
      if (diff >= 0) return;
      // Within a revision, as the ReplicaSet controller does: unavailable pods go first.
      const rank = (p: PodRow) => (avail(p) ? 1 : 0);
      const victims = [...g.list].sort((a, b) => rank(a) - rank(b) || deletionOrder(a, b)).slice(0, -diff);
      for (const p of victims) drop(p, `scaled to ${R} while paused (proportionally)`);
    });
    return plan();
  }

  // A scale-down (or a lost surge): more pods than replicas + maxSurge. Unavailable ones go first,
  // old before new, so availability never drops for it.
  const excess = live.length - (R + surge);
  if (excess > 0) {
    const rank = (p: PodRow) => (avail(p) ? 2 : 0) + (isNew(p) ? 1 : 0);
    const victims = [...live].sort((a, b) => rank(a) - rank(b) || deletionOrder(a, b)).slice(0, excess);
    for (const p of victims) drop(p, `scaled to ${R}`);
  }

  if (input.paused) {
    // Recreate, paused: no rollout progress, only enough pods of the rolled-out template to reach replicas.
    if (live.length < R) create = R - live.length;
    return plan();
  }

  if (spec.strategy.type === "Recreate") {
    for (const p of live.filter((x) => !isNew(x))) drop(p, "recreate: the template changed");
    // The new template starts only once every old pod is gone (terminated, not only asked to).
    if (pods.some((p) => !isNew(p))) return plan();
    const delta = newPodsDelta({ replicas: R, surge: 0, total: live.length, updated: live.length });
    if (delta > 0) create = delta;
    else for (const p of [...live].sort(deletionOrder).slice(0, -delta)) drop(p, `scaled to ${R}`);
    return plan();
  }

  // Old pods, oldest revision first (reconcileOldReplicaSets).
  const oldPods = live.filter((p) => !isNew(p));
  if (oldPods.length > 0) {
    const newPods = live.filter(isNew);
    const maxDown = maxOldScaledDown({
      replicas: R,
      unavailable,
      total: live.length,
      updated: newPods.length,
      updatedAvailable: newPods.filter(avail).length,
    });
    if (maxDown > 0) {
      const byRevision = new Map<number, PodRow[]>();
      for (const p of oldPods) {
        const r = input.revisionOf(p.templateHash);
        const list = byRevision.get(r);
        if (list) list.push(p);
        else byRevision.set(r, [p]);
      }
      const groups = [...byRevision.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([rev, list]) => ({ rev, list: [...list].sort(deletionOrder) }));
      const cleanup = unhealthyCleanup(
        groups.map((g) => ({ count: g.list.length, available: g.list.filter(avail).length })),
        maxDown,
      );
      groups.forEach((g, i) => {
        for (const p of g.list.filter((x) => !avail(x)).slice(0, cleanup[i] ?? 0))
          drop(p, `rolling update: unhealthy pod of revision ${g.rev} replaced`);
      });
      let down = availableScaleDown({ replicas: R, unavailable, available: live.filter(avail).length });
      for (const g of groups) {
        for (const p of g.list) {
          if (down <= 0) break;
          if (!live.includes(p)) continue;
          drop(p, `rolling update: scaled down revision ${g.rev}`);
          down--;
        }
      }
    }
  }

  // New pods (reconcileNewReplicaSet), against the pods left after this pass's stops.
  const newLive = live.filter(isNew);
  const delta = newPodsDelta({ replicas: R, surge, total: live.length, updated: newLive.length });
  if (delta > 0) create = delta;
  else if (delta < 0) {
    for (const p of [...newLive].sort(deletionOrder).slice(0, -delta)) drop(p, `scaled to ${R}`);
  }
  return plan();
}
