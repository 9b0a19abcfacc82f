// The engine: one controller (pods from objects, scheduling, node lifecycle) and one agent per
// node, wired to the store. `run` leads through an Elector (ha/): the SQLite lease by default,
// etcd in HA mode, and runs the leader-only loops registered in `leaderLoops`; `converge` is
// what `mk apply` does when no server runs.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type AutoscalerSettings, runAutoscaler } from "../autoscaler/loop.ts";
import { UsageHistory } from "../autoscaler/sources.ts";
import { FailedSchedulingEvents } from "../controller/failed-scheduling.ts";
import { DisruptionWatch, NodeHealth } from "../controller/node-health.ts";
import { nodeHealthLoop } from "../controller/node-health-loop.ts";
import { nextLifecycleDeadline, planNodeLifecycle } from "../controller/nodes.ts";
import { planPodsDetailed } from "../controller/pods.ts";
import { readPodsInput } from "../controller/pods-input.ts";
import { type BadRow, BadRowReporter, goodNodes, goodPods } from "../controller/row-check.ts";
import { type SchedulerStrategy, schedulePending } from "../controller/scheduling.ts";
import { type Elector, type LeaseTiming, leaseTiming } from "../ha/elector.ts";
import { fenceRuntime } from "../ha/fence-runtime.ts";
import { keepTerm } from "../ha/keep-term.ts";
import { type LeaderLoop, LeaderLoops, runLeadership } from "../ha/leadership.ts";
import { SqliteLeaseElector } from "../ha/sqlite-elector.ts";
import type { Clock } from "../lib/clock.ts";
import { sleep, systemClock } from "../lib/clock.ts";
import { errorMessage, RuntimeError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { Trigger } from "../lib/trigger.ts";
import type { Metrics, PodUsage } from "../metrics/registry.ts";
import { collectUsage } from "../metrics/usage.ts";
import { NodeAgent } from "../node/agent.ts";
import { connectNode, localDockerUrl, type NodeConnection, type SshConnector } from "../node/connect.ts";
import { imageTransfer } from "../node/image-transfer.ts";
import { defaultSshOptions, sshConnector } from "../node/ssh-docker.ts";
import { ProbeManager } from "../probes/worker.ts";
import type { BackoffConfig } from "../reconcile/backoff.ts";
import { DEFAULT_BACKOFF } from "../reconcile/backoff.ts";
import { releaseLease, tryLease } from "../store/lease.ts";
import type { Mutation } from "../store/mutations.ts";
import type { NodeRow, NodeState } from "../store/rows.ts";
import { EVENT_TTL_MS, type Store } from "../store/store.ts";

export const CONTROLLER_LEASE = "controller";

export { EVENT_TTL_MS } from "../store/store.ts";

/** Runs `fn`; a throw (SQLITE_BUSY, a full disk) is logged, never allowed to end a loop. */
function guarded<T>(log: Logger, what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    log.error(`${what} failed: ${errorMessage(err)}`, { event: what });
    return undefined;
  }
}

/** Rejects when `p` takes longer than `ms`: a cut-off node must not hang a heartbeat. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface EngineOptions {
  store: Store;
  log: Logger;
  clock?: Clock;
  backoff?: BackoffConfig;
  /** Periodic resync of every node (ms). */
  resyncMs?: number;
  leaseMs?: number;
  /** A leader that cannot renew its lease for this long stops acting (default 2/3 of the lease). */
  renewDeadlineMs?: number;
  /** How often the lease is renewed or retried (default 2/15 of the lease). */
  retryPeriodMs?: number;
  /** Who decides leadership for `run` (default: the SQLite lease of this state file). */
  elector?: Elector;
  /** This controller's name (default host/pid/random). */
  identity?: string;
  heartbeatMs?: number;
  /** Node Ready -> Unknown after this long without a heartbeat (ms). */
  nodeGraceMs?: number;
  /** Pods of an Unknown node are rescheduled after this long (ms). */
  evictionDelayMs?: number;
  /** A node that came back gets new pods only after being Ready this long (ms). */
  settleMs?: number;
  scheduler?: SchedulerStrategy;
  /** Register the local engine as node `local` (default true). */
  localNode?: boolean;
  ssh?: SshConnector;
  metrics?: Metrics;
  /** Runs the autoscaler controller while leading (mk server); absent: no autoscaling. */
  autoscaler?: AutoscalerSettings;
  /** How often each node's Docker stats are read, for the usage metrics and the autoscaler (ms). */
  statsIntervalMs?: number;
}

