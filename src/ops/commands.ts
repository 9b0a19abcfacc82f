// Write-side operations besides apply: delete, scale, and node management. Each builds mutations
// and commits them in one transaction.
import { randomUUID } from "node:crypto";
import { checkPodSet } from "../controller/row-check.ts";
import { InvalidInputError, NotFoundError } from "../lib/errors.ts";
import type { NodeObject, PodSetObject, Taint } from "../manifest/types.ts";
import { parseDockerUrl } from "../node/docker-url.ts";
import type { Mutation } from "../store/mutations.ts";
import { orThrow } from "../store/row-decode.ts";
import type { ObjectRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { objectHash } from "./apply.ts";

export interface ObjectRef {
  kind: string;
  name: string;
}

export interface DeleteOptions {
  /** Overrides the pods' terminationGracePeriodSeconds (`mk delete --grace-period N`). */
  graceSeconds?: number;
  /** Removes the pods from the state at once; their node agents remove the containers as orphans. */
  force?: boolean;
}

export interface DeleteResult extends ObjectRef {
  action: "deleted" | "not-found";
  /** The apiVersion the object was applied with (apps/v1 for a Deployment), when it had one. */
  apiVersion?: string;
}

/** Stops a pod: with the grace period asked for, or at once from the state (force). */
function podDeletion(name: string, now: number, opts: DeleteOptions): Mutation {
  if (opts.force) return { op: "deletePod", name };
  return {
    op: "requestPodDeletion",
    name,
    at: now,
    reason: "deleted by the user",
    ...(opts.graceSeconds !== undefined ? { graceSeconds: opts.graceSeconds } : {}),
  };
}

export function deleteObjects(
  store: Store,
  refs: readonly ObjectRef[],
  opts: DeleteOptions = {},
): DeleteResult[] {
  if (opts.graceSeconds !== undefined && (!Number.isInteger(opts.graceSeconds) || opts.graceSeconds < 0))
    throw new InvalidInputError(
      `Cannot delete: gracePeriodSeconds must be an integer >= 0, got ${opts.graceSeconds}`,
    );
  return store.transaction(() => {
    const now = store.clock.now();
    const muts: Mutation[] = [];
    const results: DeleteResult[] = refs.map((r) => {
      const obj = store.getObject(r.kind, r.name);
      const apiVersion = obj ? { apiVersion: obj.apiVersion } : {};
      if (r.kind === "Pod") {
        // A PodSet's pod: deleting it makes the PodSet create a replacement.
        const pod = store.getPod(r.name);
        if (!pod && !obj) return { ...r, action: "not-found" };
        if (obj) muts.push({ op: "deleteObject", kind: r.kind, name: r.name });
        if (pod) muts.push(podDeletion(r.name, now, opts));
        return { ...r, ...apiVersion, action: "deleted" };
      }
      if (r.kind === "Node") {
        const node = store.getNode(r.name);
        if (!node && !obj) return { ...r, action: "not-found" };
        muts.push(...removeNodeMutations(store, r.name, now));
        return { ...r, action: "deleted" };
      }
      if (!obj) return { ...r, action: "not-found" };
      muts.push({ op: "deleteObject", kind: r.kind, name: r.name });
      // The controller would stop the PodSet's pods with their own grace; an override or force
      // has to reach them now.
      if (r.kind === "PodSet" && (opts.force || opts.graceSeconds !== undefined)) {
        for (const p of store.listPods({ ownerKind: "PodSet", ownerName: r.name }))
          muts.push(podDeletion(p.name, now, opts));
      }
      return { ...r, ...apiVersion, action: "deleted" };
    });
    store.commit(muts);
    return results;
  });
}

function removeNodeMutations(store: Store, name: string, now: number): Mutation[] {
  const muts: Mutation[] = [
    { op: "deleteObject", kind: "Node", name },
    { op: "deleteNode", name },
  ];
  for (const p of store.listPods({ node: name })) {
    // The node is gone from mk: its pods are placed again elsewhere (PodSets replace theirs).
    if (p.ownerKind === "PodSet") muts.push({ op: "deletePod", name: p.name });
    else
      muts.push({ op: "unbindPod", name: p.name, reason: `node ${name} was removed`, newUid: randomUUID() });
  }
  muts.push({
    op: "recordEvent",
    type: "Normal",
    reason: "Removed",
    objectKind: "Node",
    objectName: name,
    node: name,
    message: `Node ${name} removed`,
    at: now,
  });
  return muts;
}

/**
 * A PodSet row with new replicas: the one write `mk scale` and the autoscaler both make. A row that
 * does not decode throws InvalidRowError (nothing is written).
 */
export function replicasMutation(row: ObjectRow, replicas: number, now: number): Mutation {
  const body = orThrow(checkPodSet(row));
  const next: PodSetObject = { ...body, spec: { ...body.spec, replicas } };
  return {
    op: "putObject",
    kind: "PodSet",
    name: row.name,
    apiVersion: row.apiVersion,
    spec: JSON.stringify(next),
    specHash: objectHash(next),
    sourceFile: row.sourceFile,
    at: now,
  };
}

export function scalePodSet(
  store: Store,
  name: string,
  replicas: number,
): { kind: string; name: string; replicas: number; previous: number } {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 1000) {
    throw new InvalidInputError(
      `Cannot scale podset/${name}: replicas must be an integer 0..1000, got ${replicas}`,
    );
  }
  return store.transaction(() => {
    const row = store.getObject("PodSet", name);
    if (!row) throw new NotFoundError("podset", name);
    const now = store.clock.now();
    const mutation = replicasMutation(row, replicas, now);
    const previous = orThrow(checkPodSet(row)).spec.replicas;
    store.commit([
      mutation,
      {
        op: "recordEvent",
        type: "Normal",
        reason: "Scaled",
        objectKind: "PodSet",
        objectName: name,
        node: null,
        message: `Scaled from ${previous} to ${replicas} replicas`,
        at: now,
      },
    ]);
    return { kind: "PodSet", name, replicas, previous };
  });
}

