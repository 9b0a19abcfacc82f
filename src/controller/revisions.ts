// Revisions of a PodSet, like the revision numbers of a Deployment's ReplicaSets: one per distinct
// pod template, numbered 1, 2, 3... The newest revision is the one being rolled out. A template
// seen before (an undo, or re-applying an old manifest) becomes the newest again under the next
// number. Old revisions without pods beyond revisionHistoryLimit are dropped. Pure: mutations out.
import type { PodSetObject, PodTemplate } from "../manifest/types.ts";
import type { Mutation } from "../store/mutations.ts";
import type { PodRow, RevisionRow } from "../store/rows.ts";

export const CHANGE_CAUSE = "kubernetes.io/change-cause";

/** A revision's stored template, or undefined when the row does not parse (written by hand, torn). */
export function parseTemplate(text: string): PodTemplate | undefined {
  try {
    const t = JSON.parse(text) as PodTemplate;
    return Array.isArray(t?.spec?.containers) && typeof t.metadata === "object" ? t : undefined;
  } catch {
    return undefined;
  }
}

export interface RevisionTarget {
  revision: number;
  templateHash: string;
  template: PodTemplate;
}

export interface RevisionPlan {
  target: RevisionTarget;
  mutations: Mutation[];
  /** True when this pass made a new newest revision (a rollout starts). */
  created: boolean;
}

/**
 * The revision to roll out and the bookkeeping mutations. While paused, a changed template is not
 * rolled out: the newest recorded revision stays the target.
 */
export function planRevisions(a: {
  ps: PodSetObject;
  specHash: string;
  /** This PodSet's revisions. */
  revisions: readonly RevisionRow[];
  /** This PodSet's pods (any state). */
  pods: readonly PodRow[];
  paused: boolean;
  now: number;
}): RevisionPlan {
  const name = a.ps.metadata.name;
  // A revision row that does not parse is left out: the template in the spec is rolled out instead.
  const sorted = [...a.revisions]
    .filter((r) => parseTemplate(r.template) !== undefined)
    .sort((x, y) => x.revision - y.revision);
  const newest = sorted.at(-1);
  const maxRevision = Math.max(0, ...a.revisions.map((r) => r.revision));
  const mutations: Mutation[] = [];
  let target: RevisionTarget;
  let created = false;
  if (newest && (newest.templateHash === a.specHash || a.paused)) {
    target = {
      revision: newest.revision,
      templateHash: newest.templateHash,
      template: parseTemplate(newest.template) ?? a.ps.spec.template,
    };
  } else {
    const revision = maxRevision + 1;
    const prev = sorted.find((r) => r.templateHash === a.specHash);
    mutations.push({
      op: "putRevision",
      podset: name,
      revision,
      templateHash: a.specHash,
      template: JSON.stringify(a.ps.spec.template),
      changeCause: a.ps.metadata.annotations[CHANGE_CAUSE] ?? prev?.changeCause ?? null,
      at: a.now,
    });
    target = { revision, templateHash: a.specHash, template: a.ps.spec.template };
    created = true;
  }

  // History: old revisions that no pod uses any more, newest kept up to the limit.
  const inUse = new Set(a.pods.map((p) => p.templateHash));
  const idle = sorted.filter((r) => r.templateHash !== target.templateHash && !inUse.has(r.templateHash));
  const limit = a.ps.spec.revisionHistoryLimit ?? 10;
  const drop = idle.slice(0, Math.max(0, idle.length - limit));
  for (const r of drop) {
    if (created && r.templateHash === a.specHash) continue; // moved to the new number just now
    mutations.push({ op: "deleteRevision", podset: name, revision: r.revision });
  }
  return { target, mutations, created };
}

/** The revision to go back to: `to`, or else the newest one before the current. */
export function undoTarget(
  revisions: readonly RevisionRow[],
  to: number | undefined,
  opts: { skipFailed?: boolean } = {},
): RevisionRow | undefined {
  const sorted = [...revisions].sort((x, y) => x.revision - y.revision);
  const current = sorted.at(-1);
  if (to !== undefined && to > 0) return sorted.find((r) => r.revision === to && parseTemplate(r.template));
  return sorted
    .filter((r) => r !== current && r.templateHash !== current?.templateHash)
    .filter((r) => (!opts.skipFailed || r.failedAt === null) && parseTemplate(r.template) !== undefined)
    .at(-1);
}

/** The PodSet with an old revision's template: what undo stores, as an apply would. */
export function withTemplate(ps: PodSetObject, rev: RevisionRow): PodSetObject {
  const annotations = { ...ps.metadata.annotations };
  if (rev.changeCause !== null) annotations[CHANGE_CAUSE] = rev.changeCause;
  else delete annotations[CHANGE_CAUSE];
  return {
    ...ps,
    metadata: { ...ps.metadata, annotations },
    spec: { ...ps.spec, template: parseTemplate(rev.template) ?? ps.spec.template },
  };
}
