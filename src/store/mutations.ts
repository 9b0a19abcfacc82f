// The one write API: every change to the state is a Mutation (data), applied by applyMutation
// inside a transaction. Desired-state mutations are journaled so an HA mode can replicate them
// through a consensus store and replay them into each replica's SQLite.
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import type {
  AutoscalerStatusRow,
  ContainerStatusRow,
  EventType,
  NodeState,
  ObservedContainerRow,
  PodPhase,
  PodSetStatusRow,
} from "./rows.ts";
import * as s from "./schema.ts";

export type Mutation =
  | {
      op: "putObject";
      kind: string;
      name: string;
      apiVersion: string;
      spec: string;
      specHash: string;
      sourceFile: string | null;
      at: number;
      /** Write even when the stored spec_hash matches: the stored spec does not decode (a repair). */
      rewrite?: boolean;
    }
  | { op: "deleteObject"; kind: string; name: string }
  | { op: "createPod"; pod: typeof s.pods.$inferInsert }
  | {
      op: "updatePodSpec";
      name: string;
      spec: string;
      specHash: string;
      labels: string;
      annotations: string;
    }
  | { op: "bindPod"; name: string; node: string; at: number }
  /** A rescheduled pod is a new incarnation: a new uid fences off writes about the old one. */
  | { op: "unbindPod"; name: string; reason: string; newUid: string }
  | {
      op: "requestPodDeletion";
      name: string;
      at: number;
      reason: string;
      /** A grace period overriding the pod's (delete --grace-period); a shorter one wins later too. */
      graceSeconds?: number;
    }
  /** `uid` set: only that incarnation (an agent finalizing what it removed). */
  | { op: "deletePod"; name: string; uid?: string }
  | {
      op: "setPodStatus";
      name: string;
      /** Set by node agents: applied only while the pod is this incarnation, bound to that node. */
      guard?: { uid: string; node: string };
      phase: PodPhase;
      reason: string | null;
      message: string | null;
      ready: boolean;
      restartCount: number;
      ip: string | null;
      startedAt: number | null;
      /** When this status was seen: a pod turning Ready is Ready since then (minReadySeconds). */
      at?: number;
      /** reason Unschedulable: the scheduler's transient flag (absent: false). */
      unschedulableTransient?: boolean;
    }
  /** Applied only while the pod exists as status.podUid (and, with `node`, is bound to it). */
  | { op: "putContainerStatus"; status: ContainerStatusRow; node?: string }
  | { op: "replaceObservedContainers"; node: string; rows: ObservedContainerRow[] }
  | {
      op: "upsertNode";
      name: string;
      docker: string;
      identityFile: string | null;
      socketPath: string | null;
      labels: string;
      taints: string;
      unschedulable: boolean;
      at: number;
    }
  | {
      op: "setNodeStatus";
      name: string;
      state: NodeState;
      message: string | null;
      at: number;
      heartbeat: boolean;
      capacity?: { cpuMilli: number; memoryBytes: number; dockerVersion: string };
    }
  | { op: "setNodeUnschedulable"; name: string; unschedulable: boolean }
  | { op: "deleteNode"; name: string }
  | {
      op: "recordEvent";
      type: EventType;
      reason: string;
      objectKind: string;
      objectName: string;
      node: string | null;
      message: string;
      at: number;
    }
  | { op: "pruneEvents"; before: number }
  /** Records a PodSet's template as revision `revision` (a template seen before moves to it). */
  | {
      op: "putRevision";
      podset: string;
      revision: number;
      templateHash: string;
      template: string;
      changeCause: string | null;
      at: number;
    }
  | { op: "deleteRevision"; podset: string; revision: number }
  /** `at` null: the revision rolled out after all (auto-rollback may return to it). */
  | { op: "markRevisionFailed"; podset: string; revision: number; at: number | null }
  | { op: "setPodSetPaused"; podset: string; paused: boolean }
  | { op: "setPodSetStatus"; status: Omit<PodSetStatusRow, "paused"> }
  /** The autoscaler controller's status of one Autoscaler (journaled: its history must survive). */
  | { op: "putAutoscalerStatus"; status: AutoscalerStatusRow }
  | { op: "deleteAutoscalerStatus"; name: string }
  | { op: "setMeta"; key: string; value: string };

const JOURNALED = new Set<Mutation["op"]>([
  "putObject",
  "deleteObject",
  "createPod",
  "updatePodSpec",
  "bindPod",
  "unbindPod",
  "requestPodDeletion",
  "deletePod",
  "upsertNode",
  "setNodeUnschedulable",
  "deleteNode",
  "putRevision",
  "deleteRevision",
  "markRevisionFailed",
  "setPodSetPaused",
  "putAutoscalerStatus",
  "deleteAutoscalerStatus",
]);

export function isJournaled(m: Mutation): boolean {
  return JOURNALED.has(m.op);
}

