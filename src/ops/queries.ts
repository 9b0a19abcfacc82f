// Read-side operations over the store: the views, describe, events, read-only SQL.
import { templateHash } from "../controller/pods.ts";
import { InvalidInputError, NotFoundError } from "../lib/errors.ts";
import type { MkObjectBody, PodSetObject } from "../manifest/types.ts";
import { podRequests } from "../scheduler/schedule.ts";
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

/** The template hash of a stored PodSet, or "" when its row does not parse. */
function templateHashOf(spec: string): string {
  try {
    return templateHash(JSON.parse(spec) as PodSetObject);
  } catch {
    return "";
  }
}

export function listPodSets(store: Store): PodSetView[] {
  const pods = store.listPods();
  return store
    .listObjects("PodSet")
    .map((o) => podSetView(o, pods, templateHashOf(o.spec), rolloutOf(store, o.name)));
}

export function getPodSet(store: Store, name: string): PodSetView {
  const o = store.getObject("PodSet", name);
  if (!o) throw new NotFoundError("podset", name);
  return podSetView(
    o,
    store.listPods({ ownerKind: "PodSet", ownerName: name }),
    templateHashOf(o.spec),
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
function targetOf(store: Store, o: { spec: string }): { replicas: number; kind: string } | undefined {
  const target = (JSON.parse(o.spec) as { spec: { target: { name: string } } }).spec.target.name;
  const row = store.getObject("PodSet", target);
  if (!row) return undefined;
  const replicas = (JSON.parse(row.spec) as PodSetObject).spec.replicas;
  return { replicas, kind: row.apiVersion === "apps/v1" ? "Deployment" : "PodSet" };
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
}

export function describe(store: Store, kind: string, name: string): Described {
  const events = listEvents(store, { kind, name, limit: 20 });
  const obj = store.getObject(kind, name);
  const object = obj ? (JSON.parse(obj.spec) as MkObjectBody) : null;
  switch (kind) {
    case "Pod": {
      const status = getPod(store, name);
      const row = store.getPod(name);
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object:
          object ??
          (row
            ? ({
                kind: "Pod",
                metadata: { name, labels: JSON.parse(row.labels), annotations: JSON.parse(row.annotations) },
                spec: JSON.parse(row.spec),
              } as MkObjectBody)
            : null),
        status,
        events,
      };
    }
    case "PodSet":
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object,
        status: getPodSet(store, name),
        ...rolloutOfDescribe(store, name),
        events,
      };
    case "Node":
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object,
        status: getNode(store, name),
        events,
      };
    case "Autoscaler":
      return {
        kind,
        name,
        apiVersion: obj?.apiVersion ?? null,
        object,
        status: getAutoscaler(store, name),
        events,
      };
    default:
      throw new InvalidInputError(`Cannot describe ${kind}: expected pod, podset, node or autoscaler`);
  }
}

// mk sql lives in sql.ts (the query child process loads only that); re-exported for callers here.
export { runSql, type SqlResult, SqlRowLimitError, writingPragma } from "./sql.ts";
