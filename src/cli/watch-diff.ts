// `mk get -w`: which objects changed between two polls, as Kubernetes watch events. Pure.
import type { KubeObject } from "../ops/kube-objects.ts";
import { stableJson } from "../reconcile/spec-hash.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  object: KubeObject;
}

/**
 * An object's content for change detection. Fields that move on their own without anything
 * happening to the object (a node's heartbeat time) are left out, or every poll would report
 * every node as modified; AGE is computed when printing, so it is not in the object at all.
 */
export function fingerprint(o: KubeObject): string {
  const status = o.status;
  if (status && typeof status === "object" && "lastHeartbeatAt" in status) {
    const { lastHeartbeatAt: _hb, ...rest } = status as Record<string, unknown>;
    return stableJson({ ...o, status: rest });
  }
  // An autoscaler's sync time moves every sync; Kubernetes writes an HPA status only on a change.
  if (status && typeof status === "object" && "lastSyncTime" in status) {
    const { lastSyncTime: _sync, ...rest } = status as Record<string, unknown>;
    return stableJson({ ...o, status: rest });
  }
  return stableJson(o);
}

/** Remembers what was last seen; diff() returns the events since, in the order of `objects`. */
export class WatchState {
  private readonly seen = new Map<string, { fp: string; object: KubeObject }>();

  diff(objects: readonly { key: string; object: KubeObject }[]): WatchEvent[] {
    const events: WatchEvent[] = [];
    const present = new Set<string>();
    for (const { key, object } of objects) {
      present.add(key);
      const fp = fingerprint(object);
      const before = this.seen.get(key);
      if (!before) events.push({ type: "ADDED", key, object });
      else if (before.fp !== fp) events.push({ type: "MODIFIED", key, object });
      this.seen.set(key, { fp, object });
    }
    for (const [key, { object }] of this.seen) {
      if (present.has(key)) continue;
      events.push({ type: "DELETED", key, object });
      this.seen.delete(key);
    }
    return events;
  }
}
