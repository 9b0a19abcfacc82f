// Proportional scaling of a paused rolling update, after Kubernetes' deployment controller
// (pkg/controller/deployment/sync.go `scale`, util/deployment_util.go `GetProportion`): a PodSet
// paused with pods of several revisions that is scaled keeps the mix. The extra (or missing) pods
// are shared out in proportion to each revision's size, bounded by replicas + maxSurge, and what
// rounding leaves over goes to the largest revision. Pure.
//
// Kubernetes keeps each ReplicaSet's "replicas + maxSurge when last scaled" in the annotation
// deployment.kubernetes.io/max-replicas and falls back to the Deployment's status.replicas when it
// is missing. mk has no ReplicaSet objects: a revision's size is its pods that are not being
// deleted, and the fallback (the pod count before this scale) is what the controller passes.

/** The pods of one revision: Kubernetes' ReplicaSet, as far as scaling goes. */
export interface ScaleGroup {
  /** The revision number: a higher one is newer (Kubernetes sorts by creation time). */
  revision: number;
  /** Pods of this revision not being deleted (rs.spec.replicas). */
  size: number;
  /** Pods of this revision that are available (for the saturation check of the newest). */
  available: number;
  /** replicas + maxSurge when this revision was last scaled; absent: `sizeBeforeScale`. */
  maxReplicasBeforeScale?: number;
}

export interface ProportionalInput {
  /** Every revision with pods, and the target (newest) one even when it has none. */
  groups: readonly ScaleGroup[];
  /** The revision being rolled out (Kubernetes' new ReplicaSet); absent when it has no group. */
  newest?: number;
  replicas: number;
  /** maxSurge resolved against `replicas`. */
  surge: number;
  /** The PodSet's pod count before this scale (Kubernetes' fallback: deployment.status.replicas). */
  sizeBeforeScale: number;
}

/** The size each revision should have, by revision number (those not listed keep theirs). */
export function proportionalSizes(input: ProportionalInput): Map<number, number> {
  const { groups, replicas, surge } = input;
  const out = new Map<number, number>();
  const active = groups.filter((g) => g.size > 0);
  const newest = groups.find((g) => g.revision === input.newest);

  // One revision with pods (or none: the newest) takes the whole count, with no surge.
  const activeOrLatest =
    active.length === 1 ? active[0] : active.length === 0 ? (newest ?? latest(groups)) : undefined;
  if (activeOrLatest) {
    out.set(activeOrLatest.revision, replicas);
    return out;
  }
  // The newest revision is complete and available: the old ones go entirely.
  if (newest && newest.size === replicas && newest.available === replicas) {
    for (const g of active) if (g !== newest) out.set(g.revision, 0);
    return out;
  }

  const total = active.reduce((n, g) => n + g.size, 0);
  const allowed = replicas > 0 ? replicas + surge : 0;
  const toAdd = allowed - total;
  if (toAdd === 0) return out;
  // Largest first; equal sizes: the newer first when growing, the older first when shrinking.
  const sorted = [...active].sort(
    (a, b) => b.size - a.size || (toAdd > 0 ? b.revision - a.revision : a.revision - b.revision),
  );
  let added = 0;
  for (const g of sorted) {
    const p = proportion(g, { replicas, surge, sizeBeforeScale: input.sizeBeforeScale }, toAdd, added);
    out.set(g.revision, g.size + p);
    added += p;
  }
  const first = sorted[0];
  if (first) out.set(first.revision, Math.max(0, (out.get(first.revision) ?? 0) + toAdd - added));
  return out;
}

function latest(groups: readonly ScaleGroup[]): ScaleGroup | undefined {
  return [...groups].sort((a, b) => b.revision - a.revision)[0];
}

/** GetProportion: this revision's share of `toAdd`, never past what is still to be added. */
export function proportion(
  g: Pick<ScaleGroup, "size" | "maxReplicasBeforeScale">,
  d: { replicas: number; surge: number; sizeBeforeScale: number },
  toAdd: number,
  added: number,
): number {
  if (g.size === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = shareOf(g, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** getReplicaSetFraction: size x (replicas + surge) / (its max before the scale), rounded, minus size. */
function shareOf(
  g: Pick<ScaleGroup, "size" | "maxReplicasBeforeScale">,
  d: { replicas: number; surge: number; sizeBeforeScale: number },
): number {
  if (d.replicas === 0) return -g.size;
  const before =
    g.maxReplicasBeforeScale !== undefined && g.maxReplicasBeforeScale > 0
      ? g.maxReplicasBeforeScale
      : d.sizeBeforeScale;
  if (before <= 0) return 0;
  // Go's math.Round rounds halves away from zero; the value is never negative here.
  return Math.round((g.size * (d.replicas + d.surge)) / before) - g.size;
}
