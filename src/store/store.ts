// The Store: the state database behind one small API. Reads are typed queries; every write is a
// batch of Mutations committed in one transaction (and journaled when it changes desired state).
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, gte, isNotNull, isNull, sql } from "drizzle-orm";
import type { Clock } from "../lib/clock.ts";
import { systemClock } from "../lib/clock.ts";
import { StateError } from "../lib/errors.ts";
import { type Db, type OpenOptions, openDb, type Sqlite } from "./db.ts";
import { applyMutation, isJournaled, type Mutation } from "./mutations.ts";
import { type LogPosition, type Replicator, readApplied, writeApplied } from "./replication.ts";
import type {
  AutoscalerStatusRow,
  ContainerStatusRow,
  EventRow,
  NodeRow,
  ObjectRow,
  ObservedContainerRow,
  PodRow,
  PodSetStatusRow,
  RevisionRow,
} from "./rows.ts";
import * as s from "./schema.ts";
import { asStateError } from "./state-errors.ts";

/**
 * How many journal entries are kept: every commit that journals trims what falls behind the newest
 * JOURNAL_KEEP, in the same transaction (a replica further behind re-syncs from a snapshot).
 */
export const JOURNAL_KEEP = 10_000;

/** How long events are kept after they were last seen. */
export const EVENT_TTL_MS = 60 * 60 * 1000;

/** Commits that record events prune expired ones at most this often (per process). */
export const EVENT_PRUNE_INTERVAL_MS = 60_000;

export type CommitListener = (muts: readonly Mutation[]) => void;

export class Store {
  private readonly listeners = new Set<CommitListener>();
  /** When this process last pruned expired events (0: not yet, so its first event write does). */
  private eventsPrunedAt = 0;
  /** HA mode: every transaction's mutations go to this log first (store/replication.ts). */
  replicator: Replicator | undefined;
  private depth = 0;
  private pending: Mutation[] = [];

  constructor(
    readonly path: string,
    readonly sqlite: Sqlite,
    readonly db: Db,
    readonly clock: Clock = systemClock,
    /** Journal entries kept (JOURNAL_KEEP; smaller in tests). */
    readonly journalKeep: number = JOURNAL_KEEP,
  ) {}

  private get trimJournal() {
    this.trimJournalStmt ??= this.sqlite.prepare(
      "DELETE FROM journal WHERE seq <= (SELECT max(seq) FROM journal) - ?",
    );
    return this.trimJournalStmt;
  }
  private trimJournalStmt: ReturnType<Sqlite["prepare"]> | undefined;

  static open(path: string, opts: OpenOptions & { clock?: Clock; journalKeep?: number } = {}): Store {
    const { sqlite, db } = openDb(path, opts);
    return new Store(path, sqlite, db, opts.clock, opts.journalKeep);
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }

  /** Applies a batch of mutations atomically. */
  commit(muts: readonly Mutation[]): void {
    if (muts.length === 0) return;
    if (this.replicator) this.replicator.begin();
    else this.refuseIfReplica();
    const at = this.clock.now();
    // Trimming happens on every write path (CLI without a server included), not in a server loop:
    // the journal keeps its last JOURNAL_KEEP entries, events live EVENT_TTL_MS after last seen.
    const pruneEvents =
      at - this.eventsPrunedAt >= EVENT_PRUNE_INTERVAL_MS && muts.some((m) => m.op === "recordEvent");
    // The prune is part of the batch: in HA mode every replica prunes the same rows.
    const batch: readonly Mutation[] = pruneEvents
      ? [{ op: "pruneEvents", before: at - EVENT_TTL_MS }, ...muts]
      : muts;
    const run = this.sqlite.transaction(() => {
      this.depth++;
      try {
        this.applyAll(batch, at);
        if (this.replicator) {
          this.pending.push(...batch);
          if (this.depth === 1) this.flushToLog();
        }
      } finally {
        if (--this.depth === 0) this.pending = [];
      }
    });
    try {
      run.immediate();
    } catch (err) {
      throw asStateError(err, this.path, "write");
    }
    if (pruneEvents) this.eventsPrunedAt = at;
    this.afterCommit(muts);
  }

  private applyAll(muts: readonly Mutation[], at: number): void {
    let journaled = false;
    for (const m of muts) {
      applyMutation(this.db, m);
      if (isJournaled(m)) {
        this.db
          .insert(s.journal)
          .values({ at, op: m.op, args: JSON.stringify(m) })
          .run();
        journaled = true;
      }
    }
    // A rowid range: a cheap seek when there is nothing to trim.
    if (journaled) this.trimJournal.run(this.journalKeep);
  }

  /** The transaction's mutations, as one log entry, before SQLite commits them. */
  private flushToLog(): void {
    if (!this.replicator || this.pending.length === 0) return;
    const muts = this.pending;
    this.pending = [];
    writeApplied(this.sqlite, this.replicator.append(muts));
  }

  private replicaOf: string | null | undefined;

