// apply and diff: compare parsed objects with the desired state and write the difference in one
// transaction. Objects are stored normalized (defaults filled), so re-applying the same files
// changes nothing: same hash, same generation.
import { planPods } from "../controller/pods.ts";
import { readPodsInput } from "../controller/pods-input.ts";
import { checkObject, checkPodSet } from "../controller/row-check.ts";
import { InvalidInputError } from "../lib/errors.ts";
import type { MkObject, MkObjectBody } from "../manifest/types.ts";
import { objectHash, stableJson } from "../reconcile/spec-hash.ts";
import type { Mutation } from "../store/mutations.ts";
import type { ObjectRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { liveBody } from "./kube-objects.ts";

export type ApplyAction = "created" | "configured" | "unchanged";

export interface ApplyResult {
  kind: string;
  name: string;
  action: ApplyAction;
  generation: number;
  /** The apiVersion of the document applied (apps/v1 for a Deployment, which is stored as a PodSet). */
  apiVersion: string;
}

export interface DiffResult extends ApplyResult {
  /** Unified-style lines: "- old", "+ new" per changed field path. */
  changes: string[];
}

export function objectBody(o: MkObject | MkObjectBody): MkObjectBody {
  return { kind: o.kind, metadata: o.metadata, spec: o.spec } as MkObjectBody;
}

/**
 * The body apply stores: a PodSet whose manifest leaves `replicas` out keeps the live count (set
 * by `mk scale` or an autoscaler), as `kubectl apply` leaves a field alone that neither the last
 * applied manifest nor the new one sets. A manifest that states replicas resets it.
 */
export function appliedBody(o: MkObject, prev: ObjectRow | undefined): MkObjectBody {
  const body = objectBody(o);
  if (body.kind !== "PodSet" || o.kind !== "PodSet" || !o.replicasOmitted || !prev) return body;
  // A stored row that does not decode has no live count to keep: applying replaces (repairs) it.
  const stored = checkPodSet(prev);
  if (!stored.ok) return body;
  return { ...body, spec: { ...body.spec, replicas: stored.value.spec.replicas } };
}

export { objectHash };

/** The mutations an apply makes, and what it says about each object. Pure over a store read. */
export function planApply(
  store: Store,
  objects: readonly MkObject[],
  now: number,
): { results: ApplyResult[]; mutations: Mutation[] } {
  const results: ApplyResult[] = [];
  const mutations: Mutation[] = [];
  for (const o of objects) {
    const prev = store.getObject(o.kind, o.metadata.name);
    const body = appliedBody(o, prev);
    const hash = objectHash(body);
    // A PodSet's pod or a node as `mk get -o yaml` printed it: nothing to do when it is unchanged.
    const live = liveBody(store, o.kind, o.metadata.name);
    if (live && objectHash(live) === hash) {
      results.push({
        kind: o.kind,
        name: o.metadata.name,
        action: "unchanged",
        generation: prev?.generation ?? 1,
        apiVersion: o.source.apiVersion,
      });
      continue;
    }
    if (o.kind === "Pod") {
      const pod = store.getPod(o.metadata.name);
      if (pod && pod.ownerKind !== "Pod") {
        throw new InvalidInputError(
          `Cannot apply pod/${o.metadata.name} (${o.source.file}:${o.source.line}): a pod of ${pod.ownerKind.toLowerCase()}/${pod.ownerName} has that name`,
        );
      }
    }
    // A stored row that does not decode is never "unchanged" (its spec_hash may still match what
    // was applied before the damage): applying writes it again, which repairs it.
    const damaged = prev !== undefined && !checkObject(prev).ok;
    const same = prev !== undefined && prev.specHash === hash && !damaged;
    const action: ApplyAction = !prev ? "created" : same ? "unchanged" : "configured";
    results.push({
      kind: o.kind,
      name: o.metadata.name,
      action,
      generation: !prev ? 1 : action === "configured" ? prev.generation + 1 : prev.generation,
      apiVersion: o.source.apiVersion,
    });
    // spec.paused, when given, sets the rollout's paused state (even on an unchanged object).
    if (o.kind === "PodSet" && o.spec.paused !== undefined) {
      const paused = store.getPodSetStatus(o.metadata.name)?.paused ?? false;
      if (paused !== o.spec.paused)
        mutations.push({ op: "setPodSetPaused", podset: o.metadata.name, paused: o.spec.paused });
    }
    if (action === "unchanged") continue;
    mutations.push({
      op: "putObject",
      kind: o.kind,
      name: o.metadata.name,
      apiVersion: o.source.apiVersion,
      spec: JSON.stringify(body),
      specHash: hash,
      sourceFile: o.source.file,
      at: now,
      ...(damaged ? { rewrite: true } : {}),
    });
    if (o.kind === "Node") {
      mutations.push({
        op: "upsertNode",
        name: o.metadata.name,
        docker: o.spec.docker,
        identityFile: o.spec.identityFile ?? null,
        socketPath: o.spec.socketPath ?? null,
        labels: JSON.stringify(o.metadata.labels),
        taints: JSON.stringify(o.spec.taints),
        unschedulable: o.spec.unschedulable,
        at: now,
      });
    }
  }
  return { results, mutations };
}

export function applyObjects(
  store: Store,
  objects: readonly MkObject[],
  opts: { dryRun?: boolean } = {},
): ApplyResult[] {
  return store.transaction(() => {
    const now = store.clock.now();
    const { results, mutations } = planApply(store, objects, now);
    if (opts.dryRun) return results;
    store.commit(mutations);
    // The pods the objects call for exist (Pending) as soon as apply returns, server or not; the
    // controller's next pass computes the same and finds nothing to do.
    // A bad row elsewhere in the state is the controller's to report; apply plans around it.
    store.commit(planPods(readPodsInput(store, now)));
    return results;
  });
}

/** Field-level differences between two JSON values, as "path: old -> new" lines. */
export function diffValues(a: unknown, b: unknown, path = ""): string[] {
  if (stableJson(a) === stableJson(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((v, i) => diffValues(v, b[i], `${path}[${i}]`));
  }
  const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));
  return [`${path || "(root)"}: ${show(a)} -> ${show(b)}`];
}

/** A stored column as JSON, or its text when it is not JSON (a damaged row shows as it is). */
function storedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function diffObjects(store: Store, objects: readonly MkObject[]): DiffResult[] {
  const { results } = planApply(store, objects, store.clock.now());
  return results.map((r, i) => {
    const o = objects[i];
    const prev = store.getObject(r.kind, r.name);
    const before = prev ? storedJson(prev.spec) : undefined;
    const changes = o && r.action !== "unchanged" ? diffValues(before, appliedBody(o, prev)) : [];
    return { ...r, changes };
  });
}
