// Read-side operations over the store: the views, describe, events, read-only SQL.
import { templateHash } from "../controller/pods.ts";
import { checkAutoscaler, checkObject, checkPod, checkPodSet } from "../controller/row-check.ts";
import { InvalidInputError, NotFoundError } from "../lib/errors.ts";
import type { MkObjectBody } from "../manifest/types.ts";
import { podRequests } from "../scheduler/schedule.ts";
import { faultReason, orElse, type RowFault } from "../store/row-decode.ts";
import type { ObjectRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { type AutoscalerView, autoscalerView } from "./autoscaler-views.ts";
import { type ConditionView, type RevisionView, rolloutHistory, rolloutStatus } from "./rollout.ts";
import {
  type EventView,
  eventView,
  type NodeView,
  nodeView,
  type PodSetView,
  type PodView,
  podSetView,
  podView,
} from "./views.ts";

export function listPods(store: Store): PodView[] {
  const statuses = store.containerStatuses();
  return store.listPods().map((p) => podView(p, statuses));
}

export function getPod(store: Store, name: string): PodView {
  const p = store.getPod(name);
  if (!p) throw new NotFoundError("pod", name);
  return podView(p, store.containerStatuses(name));
}

/** Conditions and revisions for describe; nothing when the PodSet's row does not parse. */
function rolloutOfDescribe(store: Store, name: string): Pick<Described, "rollout"> {
  try {
    return {
      rollout: { conditions: rolloutStatus(store, name).conditions, revisions: rolloutHistory(store, name) },
    };
  } catch {
    return {};
  }
}

function rolloutOf(store: Store, name: string) {
  const st = store.getPodSetStatus(name);
  return {
    revision: st?.revision ?? store.listRevisions(name).at(-1)?.revision ?? 0,
    paused: st?.paused ?? false,
    now: store.clock.now(),
  };
}

/** The template hash of a stored PodSet, or "" when its row does not decode. */
function templateHashOf(o: ObjectRow): string {
  const ps = checkPodSet(o);
  return ps.ok ? templateHash(ps.value) : "";
}

export function listPodSets(store: Store): PodSetView[] {
  const pods = store.listPods();
  return store
    .listObjects("PodSet")
    .map((o) => podSetView(o, pods, templateHashOf(o), rolloutOf(store, o.name)));
}

export function getPodSet(store: Store, name: string): PodSetView {
  const o = store.getObject("PodSet", name);
  if (!o) throw new NotFoundError("podset", name);
  return podSetView(
    o,
    store.listPods({ ownerKind: "PodSet", ownerName: name }),
    templateHashOf(o),
    rolloutOf(store, name),
  );
}

export function listNodes(store: Store): NodeView[] {
  const pods = store.listPods();
  return store.listNodes().map((n) => nodeView(n, pods, podRequests));
}

export function getNode(store: Store, name: string): NodeView {
  const n = store.getNode(name);
  if (!n) throw new NotFoundError("node", name);
  return nodeView(n, store.listPods({ node: name }), podRequests);
}

/** The autoscaler's target PodSet: its replicas, and the kind it was applied as (kubectl's REFERENCE). */
function targetOf(store: Store, o: ObjectRow): { replicas: number; kind: string } | undefined {
  const hpa = checkAutoscaler(o);
  const row = hpa.ok ? store.getObject("PodSet", hpa.value.spec.target.name) : undefined;
  const ps = row ? checkPodSet(row) : undefined;
  if (!row || !ps?.ok) return undefined;
  return { replicas: ps.value.spec.replicas, kind: row.apiVersion === "apps/v1" ? "Deployment" : "PodSet" };
}

export function listAutoscalers(store: Store): AutoscalerView[] {
  const statuses = new Map(store.listAutoscalerStatus().map((s) => [s.name, s]));
  return store
    .listObjects("Autoscaler")
    .map((o) => autoscalerView(o, statuses.get(o.name), targetOf(store, o)));
}

export function getAutoscaler(store: Store, name: string): AutoscalerView {
  const o = store.getObject("Autoscaler", name);
  if (!o) throw new NotFoundError("autoscaler", name);
  return autoscalerView(o, store.getAutoscalerStatus(name), targetOf(store, o));
}

export function listEvents(
  store: Store,
  opts: { kind?: string; name?: string; limit?: number } = {},
): EventView[] {
  return store
    .listEvents({
      ...(opts.kind ? { objectKind: opts.kind } : {}),
      ...(opts.name ? { objectName: opts.name } : {}),
      limit: opts.limit ?? 200,
    })
    .map(eventView);
}

export interface Described {
  kind: string;
  name: string;
  /** The apiVersion the object was applied with (apps/v1 for a Deployment); null for a PodSet's pod. */
  apiVersion?: string | null;
  object: MkObjectBody | null;
  status: PodView | PodSetView | NodeView | AutoscalerView;
  /** PodSets: rollout conditions and revisions. */
  rollout?: { conditions: ConditionView[]; revisions: RevisionView[] };
  events: EventView[];
  /** Set when a stored row of the object does not decode: what is wrong (column and field). */
  invalidRow?: string;
}

export function describe(store: Store, kind: string, name: string): Described {
  const events = listEvents(store, { kind, name, limit: 20 });
  const obj = store.getObject(kind, name);
  // A row that does not decode is described as far as it can be, its fault named (never a 500).
  const faults: string[] = [];
  const note = (f: RowFault) => faults.push(faultReason(f));
  const object = obj ? orElse(checkObject(obj), null, note) : null;
  const invalid = (status: { invalidRow?: string }) => {
    const all = [...new Set([...faults, ...(status.invalidRow ? [status.invalidRow] : [])])];
    return all.length ? { invalidRow: all.join("; ") } : {};
  };
  switch (kind) {
    case "Pod": {
      const status = getPod(store, name);
      const row = store.getPod(name);
      const checked = row && !obj ? checkPod(row) : undefined;
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object:
          object ??
          (checked?.ok
            ? ({
                kind: "Pod",
                metadata: { name, labels: checked.value.labels, annotations: checked.value.annotations },
                spec: checked.value.spec,
              } as MkObjectBody)
            : null),
        status,
        events,
        ...invalid(status),
      };
    }
    case "PodSet": {
      const status = getPodSet(store, name);
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object,
        status,
        ...rolloutOfDescribe(store, name),
        events,
        ...invalid(status),
      };
    }
    case "Node": {
      const status = getNode(store, name);
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object,
        status,
        events,
        ...invalid(status),
      };
    }
    case "Autoscaler": {
      const status = getAutoscaler(store, name);
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object,
        status,
        events,
        ...invalid(status),
      };
    }
    default:
      throw new InvalidInputError(`Cannot describe ${kind}: expected pod, podset, node or autoscaler`);
  }
}

// mk sql lives in sql.ts (the query child process loads only that); re-exported for callers here.
export { runSql, type SqlResult, SqlRowLimitError, writingPragma } from "./sql.ts";