export interface NodeAddOptions {
  name: string;
  docker: string;
  identityFile?: string;
  socketPath?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
}

export function addNode(
  store: Store,
  opts: NodeAddOptions,
): { name: string; action: "created" | "configured" } {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(opts.name)) {
    throw new InvalidInputError(`Cannot add node "${opts.name}": the name must be a DNS-1123 label`);
  }
  parseDockerUrl(opts.docker);
  const node: NodeObject = {
    kind: "Node",
    metadata: { name: opts.name, labels: opts.labels ?? {}, annotations: {} },
    spec: {
      docker: opts.docker,
      ...(opts.identityFile ? { identityFile: opts.identityFile } : {}),
      ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
      taints: opts.taints ?? [],
      unschedulable: false,
    },
  };
  return store.transaction(() => {
    const existed = store.getNode(opts.name) !== undefined;
    const now = store.clock.now();
    store.commit([
      {
        op: "putObject",
        kind: "Node",
        name: opts.name,
        apiVersion: "mk/v1",
        spec: JSON.stringify(node),
        specHash: objectHash(node),
        sourceFile: null,
        at: now,
      },
      {
        op: "upsertNode",
        name: opts.name,
        docker: opts.docker,
        identityFile: opts.identityFile ?? null,
        socketPath: opts.socketPath ?? null,
        labels: JSON.stringify(node.metadata.labels),
        taints: JSON.stringify(node.spec.taints),
        unschedulable: false,
        at: now,
      },
    ]);
    return { name: opts.name, action: existed ? "configured" : "created" };
  });
}

export function removeNode(store: Store, name: string): { name: string } {
  store.transaction(() => {
    if (!store.getNode(name)) throw new NotFoundError("node", name);
    store.commit(removeNodeMutations(store, name, store.clock.now()));
  });
  return { name };
}

export function cordonNode(
  store: Store,
  name: string,
  unschedulable: boolean,
): { name: string; unschedulable: boolean } {
  store.transaction(() => {
    if (!store.getNode(name)) throw new NotFoundError("node", name);
    const now = store.clock.now();
    store.commit([
      { op: "setNodeUnschedulable", name, unschedulable },
      {
        op: "recordEvent",
        type: "Normal",
        reason: unschedulable ? "Cordoned" : "Uncordoned",
        objectKind: "Node",
        objectName: name,
        node: name,
        message: `Node ${name} ${unschedulable ? "cordoned" : "uncordoned"}`,
        at: now,
      },
    ]);
  });
  return { name, unschedulable };
}

/** Cordons the node and deletes its pods; their owners place them again on other nodes. */
export function drainNode(store: Store, name: string): { name: string; evicted: string[] } {
  return store.transaction(() => {
    if (!store.getNode(name)) throw new NotFoundError("node", name);
    const now = store.clock.now();
    const pods = store.listPods({ node: name }).filter((p) => p.deletionAt === null);
    store.commit([
      { op: "setNodeUnschedulable", name, unschedulable: true },
      ...pods.map(
        (p): Mutation => ({
          op: "requestPodDeletion",
          name: p.name,
          at: now,
          reason: `node ${name} is being drained`,
        }),
      ),
      {
        op: "recordEvent",
        type: "Normal",
        reason: "Drained",
        objectKind: "Node",
        objectName: name,
        node: name,
        message: `Node ${name} drained: ${pods.length} pod(s) evicted`,
        at: now,
      },
    ]);
    return { name, evicted: pods.map((p) => p.name) };
  });
}