  /** An HA replica's file is written only through its server's log: never behind its back. */
  private refuseIfReplica(): void {
    this.replicaOf ??= this.getMeta("ha_etcd_prefix") ?? null;
    if (this.replicaOf) {
      throw new StateError(
        `State ${this.path} is a replica of the HA control plane at etcd prefix ${this.replicaOf}: write through its servers (--server / MK_SERVER), not the file`,
        { path: this.path },
      );
    }
  }

  /** The log position this replica has applied (0 without HA). */
  appliedPosition(): LogPosition {
    return readApplied(this.sqlite);
  }

  /**
   * Applies one log entry written by the leader (or by this process before a crash): in order,
   * once. Returns false when it was applied already; throws on a gap (the caller re-syncs).
   */
  applyLogEntry(pos: LogPosition, muts: readonly Mutation[], at: number): boolean {
    const applied = this.sqlite
      .transaction(() => {
        const cur = readApplied(this.sqlite);
        if (pos.seq <= cur.seq) return false;
        if (pos.seq !== cur.seq + 1)
          throw new Error(`log entry ${pos.seq} does not follow the applied entry ${cur.seq}`);
        this.applyAll(muts, at);
        writeApplied(this.sqlite, pos);
        return true;
      })
      .immediate();
    if (applied) this.afterCommit(muts);
    return applied;
  }

  private afterCommit(muts: readonly Mutation[]): void {
    for (const l of this.listeners) l(muts);
  }

  /** Runs `fn` (reads and commits) in one IMMEDIATE transaction: a read-modify-write. */
  transaction<T>(fn: () => T): T {
    this.replicator?.begin();
    try {
      return this.sqlite
        .transaction(() => {
          this.depth++;
          try {
            const r = fn();
            if (this.depth === 1) this.flushToLog();
            return r;
          } finally {
            if (--this.depth === 0) this.pending = [];
          }
        })
        .immediate();
    } catch (err) {
      throw asStateError(err, this.path, "write");
    }
  }

  /** Resolves when every write so far is durable (HA: committed in the log; at once without HA). */
  synced(): Promise<void> {
    return this.replicator?.synced() ?? Promise.resolve();
  }

  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes when another connection commits: how a server notices an apply from another process. */
  dataVersion(): number {
    return this.sqlite.pragma("data_version", { simple: true }) as number;
  }

  /** This state's cluster id, created on first use. */
  clusterId(): string {
    const row = this.db.select().from(s.meta).where(eq(s.meta.key, "cluster_id")).get();
    if (row) return row.value;
    const id = randomUUID().replace(/-/g, "").slice(0, 12);
    this.db.insert(s.meta).values({ key: "cluster_id", value: id }).onConflictDoNothing().run();
    return this.db.select().from(s.meta).where(eq(s.meta.key, "cluster_id")).get()?.value ?? id;
  }

  getMeta(key: string): string | undefined {
    return this.db.select().from(s.meta).where(eq(s.meta.key, key)).get()?.value;
  }

  // ---- objects

  listObjects(kind?: string): ObjectRow[] {
    const q = this.db.select().from(s.objects);
    return (kind ? q.where(eq(s.objects.kind, kind)) : q)
      .orderBy(asc(s.objects.kind), asc(s.objects.name))
      .all();
  }

  getObject(kind: string, name: string): ObjectRow | undefined {
    return this.db
      .select()
      .from(s.objects)
      .where(and(eq(s.objects.kind, kind), eq(s.objects.name, name)))
      .get();
  }

  // ---- pods

  listPods(
    filter: { node?: string; ownerKind?: string; ownerName?: string; unbound?: boolean } = {},
  ): PodRow[] {
    const conds = [];
    if (filter.node !== undefined) conds.push(eq(s.pods.node, filter.node));
    if (filter.ownerKind !== undefined) conds.push(eq(s.pods.ownerKind, filter.ownerKind));
    if (filter.ownerName !== undefined) conds.push(eq(s.pods.ownerName, filter.ownerName));
    if (filter.unbound) conds.push(isNull(s.pods.node));
    return this.db
      .select()
      .from(s.pods)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(asc(s.pods.name))
      .all();
  }

  getPod(name: string): PodRow | undefined {
    return this.db.select().from(s.pods).where(eq(s.pods.name, name)).get();
  }

  containerStatuses(pod?: string): ContainerStatusRow[] {
    const q = this.db.select().from(s.containerStatus);
    return (pod ? q.where(eq(s.containerStatus.pod, pod)) : q)
      .orderBy(asc(s.containerStatus.pod), asc(s.containerStatus.container))
      .all();
  }

  /** Statuses of the containers of the pods bound to `node`: what that node's agent needs. */
  containerStatusesOnNode(node: string): ContainerStatusRow[] {
    return this.db
      .select({ cs: s.containerStatus })
      .from(s.containerStatus)
      .innerJoin(
        s.pods,
        and(eq(s.pods.name, s.containerStatus.pod), eq(s.pods.uid, s.containerStatus.podUid)),
      )
      .where(eq(s.pods.node, node))
      .all()
      .map((r) => r.cs);
  }

