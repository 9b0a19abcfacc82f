// One controller of an HA control plane on etcd: the election, the log writer the Store commits
// through, the applier that tails the log into this replica's SQLite, its member record (address,
// role, applied position) and, while leading, the log's compaction. `mk server --etcd` builds one.
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { sleep } from "../../lib/clock.ts";
import { errorMessage, StateError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { Store } from "../../store/store.ts";
import type { LeaseTiming } from "../elector.ts";
import type { HaMetrics } from "../metrics.ts";
import { LogApplier } from "./applier.ts";
import { EtcdElector, NeedsLeaderError, type Role } from "./election.ts";
import { b64, decodeKv, Gateway, type Header, prefixEnd, type RawKv } from "./gateway.ts";
import { Keys, type Member } from "./keys.ts";
import { LogWriter } from "./log.ts";
import { downloadSnapshot, restoreSnapshot } from "./snapshot.ts";
import { SyncCaller } from "./sync-call.ts";

export interface ReplicaOptions {
  endpoints: string[];
  prefix: string;
  id: string;
  /** Where the other replicas and the CLI reach this one's API. */
  url: string;
  timing: LeaseTiming;
  store: Store;
  log: Logger;
  metrics?: HaMetrics;
  /** Headers for calls to the leader (its API token). */
  leaderHeaders?: Record<string, string>;
  /** Entries kept at most, whatever the members applied (bounded size). */
  maxLogEntries?: number;
  /** A follower this many entries behind is not ready. */
  readyLagEntries?: number;
  /**
   * Recovery after the etcd prefix lost its data (--etcd-reseed): this replica's state becomes
   * the log's starting point (cluster key and head at its applied entry). docs/ha.md.
   */
  reseed?: boolean;
}

export interface Readiness {
  ready: boolean;
  role: Role;
  id: string;
  leader: string | null;
  term: number;
  appliedRevision: number;
  appliedSeq: number;
  reason?: string;
}

export class Replica {
  readonly keys: Keys;
  readonly gateway: Gateway;
  readonly sync: SyncCaller;
  readonly elector: EtcdElector;
  readonly writer: LogWriter;
  readonly applier: LogApplier;
  members: Member[] = [];
  private readonly log: Logger;
  private lastLeader: string | undefined;

  constructor(readonly o: ReplicaOptions) {
    this.log = o.log.child("ha");
    this.keys = new Keys(o.prefix.replace(/\/+$/, ""));
    // Reads and lease calls: short deadlines, any member (a dead or partitioned one is skipped).
    this.gateway = new Gateway({
      endpoints: o.endpoints,
      timeoutMs: Math.max(500, o.timing.retryPeriodMs * 3),
    });
    // The session lease's keepalive runs in a worker thread: never starved by the main thread.
    this.sync = new SyncCaller(
      this.gateway.endpoints,
      Math.max(300, Math.floor(o.timing.renewDeadlineMs / 2)),
    );
    this.applier = new LogApplier({
      gateway: this.gateway,
      keys: this.keys,
      store: o.store,
      log: this.log,
      snapshot: (why) => this.restoreFromLeader(why),
      onCaughtUp: () => this.writer.resume(),
      firstUnconfirmed: () => this.writer.firstUnconfirmed(),
      onIntegrity: (problem) => {
        o.metrics?.logLost.set(problem ? 1 : 0);
        // A leader stops acting at once: its loops would act on Docker with no log to record it.
        if (problem && this.elector.role === "leader") this.elector.fence(problem);
      },
      onApplied: (_e, lagMs) => {
        o.metrics?.entries.inc({ source: "applied" });
        o.metrics?.applyLag.set(lagMs / 1000);
      },
    });
    this.elector = new EtcdElector({
      gateway: this.gateway,
      keys: this.keys,
      id: o.id,
      timing: o.timing,
      log: this.log,
      worker: this.sync,
      beforeLead: (signal) => this.applier.catchUp(signal),
      onRoleChange: (role, leader) => {
        o.metrics?.leader.set(role === "leader" ? 1 : 0);
        if (leader && leader !== this.lastLeader) {
          if (this.lastLeader !== undefined) o.metrics?.leaderChanges.inc();
          this.lastLeader = leader;
        }
        this.log.info(`Role ${role}${leader ? `, leader ${leader}` : ""}`, { event: "role", role, leader });
        void this.publishMember().catch(() => undefined);
      },
    });
    this.writer = new LogWriter({
      store: o.store,
      gateway: this.gateway,
      keys: this.keys,
      id: o.id,
      term: () => this.elector.writableTerm(),
      onFenced: (why) => this.elector.fence(why),
      onBehind: () => this.applier.poke(),
      maxOutageMs: o.timing.renewDeadlineMs,
      // Not blocking the event loop any more: a write may take the whole renew deadline.
      timeoutMs: Math.max(500, o.timing.renewDeadlineMs),
      onAppended: () => o.metrics?.entries.inc({ source: "appended" }),
      refuse: () => this.applier.integrity,
    });
  }

  /**
   * Joins the cluster: every replica shares etcd's cluster id (the mk.cluster label of the
   * containers, so a new leader's agents adopt them). Then commits go through the log.
   */
  async init(): Promise<void> {
    // etcd may come up after the controllers: wait for it (as Kubernetes' components do).
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.join();
      } catch (err) {
        if (err instanceof StateError) throw err;
        if (attempt === 1 || attempt % 10 === 0)
          this.log.warn(`Waiting for etcd (${this.o.endpoints.join(", ")}): ${errorMessage(err)}`, {
            event: "etcd",
          });
        await sleep(1000);
      }
    }
  }

  private async join(): Promise<void> {
    const { store } = this.o;
    const mine = store.getMeta("cluster_id") ?? randomUUID().replace(/-/g, "").slice(0, 12);
    const applied = store.appliedPosition().seq;
    if (applied > 0) {
      // A replica with state never creates the cluster key: its absence means the prefix lost its
      // data, and a new cluster created here would take an empty log for the truth. The applier
      // reports it; --etcd-reseed makes this state the log's new start.
      const got = await this.gateway.call<{ kvs?: RawKv[] }>(
        "/v3/kv/range",
        { key: b64(this.keys.cluster) },
        { timeoutMs: 5000 },
      );
      if (!got.kvs?.length) {
        if (this.o.reseed) await this.reseed(mine, store.appliedPosition());
        else
          this.log.error(
            `etcd prefix ${this.keys.prefix} has no cluster key but this replica has applied ${applied} entries: not creating a new cluster over it (see docs/ha.md, "etcd data lost")`,
            { event: "ha-log-lost" },
          );
        store.replicator = this.writer;
        return;
      }
    }
    const r = await this.gateway.call<{
      succeeded?: boolean;
      responses?: { response_range?: { kvs?: RawKv[] } }[];
    }>(
      "/v3/kv/txn",
      {
        compare: [{ key: b64(this.keys.cluster), target: "CREATE", result: "EQUAL", create_revision: "0" }],
        success: [{ request_put: { key: b64(this.keys.cluster), value: b64(mine) } }],
        failure: [{ request_range: { key: b64(this.keys.cluster) } }],
      },
      { timeoutMs: 5000 },
    );
    const raw = r.responses?.[0]?.response_range?.kvs?.[0];
    const cluster = r.succeeded || !raw ? mine : decodeKv(raw).value;
    if (cluster !== store.getMeta("cluster_id")) {
      if (store.appliedPosition().seq > 0) {
        throw new StateError(
          `State ${store.path} belongs to cluster ${store.getMeta("cluster_id")}, but etcd prefix ${this.keys.prefix} holds cluster ${cluster}: use another --state or --etcd-prefix`,
        );
      }
      store.sqlite
        .prepare(
          "insert into meta (key, value) values ('cluster_id', ?) on conflict(key) do update set value = excluded.value",
        )
        .run(cluster);
    }
    store.sqlite
      .prepare(
        "insert into meta (key, value) values ('ha_etcd_prefix', ?) on conflict(key) do update set value = excluded.value",
      )
      .run(this.keys.prefix);
    store.replicator = this.writer;
  }

  /** --etcd-reseed: an empty prefix gets this replica's cluster id and its applied entry as head. */
  private async reseed(cluster: string, pos: { seq: number }): Promise<void> {
    const r = await this.gateway.call<{ succeeded?: boolean }>(
      "/v3/kv/txn",
      {
        compare: [
          { key: b64(this.keys.cluster), target: "CREATE", result: "EQUAL", create_revision: "0" },
          { key: b64(this.keys.head), target: "CREATE", result: "EQUAL", create_revision: "0" },
        ],
        success: [
          { request_put: { key: b64(this.keys.cluster), value: b64(cluster) } },
          { request_put: { key: b64(this.keys.head), value: b64(String(pos.seq)) } },
        ],
      },
      { timeoutMs: 5000 },
    );
    if (r.succeeded)
      this.log.warn(
        `Reseeded etcd prefix ${this.keys.prefix} from this replica's state (cluster ${cluster}, entry ${pos.seq}); other replicas catch up from its snapshot`,
        { event: "ha-log-lost" },
      );
  }

  /** Background work of every replica: tail the log, keep the session, publish the member record. */
  run(signal: AbortSignal): Promise<unknown> {
    return Promise.allSettled([
      this.applier.run(signal),
      this.elector.session(signal),
      this.memberLoop(signal),
    ]);
  }

  private lastPublished = "";

  private async publishMember(): Promise<void> {
    const lease = await this.elector.ensureLease();
    const pos = this.o.store.appliedPosition();
    const me: Member = {
      id: this.o.id,
      url: this.o.url,
      role: this.elector.role,
      appliedSeq: pos.seq,
      appliedRevision: pos.revision,
      at: Date.now(),
    };
    const key = JSON.stringify({ ...me, at: 0 });
    if (key === this.lastPublished) return;
    await this.gateway.call("/v3/kv/put", {
      key: b64(this.keys.member(this.o.id)),
      value: b64(JSON.stringify(me)),
      lease,
    });
    this.lastPublished = key;
  }

  private async memberLoop(signal: AbortSignal): Promise<void> {
    let lease: string | undefined;
    while (!signal.aborted) {
      try {
        // A new session lease (the old one expired) needs the record written again.
        if (lease !== this.elector.leaseId) this.lastPublished = "";
        await this.publishMember();
        lease = this.elector.leaseId;
        const r = await this.gateway.call<{ kvs?: RawKv[] }>("/v3/kv/range", {
          key: b64(this.keys.membersPrefix),
          range_end: prefixEnd(this.keys.membersPrefix),
        });
        this.members = (r.kvs ?? []).map((kv) => JSON.parse(decodeKv(kv).value) as Member);
      } catch (err) {
        this.elector.lastError = errorMessage(err);
      }
      await sleep(500, signal);
    }
  }

  leaderUrl(): string | undefined {
    const leader = this.elector.leader;
    if (!leader || leader === this.o.id) return undefined;
    return this.members.find((m) => m.id === leader)?.url;
  }

  private async restoreFromLeader(why: string): Promise<void> {
    const url = this.leaderUrl();
    if (!url) throw new NeedsLeaderError(`${why}, and no other leader to take a snapshot from`);
    this.log.warn(`Restoring a snapshot from the leader at ${url}: ${why}`, { event: "snapshot" });
    const path = `${this.o.store.path}.snapshot`;
    try {
      await downloadSnapshot(url, path, this.o.leaderHeaders ?? {});
      restoreSnapshot(this.o.store, path);
    } finally {
      rmSync(path, { force: true });
    }
    this.log.info(`Snapshot restored at entry ${this.o.store.appliedPosition().seq}`, { event: "snapshot" });
  }

  /**
   * The leader's compaction: entries every member has applied go (and any beyond the size
   * bound); etcd's own history is compacted up to the same point now and then.
   */
  async compactionLoop(signal: AbortSignal): Promise<void> {
    let lastHistoryCompaction = Date.now();
    while (!signal.aborted) {
      await sleep(5000, signal);
      if (signal.aborted) break;
      try {
        const head = this.o.store.appliedPosition().seq;
        const applied = [head, ...this.members.filter((m) => m.id !== this.o.id).map((m) => m.appliedSeq)];
        const cutoff = Math.max(Math.min(...applied), head - (this.o.maxLogEntries ?? 10_000));
        if (cutoff <= 0) continue;
        const r = await this.gateway.call<{ header: Header; deleted?: string }>("/v3/kv/deleterange", {
          key: b64(this.keys.logPrefix),
          range_end: b64(this.keys.log(cutoff + 1)),
        });
        if (Date.now() - lastHistoryCompaction > 60_000 && r.header.revision) {
          await this.gateway.call("/v3/kv/compaction", { revision: r.header.revision });
          lastHistoryCompaction = Date.now();
        }
      } catch (err) {
        this.log.warn(`Log compaction failed: ${errorMessage(err)}`, { event: "ha-log" });
      }
    }
  }

  readiness(): Readiness {
    const pos = this.o.store.appliedPosition();
    const e = this.elector;
    const lost = this.applier.integrity;
    const base = {
      role: e.role,
      id: this.o.id,
      leader: e.leader ?? null,
      term: e.term,
      appliedRevision: pos.revision,
      appliedSeq: pos.seq,
    };
    if (lost) return { ready: false, ...base, reason: lost };
    if (e.role === "leader") {
      if (e.writableTerm() !== undefined) return { ready: true, ...base };
      return {
        ready: false,
        ...base,
        reason: `cannot renew the leader lease: ${e.lastError ?? "etcd unreachable"}`,
      };
    }
    if (e.role === "candidate" || !e.leader) {
      return {
        ready: false,
        ...base,
        reason: e.lastError ? `etcd: ${e.lastError}` : "no leader elected yet: campaigning in etcd",
      };
    }
    const a = this.applier;
    if (a.lastError) return { ready: false, ...base, reason: `cannot read the log: ${a.lastError}` };
    if (Date.now() - a.headSeenAt > Math.max(3000, this.o.timing.leaseMs * 2))
      return { ready: false, ...base, reason: "no contact with etcd recently" };
    const behind = a.head - pos.seq;
    if (behind > (this.o.readyLagEntries ?? 100))
      return { ready: false, ...base, reason: `catching up: ${behind} log entries behind` };
    return { ready: true, ...base };
  }

  close(): void {
    this.sync.close();
  }
}
