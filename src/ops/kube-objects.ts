// Kubernetes-shaped objects for `mk get -o yaml|json` and the API's /api/v1/objects routes:
// apiVersion and kind as the user applied them (a PodSet applied as a Deployment is an apps/v1
// Deployment), metadata with the server-set fields, spec as a manifest writes it, and status: the
// flat view of ops/views.ts (the records `/api/v1/pods` returns), unchanged, so scripts that read
// `.phase` read `.status.phase`. Printed objects apply back as `unchanged` (apply ignores status
// and the server-set metadata; see liveBody()).
import { createHash } from "node:crypto";
import { checkNode, checkObject, checkPod } from "../controller/row-check.ts";
import { errorMessage, NotFoundError } from "../lib/errors.ts";
import { documentKind, specDoc } from "../manifest/denormalize.ts";
import type { Labels, MkObjectBody, NodeObject, PodObject } from "../manifest/types.ts";
import { faultReason, InvalidRowError, orElse, orThrow } from "../store/row-decode.ts";
import type { NodeRow, ObjectRow, PodRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { podKubeStatus, podSetKubeStatus } from "./kube-status.ts";
import {
  getAutoscaler,
  getNode,
  getPod,
  getPodSet,
  listAutoscalers,
  listEvents,
  listNodes,
  listPodSets,
  listPods,
} from "./queries.ts";
import { rolloutStatus } from "./rollout.ts";
import type { EventView, PodSetView, PodView } from "./views.ts";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
}

export interface KubeMetadata {
  name: string;
  namespace: "default";
  uid: string;
  creationTimestamp: string | null;
  generation?: number;
  labels: Labels;
  annotations: Labels;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  spec?: Record<string, unknown>;
  status?: unknown;
  [field: string]: unknown;
}

export interface KubeList {
  apiVersion: "v1";
  kind: "List";
  metadata: { resourceVersion: "" };
  items: KubeObject[];
}

export function kubeList(items: KubeObject[]): KubeList {
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items };
}

/** The kinds /api/v1/objects serves, by the words its URL takes. */
export const OBJECT_KINDS: Record<string, string> = {
  pods: "Pod",
  podsets: "PodSet",
  nodes: "Node",
  events: "Event",
  autoscalers: "Autoscaler",
};

const iso = (t: number | null | undefined) => (t == null ? null : new Date(t).toISOString());