  observedContainers(filter: { node?: string; pod?: string } = {}): ObservedContainerRow[] {
    const conds = [];
    if (filter.node) conds.push(eq(s.observedContainers.node, filter.node));
    if (filter.pod) conds.push(eq(s.observedContainers.pod, filter.pod));
    return this.db
      .select()
      .from(s.observedContainers)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(asc(s.observedContainers.name))
      .all();
  }

  /** Pods per (phase, node); an unscheduled pod has node "". For the mk_pods gauge. */
  podCounts(): { phase: string; node: string; n: number }[] {
    return this.db
      .select({
        phase: s.pods.phase,
        node: sql<string>`coalesce(${s.pods.node}, '')`,
        n: sql<number>`count(*)`,
      })
      .from(s.pods)
      .groupBy(s.pods.phase, s.pods.node)
      .all();
  }

  /** Running pods not being deleted. */
  runningPodCount(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(s.pods)
        .where(and(eq(s.pods.phase, "Running"), isNull(s.pods.deletionAt)))
        .get()?.n ?? 0
    );
  }

  // ---- podset revisions and rollout status

  /** Revisions, oldest first (of one PodSet, or all). */
  listRevisions(podset?: string): RevisionRow[] {
    const q = this.db.select().from(s.podsetRevisions);
    return (podset === undefined ? q : q.where(eq(s.podsetRevisions.podset, podset)))
      .orderBy(asc(s.podsetRevisions.podset), asc(s.podsetRevisions.revision))
      .all();
  }

  listPodSetStatus(): PodSetStatusRow[] {
    return this.db.select().from(s.podsetStatus).orderBy(asc(s.podsetStatus.podset)).all();
  }

  getPodSetStatus(podset: string): PodSetStatusRow | undefined {
    return this.db.select().from(s.podsetStatus).where(eq(s.podsetStatus.podset, podset)).get();
  }

  // ---- nodes

  nodeCounts(): { state: string; n: number }[] {
    return this.db
      .select({ state: s.nodes.state, n: sql<number>`count(*)` })
      .from(s.nodes)
      .groupBy(s.nodes.state)
      .all();
  }

  listNodes(): NodeRow[] {
    return this.db.select().from(s.nodes).orderBy(asc(s.nodes.name)).all();
  }

  getNode(name: string): NodeRow | undefined {
    return this.db.select().from(s.nodes).where(eq(s.nodes.name, name)).get();
  }

  // ---- autoscalers

  listAutoscalerStatus(): AutoscalerStatusRow[] {
    return this.db.select().from(s.autoscalerStatus).orderBy(asc(s.autoscalerStatus.name)).all();
  }

  getAutoscalerStatus(name: string): AutoscalerStatusRow | undefined {
    return this.db.select().from(s.autoscalerStatus).where(eq(s.autoscalerStatus.name, name)).get();
  }

  // ---- events

  listEvents(
    filter: { objectKind?: string; objectName?: string; sinceId?: number; limit?: number } = {},
  ): EventRow[] {
    const conds = [];
    if (filter.objectKind) conds.push(eq(s.events.objectKind, filter.objectKind));
    if (filter.objectName) conds.push(eq(s.events.objectName, filter.objectName));
    if (filter.sinceId !== undefined) conds.push(gte(s.events.id, filter.sinceId + 1));
    const rows = this.db
      .select()
      .from(s.events)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(s.events.lastSeen), desc(s.events.id))
      .limit(filter.limit ?? 500)
      .all();
    return rows.reverse();
  }

  /** Highest event id, and the highest last_seen: what `events -w` polls for changes. */
  eventsWatermark(): string {
    const r = this.db
      .select({
        id: sql<number>`coalesce(max(${s.events.id}), 0)`,
        seen: sql<number>`coalesce(max(${s.events.lastSeen}), 0)`,
        n: sql<number>`coalesce(sum(${s.events.count}), 0)`,
      })
      .from(s.events)
      .get();
    return r ? `${r.id}:${r.seen}:${r.n}` : "0:0:0";
  }

  /** The newest journal sequence number (0 when empty). */
  journalSeq(): number {
    return (this.sqlite.prepare("select coalesce(max(seq), 0) s from journal").get() as { s: number }).s;
  }

  /** How many createPod mutations were journaled after `seq`, and the newest seq. */
  createdPodsSince(seq: number): { created: number; seq: number } {
    const r = this.sqlite
      .prepare(
        "select count(*) filter (where op = 'createPod') n, coalesce(max(seq), ?) s from journal where seq > ?",
      )
      .get(seq, seq) as { n: number; s: number };
    return { created: r.n, seq: r.s };
  }

  journalLength(): number {
    const r = this.db
      .select({ n: sql<number>`count(*)` })
      .from(s.journal)
      .where(isNotNull(s.journal.seq))
      .get();
    return r?.n ?? 0;
  }
}