interface NodeHandle {
  row: NodeRow;
  conn: NodeConnection;
  agent: NodeAgent;
  trigger: Trigger;
  abort: AbortController;
  probes: ProbeManager;
}

export class Engine {
  readonly store: Store;
  readonly log: Logger;
  readonly clock: Clock;
  readonly identity: string;
  readonly timing: LeaseTiming;
  /** Loops that run only while this process leads: register yours here (the autoscaler...). */
  readonly leaderLoops = new LeaderLoops();
  readonly cluster: string;
  private readonly nodes = new Map<string, NodeHandle>();
  private readonly controllerTrigger = new Trigger();
  private rrCursor = 0;
  /** One back-off per unschedulable pod for its FailedScheduling events (the leader's memory). */
  private readonly failedScheduling = new FailedSchedulingEvents();
  private readonly usage = new Map<string, PodUsage[]>();
  /** Per-pod stats rounds: the autoscaler's cpu source when no Prometheus is configured. */
  readonly usageHistory = new UsageHistory();
  private readonly ssh: SshConnector;
  private readonly opts: Required<
    Pick<
      EngineOptions,
      | "resyncMs"
      | "leaseMs"
      | "heartbeatMs"
      | "nodeGraceMs"
      | "evictionDelayMs"
      | "settleMs"
      | "scheduler"
      | "localNode"
    >
  > & { backoff: BackoffConfig };

  constructor(readonly options: EngineOptions) {
    this.store = options.store;
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.identity = options.identity ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.timing = leaseTiming(options.leaseMs ?? 15_000, options.renewDeadlineMs, options.retryPeriodMs);
    this.cluster = this.store.clusterId();
    this.journalSeq = this.store.journalSeq();
    this.ssh = options.ssh ?? sshConnector(defaultSshOptions(this.log.child("ssh")));
    this.opts = {
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      resyncMs: options.resyncMs ?? 5000,
      leaseMs: options.leaseMs ?? 15_000,
      heartbeatMs: options.heartbeatMs ?? 1000,
      nodeGraceMs: options.nodeGraceMs ?? 4000,
      evictionDelayMs: options.evictionDelayMs ?? 2000,
      settleMs: options.settleMs ?? 3000,
      scheduler: options.scheduler ?? "least-loaded",
      // The server's --no-local-node is remembered in the state, so an `mk apply` that reconciles
      // on its own does not register the local engine behind the operator's back.
      localNode: options.localNode ?? this.store.getMeta("local_node") !== "false",
    };
    this.leaderLoops.register("controller", (signal) => this.lead(signal));
    options.metrics?.setSshChannelSource(() =>
      [...this.nodes.values()].flatMap((h) =>
        h.conn.channelCount ? [{ node: h.row.name, channels: h.conn.channelCount() }] : [],
      ),
    );
  }

  /** Adds a loop that runs only while this process leads, stopped the moment leadership ends. */
  registerLeaderLoop(name: string, loop: LeaderLoop): void {
    this.leaderLoops.register(name, loop);
  }