/** A stable UUID-shaped id for objects that have no uid column (PodSets, nodes, autoscalers). */
export function derivedUid(cluster: string, kind: string, name: string, createdAt: number): string {
  const h = createHash("sha256").update(`${cluster}/${kind}/${name}/${createdAt}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A pod's object as a manifest would give it: from the Pod object, else from its row. */
export function podBody(row: PodRow): PodObject {
  // A row that does not parse shows as a pod without containers (its status says InvalidRow).
  const c = checkPod(row);
  return {
    kind: "Pod",
    metadata: {
      name: row.name,
      labels: c.ok ? c.value.labels : {},
      annotations: c.ok ? c.value.annotations : {},
    },
    spec: c.ok
      ? c.value.spec
      : {
          containers: [],
          restartPolicy: "Always",
          nodeSelector: {},
          tolerations: [],
          terminationGracePeriodSeconds: 30,
        },
  };
}

/** A node's object as it is now: labels, taints and cordon state from its row (cordon changes them). */
export function nodeBody(row: NodeRow, obj: ObjectRow | undefined): NodeObject {
  const applied = obj ? orElse(checkObject(obj), undefined) : undefined;
  const decoded = orThrow(checkNode(row));
  return {
    kind: "Node",
    metadata: {
      name: row.name,
      labels: decoded.labels,
      annotations: applied?.metadata.annotations ?? {},
    },
    spec: {
      docker: row.docker,
      ...(row.identityFile ? { identityFile: row.identityFile } : {}),
      ...(row.socketPath ? { socketPath: row.socketPath } : {}),
      taints: decoded.taints,
      unschedulable: row.unschedulable,
    },
  };
}

/**
 * What an applied object is compared with when it has no object row of its own, or when its rows
 * say more than the object: a PodSet's pod (from its row) and a node (from its row). Undefined
 * when the object row alone decides.
 */
export function liveBody(store: Store, kind: string, name: string): MkObjectBody | undefined {
  if (kind === "Pod") {
    const row = store.getPod(name);
    return row && row.ownerKind !== "Pod" ? podBody(row) : undefined;
  }
  if (kind === "Node") {
    // A node row that does not decode matches nothing: applying the node replaces (repairs) it.
    const row = store.getNode(name);
    return row && checkNode(row).ok ? nodeBody(row, store.getObject("Node", name)) : undefined;
  }
  return undefined;
}

function meta(
  name: string,
  uid: string,
  createdAt: number | null,
  body: { labels: Labels; annotations: Labels },
  generation?: number,
): KubeMetadata {
  return {
    name,
    namespace: "default",
    uid,
    creationTimestamp: iso(createdAt),
    ...(generation !== undefined ? { generation } : {}),
    labels: body.labels,
    annotations: body.annotations,
  };
}

/**
 * A row damaged behind mk's back (JSON that does not parse) is listed with status reason
 * InvalidRow and the error, never allowed to fail the whole listing.
 */
function orInvalid(kind: string, name: string, build: () => KubeObject): KubeObject {
  try {
    return build();
  } catch (err) {
    const message = err instanceof InvalidRowError ? faultReason(err.fault) : errorMessage(err);
    return {
      apiVersion: "mk/v1",
      kind,
      metadata: { name, namespace: "default" } as KubeMetadata,
      status: {
        reason: "InvalidRow",
        message: `the stored row does not decode: ${message}`,
        invalidRow: message,
      },
    };
  }
}

function podObject(store: Store, row: PodRow): KubeObject {
  return orInvalid("Pod", row.name, () => podObjectOf(store, row));
}

/** The flat view with Kubernetes' own status fields added (kube-status.ts). */
function podStatus(view: PodView | undefined): unknown {
  return view && !view.invalidRow ? { ...view, ...podKubeStatus(view) } : view;
}

function podSetStatus(store: Store, view: PodSetView | undefined): unknown {
  if (!view || view.invalidRow) return view;
  try {
    return { ...view, ...podSetKubeStatus(rolloutStatus(store, view.name)) };
  } catch {
    return view; // a row that does not decode: the flat view says so
  }
}

function podObjectOf(store: Store, row: PodRow): KubeObject {
  const status = podStatus(getPod(store, row.name));
  if (row.ownerKind === "Pod") {
    const obj = store.getObject("Pod", row.name);
    const body = obj ? (orThrow(checkObject(obj)) as PodObject) : podBody(row);
    const apiVersion = obj?.apiVersion ?? "v1";
    return {
      apiVersion,
      kind: "Pod",
      metadata: meta(row.name, row.uid, row.createdAt, body.metadata, obj?.generation),
      spec: specDoc(body, apiVersion),
      status,
    };
  }
  const owner = store.getObject(row.ownerKind, row.ownerName);
  const ownerApi = owner?.apiVersion ?? "mk/v1";
  const apiVersion = ownerApi === "apps/v1" ? "v1" : ownerApi;
  const body = podBody(row);
  return {
    apiVersion,
    kind: "Pod",
    metadata: {
      ...meta(row.name, row.uid, row.createdAt, body.metadata),
      ownerReferences: [
        {
          apiVersion: ownerApi,
          kind: documentKind(row.ownerKind, ownerApi),
          name: row.ownerName,
          uid: owner ? derivedUid(store.clusterId(), owner.kind, owner.name, owner.createdAt) : "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: specDoc(body, apiVersion),
    status,
  };
}

function objectRowObject(store: Store, o: ObjectRow, status: unknown): KubeObject {
  return orInvalid(o.kind, o.name, () => objectRowObjectOf(store, o, status));
}

function objectRowObjectOf(store: Store, o: ObjectRow, status: unknown): KubeObject {
  const body = orThrow(checkObject(o));
  return {
    apiVersion: o.apiVersion,
    kind: documentKind(o.kind, o.apiVersion),
    metadata: meta(
      o.name,
      derivedUid(store.clusterId(), o.kind, o.name, o.createdAt),
      o.createdAt,
      body.metadata,
      o.generation,
    ),
    spec: specDoc(body, o.apiVersion),
    status,
  };
}

function nodeObject(store: Store, row: NodeRow, status: unknown = getNode(store, row.name)): KubeObject {
  return orInvalid("Node", row.name, () => nodeObjectOf(store, row, status));
}

function nodeObjectOf(store: Store, row: NodeRow, status: unknown): KubeObject {
  const obj = store.getObject("Node", row.name);
  const body = nodeBody(row, obj);
  return {
    apiVersion: "mk/v1",
    kind: "Node",
    metadata: meta(
      row.name,
      derivedUid(store.clusterId(), "Node", row.name, row.createdAt),
      row.createdAt,
      body.metadata,
      obj?.generation,
    ),
    spec: specDoc(body, "mk/v1"),
    status,
  };
}

function eventObject(e: EventView): KubeObject {
  const [kind = "", ...rest] = e.object.split("/");
  const name = rest.join("/");
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: {
      name: `${name}.${e.id}`,
      namespace: "default",
      uid: "",
      creationTimestamp: e.firstSeen,
      labels: {},
      annotations: {},
    },
    involvedObject: { kind: kind.charAt(0).toUpperCase() + kind.slice(1), name },
    type: e.type,
    reason: e.reason,
    message: e.message,
    count: e.count,
    firstTimestamp: e.firstSeen,
    lastTimestamp: e.lastSeen,
    source: { host: e.node },
    status: e,
  };
}

/**
 * Kubernetes-shaped objects of one kind ("Pod", "PodSet", "Node", "Event", "Autoscaler"): all of
 * them, or the one named (NotFoundError when there is none).
 */
export function kubeObjects(store: Store, kind: string, name?: string): KubeObject[] {
  const missing = (what: string): never => {
    throw new NotFoundError(what, name ?? "");
  };
  switch (kind) {
    case "Pod": {
      const rows = name === undefined ? store.listPods() : [store.getPod(name) ?? missing("pod")];
      if (name === undefined) {
        // One read of the views for the whole list, not one per pod.
        const views = new Map(listPods(store).map((v) => [v.name, v]));
        return rows.map((r) => ({ ...podObject(store, r), status: podStatus(views.get(r.name)) }));
      }
      return rows.map((r) => podObject(store, r));
    }
    case "PodSet": {
      if (name !== undefined) {
        const o = store.getObject("PodSet", name) ?? missing("podset");
        return [objectRowObject(store, o, podSetStatus(store, getPodSet(store, name)))];
      }
      const views = new Map(listPodSets(store).map((v) => [v.name, v]));
      return store
        .listObjects("PodSet")
        .map((o) => objectRowObject(store, o, podSetStatus(store, views.get(o.name))));
    }
    case "Node": {
      if (name !== undefined) return [nodeObject(store, store.getNode(name) ?? missing("node"))];
      const views = new Map(listNodes(store).map((v) => [v.name, v]));
      return store.listNodes().map((n) => nodeObject(store, n, views.get(n.name)));
    }
    case "Autoscaler": {
      // status: the controller's last decision (AutoscalerView), as `get hpa` prints it.
      if (name !== undefined) {
        const o = store.getObject("Autoscaler", name) ?? missing("autoscaler");
        return [objectRowObject(store, o, getAutoscaler(store, name))];
      }
      const views = new Map(listAutoscalers(store).map((v) => [v.name, v]));
      return store.listObjects("Autoscaler").map((o) => objectRowObject(store, o, views.get(o.name)));
    }
    case "Event": {
      const events = listEvents(store, { limit: 500 }).map(eventObject);
      if (name === undefined) return events;
      return [events.find((e) => e.metadata.name === name) ?? missing("event")];
    }
    default:
      throw new NotFoundError("kind", kind);
  }
}
