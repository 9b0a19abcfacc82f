// Everything planPods reads, in one snapshot of the store: the controller and apply both use it,
// so both plan from the same tables. Objects that do not parse are left out, with their pods
// (row-check.ts): one bad row never stops a pass, and never reads as a deleted object.
import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.ts";
import type { PodsInput } from "./pods.ts";
import { type BadRow, plannableObjects } from "./row-check.ts";

export function readPodsInput(store: Store, now: number, bad: BadRow[] = []): PodsInput {
  const rows = store.listObjects();
  const { objects, pods } = plannableObjects(rows, store.listPods(), bad);
  return {
    objects,
    pods,
    revisions: store.listRevisions(),
    podSetStatus: store.listPodSetStatus(),
    podSetMeta: new Map(
      rows
        .filter((o) => o.kind === "PodSet")
        .map((o) => [
          o.name,
          { apiVersion: o.apiVersion, sourceFile: o.sourceFile, generation: o.generation },
        ]),
    ),
    now,
    random: Math.random,
    newUid: randomUUID,
  };
}