export function applyMutation(db: Db, m: Mutation): void {
  switch (m.op) {
    case "putObject": {
      const prev = db
        .select({ generation: s.objects.generation, specHash: s.objects.specHash })
        .from(s.objects)
        .where(and(eq(s.objects.kind, m.kind), eq(s.objects.name, m.name)))
        .get();
      if (!prev) {
        db.insert(s.objects)
          .values({
            kind: m.kind,
            name: m.name,
            apiVersion: m.apiVersion,
            generation: 1,
            spec: m.spec,
            specHash: m.specHash,
            sourceFile: m.sourceFile,
            createdAt: m.at,
            updatedAt: m.at,
          })
          .run();
      } else if (prev.specHash !== m.specHash || m.rewrite === true) {
        db.update(s.objects)
          .set({
            apiVersion: m.apiVersion,
            generation: prev.generation + 1,
            spec: m.spec,
            specHash: m.specHash,
            sourceFile: m.sourceFile,
            updatedAt: m.at,
          })
          .where(and(eq(s.objects.kind, m.kind), eq(s.objects.name, m.name)))
          .run();
      }
      return;
    }
    case "deleteObject":
      db.delete(s.objects)
        .where(and(eq(s.objects.kind, m.kind), eq(s.objects.name, m.name)))
        .run();
      if (m.kind === "PodSet") {
        db.delete(s.podsetRevisions).where(eq(s.podsetRevisions.podset, m.name)).run();
        db.delete(s.podsetStatus).where(eq(s.podsetStatus.podset, m.name)).run();
      }
      return;
    case "createPod":
      db.insert(s.pods).values(m.pod).onConflictDoNothing().run();
      return;
    case "updatePodSpec":
      db.update(s.pods)
        .set({ spec: m.spec, specHash: m.specHash, labels: m.labels, annotations: m.annotations })
        .where(eq(s.pods.name, m.name))
        .run();
      return;
    case "bindPod":
      db.update(s.pods)
        .set({ node: m.node, scheduledAt: m.at, reason: null, message: null })
        .where(and(eq(s.pods.name, m.name), isNull(s.pods.deletionAt)))
        .run();
      return;
    case "unbindPod":
      db.update(s.pods)
        .set({
          uid: m.newUid,
          node: null,
          scheduledAt: null,
          phase: "Pending",
          ready: false,
          ip: null,
          reason: "Rescheduling",
          message: m.reason,
          readySince: null,
        })
        .where(eq(s.pods.name, m.name))
        .run();
      db.delete(s.containerStatus).where(eq(s.containerStatus.pod, m.name)).run();
      return;
    case "requestPodDeletion":
      db.update(s.pods)
        .set({ deletionAt: m.at, deletionReason: m.reason, deletionGraceSeconds: m.graceSeconds ?? null })
        .where(and(eq(s.pods.name, m.name), isNull(s.pods.deletionAt)))
        .run();
      if (m.graceSeconds !== undefined) {
        // Like Kubernetes, a second delete may shorten the grace period of one in progress.
        db.update(s.pods)
          .set({ deletionGraceSeconds: m.graceSeconds })
          .where(
            and(
              eq(s.pods.name, m.name),
              or(isNull(s.pods.deletionGraceSeconds), gt(s.pods.deletionGraceSeconds, m.graceSeconds)),
            ),
          )
          .run();
      }
      return;
    case "deletePod": {
      const cond =
        m.uid === undefined ? eq(s.pods.name, m.name) : and(eq(s.pods.name, m.name), eq(s.pods.uid, m.uid));
      if (db.delete(s.pods).where(cond).run().changes > 0) {
        db.delete(s.containerStatus).where(eq(s.containerStatus.pod, m.name)).run();
      }
      return;
    }
    case "setPodStatus":
      db.update(s.pods)
        .set({
          phase: m.phase,
          reason: m.reason,
          message: m.message,
          unschedulableTransient: m.unschedulableTransient ?? false,
          ready: m.ready,
          restartCount: m.restartCount,
          ip: m.ip,
          startedAt: m.startedAt,
          readySince: m.ready ? sql`coalesce(${s.pods.readySince}, ${m.at ?? Date.now()})` : null,
        })
        .where(
          m.guard
            ? and(eq(s.pods.name, m.name), eq(s.pods.uid, m.guard.uid), eq(s.pods.node, m.guard.node))
            : eq(s.pods.name, m.name),
        )
        .run();
      return;
    case "putContainerStatus": {
      const owner = db
        .select({ uid: s.pods.uid, node: s.pods.node })
        .from(s.pods)
        .where(eq(s.pods.name, m.status.pod))
        .get();
      // A pass that started before the pod was deleted, recreated or moved writes nothing.
      if (!owner || owner.uid !== m.status.podUid || (m.node !== undefined && owner.node !== m.node)) return;
      db.insert(s.containerStatus)
        .values(m.status)
        .onConflictDoUpdate({
          target: [s.containerStatus.pod, s.containerStatus.container],
          set: { ...m.status },
        })
        .run();
      return;
    }
    case "replaceObservedContainers":
      db.delete(s.observedContainers).where(eq(s.observedContainers.node, m.node)).run();
      for (const row of m.rows) db.insert(s.observedContainers).values(row).onConflictDoNothing().run();
      return;
    case "upsertNode": {
      const desired = {
        docker: m.docker,
        identityFile: m.identityFile,
        socketPath: m.socketPath,
        labels: m.labels,
        taints: m.taints,
        unschedulable: m.unschedulable,
      };
      db.insert(s.nodes)
        .values({ name: m.name, ...desired, state: "NotReady", stateSince: m.at, createdAt: m.at })
        .onConflictDoUpdate({ target: s.nodes.name, set: desired })
        .run();
      return;
    }
    case "setNodeStatus": {
      const prev = db
        .select({ state: s.nodes.state, readySince: s.nodes.readySince, stateSince: s.nodes.stateSince })
        .from(s.nodes)
        .where(eq(s.nodes.name, m.name))
        .get();
      if (!prev) return;
      const changed = prev.state !== m.state;
      db.update(s.nodes)
        .set({
          state: m.state,
          message: m.message,
          stateSince: changed ? m.at : prev.stateSince,
          readySince: m.state === "Ready" ? (changed ? m.at : prev.readySince) : null,
          ...(changed && m.state === "Unknown" ? { lostAt: m.at } : {}),
          ...(m.heartbeat ? { lastHeartbeatAt: m.at } : {}),
          ...(m.capacity ?? {}),
        })
        .where(eq(s.nodes.name, m.name))
        .run();
      return;
    }
    case "setNodeUnschedulable":
      db.update(s.nodes).set({ unschedulable: m.unschedulable }).where(eq(s.nodes.name, m.name)).run();
      return;
    case "deleteNode":
      db.delete(s.nodes).where(eq(s.nodes.name, m.name)).run();
      db.delete(s.observedContainers).where(eq(s.observedContainers.node, m.name)).run();
      return;
    case "recordEvent": {
      const nodeCond = m.node === null ? isNull(s.events.node) : eq(s.events.node, m.node);
      const prev = db
        .select({ id: s.events.id })
        .from(s.events)
        .where(
          and(
            eq(s.events.objectKind, m.objectKind),
            eq(s.events.objectName, m.objectName),
            eq(s.events.reason, m.reason),
            eq(s.events.type, m.type),
            eq(s.events.message, m.message),
            nodeCond,
          ),
        )
        .get();
      if (prev) {
        db.update(s.events)
          .set({ count: sql`${s.events.count} + 1`, lastSeen: m.at })
          .where(eq(s.events.id, prev.id))
          .run();
      } else {
        db.insert(s.events)
          .values({
            type: m.type,
            reason: m.reason,
            objectKind: m.objectKind,
            objectName: m.objectName,
            node: m.node,
            message: m.message,
            firstSeen: m.at,
            lastSeen: m.at,
          })
          .run();
      }
      return;
    }
    case "setMeta":
      db.insert(s.meta)
        .values({ key: m.key, value: m.value })
        .onConflictDoUpdate({ target: s.meta.key, set: { value: m.value } })
        .run();
      return;
    case "pruneEvents":
      db.delete(s.events).where(lt(s.events.lastSeen, m.before)).run();
      return;
    case "putRevision":
      db.delete(s.podsetRevisions)
        .where(
          and(
            eq(s.podsetRevisions.podset, m.podset),
            or(
              eq(s.podsetRevisions.templateHash, m.templateHash),
              eq(s.podsetRevisions.revision, m.revision),
            ),
          ),
        )
        .run();
      db.insert(s.podsetRevisions)
        .values({
          podset: m.podset,
          revision: m.revision,
          templateHash: m.templateHash,
          template: m.template,
          changeCause: m.changeCause,
          createdAt: m.at,
        })
        .run();
      return;
    case "deleteRevision":
      db.delete(s.podsetRevisions)
        .where(and(eq(s.podsetRevisions.podset, m.podset), eq(s.podsetRevisions.revision, m.revision)))
        .run();
      return;
    case "markRevisionFailed":
      db.update(s.podsetRevisions)
        .set({ failedAt: m.at })
        .where(and(eq(s.podsetRevisions.podset, m.podset), eq(s.podsetRevisions.revision, m.revision)))
        .run();
      return;
    case "setPodSetPaused":
      db.insert(s.podsetStatus)
        .values({ podset: m.podset, paused: m.paused })
        .onConflictDoUpdate({ target: s.podsetStatus.podset, set: { paused: m.paused } })
        .run();
      return;
    case "setPodSetStatus": {
      const { podset, ...rest } = m.status;
      db.insert(s.podsetStatus)
        .values(m.status)
        .onConflictDoUpdate({ target: s.podsetStatus.podset, set: rest })
        .run();
      return;
    }
    case "putAutoscalerStatus":
      db.insert(s.autoscalerStatus)
        .values(m.status)
        .onConflictDoUpdate({ target: s.autoscalerStatus.name, set: { ...m.status } })
        .run();
      return;
    case "deleteAutoscalerStatus":
      db.delete(s.autoscalerStatus).where(eq(s.autoscalerStatus.name, m.name)).run();
      return;
  }
}