  /** Registers node `local` (the local engine) if it is not there yet. */
  ensureLocalNode(): void {
    if (
      this.options.localNode !== undefined &&
      this.store.getMeta("local_node") !== String(this.options.localNode)
    ) {
      this.store.commit([{ op: "setMeta", key: "local_node", value: String(this.options.localNode) }]);
    }
    if (!this.opts.localNode || this.store.getNode("local")) return;
    const now = this.clock.now();
    this.store.commit([
      {
        op: "upsertNode",
        name: "local",
        docker: localDockerUrl(),
        identityFile: null,
        socketPath: null,
        labels: JSON.stringify({ "kubernetes.io/hostname": hostname() }),
        taints: "[]",
        unschedulable: false,
        at: now,
      },
      {
        op: "recordEvent",
        type: "Normal",
        reason: "Registered",
        objectKind: "Node",
        objectName: "local",
        node: "local",
        message: "Node local registered (local Docker engine)",
        at: now,
      },
    ]);
  }

  // ---- controller

  /** Pods from objects, then scheduling. Returns how many mutations it committed. */
  controllerPass(): number {
    const now = this.clock.now();
    // A row that does not parse is skipped (with a Warning event), never allowed to stop the pass.
    const bad: BadRow[] = [];
    const nodes = goodNodes(this.store.listNodes(), bad);
    // While leading, node health is judged by what this controller observed (node-health.ts).
    this.health?.observe(nodes);
    const disruption = this.disruption.check(nodes, now);
    const lifecycle = planNodeLifecycle({
      nodes,
      pods: goodPods(this.store.listPods(), bad),
      now,
      graceMs: this.opts.nodeGraceMs,
      evictionDelayMs: this.opts.evictionDelayMs,
      taintedSince: new Map(this.store.listObjects("Node").map((o) => [o.name, o.updatedAt])),
      ...(this.health ? { ages: this.health } : {}),
      disruption: disruption.state,
    });
    this.store.commit([...disruption.events, ...lifecycle]);
    // The states this pass wrote are observed as they are written, so an eviction delay runs from
    // the moment a node turned Unknown, not from the next look.
    if (lifecycle.length > 0) this.health?.observe(goodNodes(this.store.listNodes(), []));
    // Read, plan and commit in one transaction: an undo or apply committed between the read and
    // the write would otherwise be planned against (and revisions numbered from) a stale snapshot.
    const muts: Mutation[] = this.store.transaction(() => {
      const planned = planPodsDetailed(readPodsInput(this.store, now, bad));
      this.rolloutWakeAt = planned.nextWakeAt;
      this.store.commit(planned.mutations);
      return planned.mutations;
    });
    this.countCreatedPods();
    const sched = schedulePending(this.store, now, {
      strategy: this.opts.scheduler,
      rrCursor: this.rrCursor,
      settleMs: this.opts.settleMs,
      events: this.failedScheduling,
    });
    this.rrCursor = sched.rrCursor;
    this.store.commit(sched.mutations);
    this.reportBadRows([...bad, ...sched.bad], now);
    for (const b of sched.bound) this.options.metrics?.schedulingLatency.observe(b.latencyMs / 1000);
    return lifecycle.length + muts.length + sched.mutations.length;
  }

  /** When a rollout needs another look (minReadySeconds, a progress deadline); from the last pass. */
  private rolloutWakeAt: number | null = null;

  private readonly badRows = new BadRowReporter();

  private reportBadRows(bad: readonly BadRow[], now: number): void {
    const events = this.badRows.report(bad, now);
    for (const e of events)
      if (e.op === "recordEvent") this.log.warn(e.message, { event: "InvalidRow", object: e.objectName });
    this.store.commit(events);
  }

  /** Journal position already counted into mk_pods_created_total (set at start). */
  private journalSeq = 0;

