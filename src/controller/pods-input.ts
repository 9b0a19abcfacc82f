// Everything planPods reads, in one snapshot of the store: the controller and apply both use it,
// so both plan from the same tables.
import { randomUUID } from "node:crypto";
import type { MkObjectBody } from "../manifest/types.ts";
import type { Store } from "../store/store.ts";
import type { PodsInput } from "./pods.ts";

export function readPodsInput(store: Store, now: number): PodsInput {
  const rows = store.listObjects();
  return {
    objects: rows.map((o) => JSON.parse(o.spec) as MkObjectBody),
    pods: store.listPods(),
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