  /** Pods are created by apply (any process) and by the controller: the journal sees them all. */
  private countCreatedPods(): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const { created, seq } = this.store.createdPodsSince(this.journalSeq);
    if (created > 0) metrics.podsCreated.inc(created);
    this.journalSeq = seq;
  }

  // ---- nodes

  /** Opens agents for nodes in the table and closes those of removed nodes. */
  syncNodes(): void {
    const rows = this.store.listNodes();
    const names = new Set(rows.map((r) => r.name));
    for (const [name, h] of this.nodes) {
      const row = rows.find((r) => r.name === name);
      if (
        !names.has(name) ||
        (row && (row.docker !== h.row.docker || row.identityFile !== h.row.identityFile))
      ) {
        h.abort.abort();
        h.probes.stop();
        h.conn.close();
        this.nodes.delete(name);
        this.usage.delete(name);
        this.usageHistory.forgetNode(name);
      } else if (row) h.row = row;
    }
    for (const row of rows) {
      if (this.nodes.has(row.name)) continue;
      try {
        const conn = connectNode(row, this.ssh);
        const trigger = new Trigger();
        const probes = new ProbeManager({
          runtime: conn.runtime,
          dial: conn.dial,
          log: this.log.child("probe"),
          onChange: () => trigger.fire(),
          onFailure: (f) => {
            this.options.metrics?.probeFailures.inc({ probe: f.kind });
            const kind = f.kind[0]?.toUpperCase() + f.kind.slice(1);
            guarded(this.log, "probe event", () =>
              this.store.commit([
                {
                  op: "recordEvent",
                  type: "Warning",
                  reason: "Unhealthy",
                  objectKind: "Pod",
                  objectName: f.pod,
                  node: row.name,
                  message: `${kind} probe failed: ${f.message}`,
                  at: this.clock.now(),
                },
              ]),
            );
          },
        });
        // Nothing changes on a node once the term that planned it has ended: the agent's own term,
        // not the current one, or an action still running from the last term (its agent closed,
        // its pods unknown to the new term's agent) would start a second run of a container.
        const born = this.term;
        const agent = new NodeAgent({
          store: this.store,
          runtime: fenceRuntime(
            conn.runtime,
            () => born ?? this.term,
            () => this.store.synced(),
          ),
          node: row.name,
          cluster: this.cluster,
          clock: this.clock,
          backoff: this.opts.backoff,
          log: this.log.child("agent"),
          probes,
          ...(row.docker.startsWith("ssh://")
            ? { transferImage: imageTransfer(this.localRuntime(), conn.runtime, row.name) }
            : {}),
          onResults: (results, ms) => {
            this.options.metrics?.recordActions(results);
            this.options.metrics?.reconcileDuration.observe(ms / 1000);
          },
          onSettled: () => trigger.fire(),
          onPodStarted: (_pod, latencyMs) =>
            this.options.metrics?.podStartupLatency.observe(latencyMs / 1000),
        });
        this.nodes.set(row.name, { row, conn, agent, trigger, abort: new AbortController(), probes });
      } catch (err) {
        this.log.warn(`Cannot connect node ${row.name}: ${errorMessage(err)}`, {
          node: row.name,
          event: "connect",
        });
      }
    }
  }

  private local: NodeConnection | undefined;
  /** The signal of the term (or converge) the agents act for. */
  private term: AbortSignal | undefined;
  /** This term's observations of node heartbeats (undefined when not leading: rows' times then). */
  private health: NodeHealth | undefined;
  private readonly disruption = new DisruptionWatch();

  /** The controller's own engine: the source of images for nodes without a registry. */
  localRuntime(): NodeConnection["runtime"] {
    this.local ??= connectNode({ name: "controller", docker: localDockerUrl() });
    return this.local.runtime;
  }

  /** The latest Docker stats of every node's pods (every 10 s, with metrics on): for mk top. */
  usageSamples(): PodUsage[] {
    return [...this.usage.values()].flat();
  }

  /** The agent's live connection to a node (exec, logs, port-forward share it), while leading. */
  connection(name: string): NodeConnection | undefined {
    return this.nodes.get(name)?.conn;
  }

  agents(): NodeAgent[] {
    return [...this.nodes.values()].map((h) => h.agent);
  }

  /** Pings one node and records its state; reads capacity on the first good ping. */
  async heartbeat(h: NodeHandle): Promise<boolean> {
    const at = this.clock.now();
    try {
      if (!h.row.dockerVersion || h.row.state !== "Ready") {
        const info = await withTimeout(h.conn.runtime.info(), 5000, `docker info of node ${h.row.name}`);
        this.store.commit([
          {
            op: "setNodeStatus",
            name: h.row.name,
            state: "Ready",
            message: null,
            at,
            heartbeat: true,
            capacity: {
              cpuMilli: info.cpus * 1000,
              memoryBytes: info.memoryBytes,
              dockerVersion: info.serverVersion,
            },
          },
        ]);
      } else {
        await withTimeout(
          h.conn.runtime.ping(),
          Math.max(2000, this.opts.heartbeatMs * 2),
          `ping of node ${h.row.name}`,
        );
        this.store.commit([
          { op: "setNodeStatus", name: h.row.name, state: "Ready", message: null, at, heartbeat: true },
        ]);
      }
      return true;
    } catch (err) {
      guarded(this.log, "heartbeat", () =>
        this.store.commit([
          {
            op: "setNodeStatus",
            name: h.row.name,
            // A missed heartbeat changes no state: the controller turns the node Unknown after the grace period.
            state: (this.store.getNode(h.row.name)?.state ?? "Unknown") as NodeState,
            message: errorMessage(err),
            at,
            heartbeat: false,
          },
        ]),
      );
      return false;
    }
  }

  /** One full pass: controller, every node's agent, controller again. For apply and tests. */
  async runOnce(signal?: AbortSignal): Promise<void> {
    this.ensureLocalNode();
    this.syncNodes();
    await Promise.all([...this.nodes.values()].map((h) => this.heartbeat(h)));
    if (signal?.aborted) return;
    this.controllerPass();
    if (signal?.aborted) return;
    await Promise.all(
      [...this.nodes.values()].map(async (h) => {
        try {
          await h.agent.pass();
        } catch (err) {
          this.log.warn(`Agent pass on ${h.row.name} failed: ${errorMessage(err)}`, {
            node: h.row.name,
            event: "pass",
          });
        }
      }),
    );
    // No heartbeat loop runs beside this: beat again, or a long pass (50 creates) would look like
    // a silent node to the lifecycle check and its pods would be evicted.
    if (signal?.aborted) return;
    await Promise.all([...this.nodes.values()].map((h) => this.heartbeat(h)));
    if (signal?.aborted) return;
    this.controllerPass();
  }

  /**
   * What `mk apply` does with no server: take the lease, run passes until `done` says so or the
   * timeout passes, release the lease. Returns false when another controller holds the lease.
   */
  async converge(done: () => boolean, timeoutMs: number): Promise<"converged" | "timeout" | "lease-held"> {
    const since = this.clock.now();
    if (tryLease(this.store, CONTROLLER_LEASE, this.identity, this.opts.leaseMs).action === "wait")
      return "lease-held";
    // The lease is renewed during passes too (a pass of 50 creates or an image copy outlasts a
    // lease); a renewal that fails past the renew deadline stops the converge before the lease
    // can expire, so a server waiting for it never reconciles beside us.
    const term = new AbortController();
    const keeper = keepTerm({
      timing: this.timing,
      term,
      log: this.log.child("engine"),
      clock: this.clock,
      since,
      renew: () =>
        tryLease(this.store, CONTROLLER_LEASE, this.identity, this.opts.leaseMs).action === "wait"
          ? "lost"
          : "renewed",
    });
    const deadline = this.clock.now() + timeoutMs;
    this.term = term.signal;
    try {
      let first = true;
      for (;;) {
        await this.runOnce(term.signal);
        if (term.signal.aborted) return "lease-held";
        if (done()) return "converged";
        if (first) {
          first = false;
          // Nothing can run when no node answers: say so now instead of waiting for the timeout.
          const nodes = this.store.listNodes();
          if (nodes.length > 0 && nodes.every((n) => n.state !== "Ready")) {
            throw new RuntimeError(
              `Cannot run pods: no node is reachable (${nodes.map((n) => `${n.name}: ${n.message ?? n.state}`).join("; ")})`,
            );
          }
        }
        if (this.clock.now() >= deadline) return "timeout";
        await sleep(100, term.signal);
        if (term.signal.aborted) return "lease-held";
      }
    } finally {
      term.abort(new Error("converge done"));
      await keeper;
      this.close();
      releaseLease(this.store, CONTROLLER_LEASE, this.identity);
    }
  }

  /**
   * The server's loop: waits to lead (the elector), runs every leader-only loop for the term, and
   * when the term ends (lease lost, renew deadline passed) stops them all and waits again.
   * Returns when `signal` aborts.
   */
  async run(signal: AbortSignal, onLeader?: () => void, onFollower?: () => void): Promise<void> {
    const elector =
      this.options.elector ??
      new SqliteLeaseElector({
        store: this.store,
        name: CONTROLLER_LEASE,
        identity: this.identity,
        timing: this.timing,
        log: this.log.child("engine"),
        clock: this.clock,
      });
    await runLeadership(elector, this.leaderLoops, signal, this.log.child("engine"), {
      ...(onLeader ? { onLeader: () => onLeader() } : {}),
      ...(onFollower ? { onFollower } : {}),
    });
  }

  /** The controller's part of a term: controller loop and node loops, until `signal` aborts. */
  private async lead(signal: AbortSignal): Promise<void> {
    const log = this.log.child("engine");
    const leader = new AbortController();
    const stopAll = () => leader.abort();
    if (signal.aborted) return;
    signal.addEventListener("abort", stopAll, { once: true });
    this.term = leader.signal;

    guarded(log, "controller", () => this.ensureLocalNode());
    const loops: Promise<void>[] = [];
    // A new term has seen no heartbeat yet: every node's grace period starts now.
    const health = new NodeHealth({ now: this.monotonic, stallMs: this.stallMs() });
    this.health = health;
    loops.push(nodeHealthLoop(health, () => goodNodes(this.store.listNodes(), []), this.log, leader.signal));
    const unsubscribe = this.store.onCommit((muts) => {
      if (
        muts.some(
          (m) =>
            m.op !== "recordEvent" &&
            m.op !== "replaceObservedContainers" &&
            m.op !== "setNodeStatus" &&
            m.op !== "putAutoscalerStatus",
        )
      ) {
        this.controllerTrigger.fire();
        for (const h of this.nodes.values()) h.trigger.fire();
      }
    });
    const started = new Set<string>();
    const startNodeLoops = () => {
      for (const [name, h] of this.nodes) {
        if (started.has(name)) continue;
        started.add(name);
        loops.push(this.nodeLoop(h, leader.signal).finally(() => started.delete(name)));
      }
    };

    // A new leader's view of heartbeats is as old as the last leader's: beat every node once
    // before the first lifecycle check, or a failover would declare healthy nodes Unknown.
    guarded(log, "controller", () => this.syncNodes());
    await Promise.all(
      [...this.nodes.values()].map((h) =>
        withTimeout(this.heartbeat(h), Math.max(2000, this.opts.heartbeatMs * 2), "first heartbeat").catch(
          () => false,
        ),
      ),
    );

    // Another process's commit (an apply) shows as a new data_version: poll it cheaply.
    loops.push(
      (async () => {
        let version = 0;
        while (!leader.signal.aborted) {
          await sleep(200, leader.signal);
          const v = guarded(log, "poll", () => this.store.dataVersion());
          if (v !== undefined && v !== version) {
            version = v;
            this.controllerTrigger.fire();
            for (const h of this.nodes.values()) h.trigger.fire();
          }
        }
      })(),
    );

    const autoscaler = this.options.autoscaler;
    if (autoscaler) {
      const deps = {
        store: this.store,
        log: this.log.child("autoscaler"),
        clock: this.clock,
        history: this.usageHistory,
      };
      loops.push(
        runAutoscaler(
          autoscaler,
          this.options.metrics ? { ...deps, metrics: this.options.metrics } : deps,
          leader.signal,
        ),
      );
    }

    let lastPrune = 0;
    try {
      while (!leader.signal.aborted) {
        const t0 = performance.now();
        let waitMs = this.opts.resyncMs;
        guarded(log, "controller", () => {
          this.syncNodes();
          startNodeLoops();
          this.controllerPass();
          const now = this.clock.now();
          if (now - lastPrune > 60_000) {
            // Events older than an hour go, so the table stays small however long mk runs.
            this.store.commit([{ op: "pruneEvents", before: now - EVENT_TTL_MS }]);
            lastPrune = now;
          }
          const deadline = nextLifecycleDeadline(
            this.store.listNodes(),
            { graceMs: this.opts.nodeGraceMs, evictionDelayMs: this.opts.evictionDelayMs },
            now,
            health,
          );
          if (deadline !== null) waitMs = Math.min(waitMs, deadline - now);
          if (this.rolloutWakeAt !== null)
            waitMs = Math.min(waitMs, Math.max(10, this.rolloutWakeAt - now + 5));
        });
        this.options.metrics?.reconcileDuration.observe((performance.now() - t0) / 1000);
        await this.controllerTrigger.wait(waitMs, leader.signal);
      }
    } finally {
      unsubscribe();
      leader.abort();
      if (this.health === health) this.health = undefined;
      signal.removeEventListener("abort", stopAll);
      await Promise.allSettled(loops);
      this.close();
    }
  }

  /** Monotonic ms for node health: the fake clock in tests, else performance.now(). */
  private readonly monotonic = (): number =>
    this.options.clock ? this.options.clock.now() : performance.now();

  /** A gap this long between ticks of the stall loop is a stall of this process. */
  private stallMs(): number {
    return Math.max(1000, Math.min(this.opts.nodeGraceMs / 2, this.opts.heartbeatMs * 2));
  }

  private async nodeLoop(h: NodeHandle, signal: AbortSignal): Promise<void> {
    const name = h.row.name;
    const stop = AbortSignal.any([signal, h.abort.signal]);
    const watch = h.agent.watch(() => h.trigger.fire(), stop);
    const usage = this.options.metrics ? this.usageLoop(h, stop) : Promise.resolve();
    const beat = (async () => {
      while (!stop.aborted) {
        const ok = await this.heartbeat(h);
        if (ok && h.row.state !== "Ready") h.trigger.fire();
        await sleep(this.opts.heartbeatMs, stop);
      }
    })();
    while (!stop.aborted) {
      let wakeAt: number | null = null;
      try {
        // Actions run in the background; when a pod's are done, onSettled wakes this loop again.
        const r = await h.agent.pass({ wait: false });
        wakeAt = r.nextWakeAt;
      } catch (err) {
        this.log.warn(`Agent pass failed: ${errorMessage(err)}`, { node: name, event: "pass" });
      }
      const untilWake = wakeAt === null ? this.opts.resyncMs : Math.max(0, wakeAt - this.clock.now()) + 5;
      await h.trigger.wait(Math.min(this.opts.resyncMs, untilWake), stop);
    }
    await Promise.allSettled([watch, beat, usage]);
  }

  /** Docker stats of the node's pods, every 10 s, for the per-pod CPU and memory gauges and the autoscaler. */
  private async usageLoop(h: NodeHandle, stop: AbortSignal): Promise<void> {
    const metrics = this.options.metrics;
    if (!metrics) return;
    while (!stop.aborted) {
      try {
        const list = await h.conn.runtime.list({ "mk.managed": "true", "mk.cluster": this.cluster });
        const round = await collectUsage(h.conn.runtime, h.row.name, list);
        this.usage.set(h.row.name, round);
        this.usageHistory.record(h.row.name, round, this.clock.now());
        metrics.setUsage([...this.usage.values()].flat());
      } catch {
        // node unreachable: its last numbers stay until it answers again or is removed
      }
      await sleep(this.options.statsIntervalMs ?? 10_000, stop);
    }
  }

  close(): void {
    for (const h of this.nodes.values()) {
      h.abort.abort();
      h.probes.stop();
      h.conn.close();
    }
    this.nodes.clear();
  }
}
