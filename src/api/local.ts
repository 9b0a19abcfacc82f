// MkApi over a local state file: the store for state, the pod's node's Docker engine for logs.
import type { Duplex, Readable } from "node:stream";
import { parseManifestSources } from "../manifest/sources.ts";
import type { PodUsage } from "../metrics/registry.ts";
import type { SshConnector } from "../node/connect.ts";
import { applyObjects, diffObjects } from "../ops/apply.ts";
import {
  addNode,
  cordonNode,
  type DeleteOptions,
  deleteObjects,
  drainNode,
  removeNode,
  scalePodSet,
} from "../ops/commands.ts";
import { kubeObjects } from "../ops/kube-objects.ts";
import { type ExecRequest, podDial, podExec } from "../ops/pod-exec.ts";
import { type LogRequest, podLogs } from "../ops/pod-logs.ts";
import { type NodeLease, type NodeOpener, openNodeFresh } from "../ops/pod-target.ts";
import * as q from "../ops/queries.ts";
import * as rollout from "../ops/rollout.ts";
import { sampleUsage, type TopReport, topReport } from "../ops/top.ts";
import type { ExecSession } from "../runtime/runtime.ts";
import { readLease } from "../store/lease.ts";
import type { Store } from "../store/store.ts";
import { VERSION } from "../version.ts";
import { DEFAULT_SQL_LIMITS, runSqlIsolated, type SqlLimits } from "./sql-runner.ts";
import type { ManifestSource, MkApi, ServerStatus } from "./types.ts";

export class LocalApi implements MkApi {
  constructor(
    readonly store: Store,
    private readonly opts: {
      identity?: string;
      ssh?: SshConnector;
      isLeader?: () => boolean;
      ha?: () => NonNullable<ServerStatus["ha"]>;
      openNode?: NodeOpener;
      usage?: () => PodUsage[];
      /** The server's SQL limits (--sql-timeout, --sql-max-rows): callers may only lower them. */
      sqlLimits?: SqlLimits;
    } = {},
  ) {}

  async apply(sources: ManifestSource[], opts: { dryRun: boolean }) {
    return applyObjects(this.store, parseManifestSources(sources), opts);
  }
  async diff(sources: ManifestSource[]) {
    return diffObjects(this.store, parseManifestSources(sources));
  }
  async refs(sources: ManifestSource[]) {
    return parseManifestSources(sources).map((o) => ({ kind: o.kind, name: o.metadata.name }));
  }
  async delete(refs: { kind: string; name: string }[], opts: DeleteOptions = {}) {
    return deleteObjects(this.store, refs, opts);
  }
  async objects(kind: string, name?: string) {
    return kubeObjects(this.store, kind, name);
  }
  async pods() {
    return q.listPods(this.store);
  }
  async pod(name: string) {
    return q.getPod(this.store, name);
  }
  async podSets() {
    return q.listPodSets(this.store);
  }
  async podSet(name: string) {
    return q.getPodSet(this.store, name);
  }
  async nodes() {
    return q.listNodes(this.store);
  }
  async node(name: string) {
    return q.getNode(this.store, name);
  }
  async autoscalers() {
    return q.listAutoscalers(this.store);
  }
  async autoscaler(name: string) {
    return q.getAutoscaler(this.store, name);
  }
  async events(opts: { kind?: string; name?: string; limit?: number }) {
    return q.listEvents(this.store, opts);
  }
  async describe(kind: string, name: string) {
    return q.describe(this.store, kind, name);
  }
  async scale(name: string, replicas: number) {
    return scalePodSet(this.store, name, replicas);
  }
  async sql(query: string, limits: Partial<SqlLimits> = {}) {
    const cap = this.opts.sqlLimits;
    const pick = (k: keyof SqlLimits) =>
      cap ? Math.min(cap[k], limits[k] ?? cap[k]) : (limits[k] ?? DEFAULT_SQL_LIMITS[k]);
    return runSqlIsolated(this.store.path, query, { timeoutMs: pick("timeoutMs"), maxRows: pick("maxRows") });
  }
  async rolloutStatus(name: string) {
    return rollout.rolloutStatus(this.store, name);
  }
  async rolloutHistory(name: string, revision?: number) {
    return rollout.rolloutHistory(this.store, name, revision);
  }
  async rolloutUndo(name: string, toRevision?: number) {
    return rollout.rolloutUndo(this.store, name, toRevision);
  }
  async rolloutPause(name: string, paused: boolean) {
    return rollout.rolloutPause(this.store, name, paused);
  }
  async rolloutRestart(name: string) {
    return rollout.rolloutRestart(this.store, name);
  }
  async setImage(name: string, images: Record<string, string>) {
    return rollout.setImage(this.store, name, images);
  }
  async nodeAdd(opts: Parameters<MkApi["nodeAdd"]>[0]) {
    return addNode(this.store, opts);
  }
  async nodeRemove(name: string) {
    return removeNode(this.store, name);
  }
  async cordon(name: string, unschedulable: boolean) {
    return cordonNode(this.store, name, unschedulable);
  }
  async drain(name: string) {
    return drainNode(this.store, name);
  }

  /** Connections this API opened itself (no shared ones given): one per node, closed with it. */
  private readonly own = new Map<string, NodeLease>();

  /** How this API reaches a node's Docker: the server shares its agents' connections. */
  private readonly openNode: NodeOpener = async (node) => {
    if (this.opts.openNode) return this.opts.openNode(node);
    let lease = this.own.get(node.name);
    if (!lease) {
      lease = await openNodeFresh(this.opts.ssh)(node);
      this.own.set(node.name, lease);
    }
    return { conn: lease.conn, release() {} };
  };

  async logs(pod: string, opts: LogRequest): Promise<Readable> {
    return podLogs(this.store, pod, opts, this.openNode);
  }
  async exec(pod: string, req: ExecRequest): Promise<ExecSession> {
    return podExec(this.store, pod, req, this.openNode);
  }
  async top(): Promise<TopReport> {
    // The server's samples when it has them (every 10 s), else a fresh look at every node.
    const samples = this.opts.usage?.();
    if (samples && samples.length > 0) {
      return topReport(samples, this.store.listNodes(), this.store.listPods());
    }
    return sampleUsage(this.store, this.openNode);
  }
  async dial(pod: string, port: number): Promise<Duplex> {
    return podDial(this.store, pod, port, this.openNode);
  }

  async status(): Promise<ServerStatus> {
    const ha = this.opts.ha?.();
    const lease = ha ? undefined : readLease(this.store, "controller");
    const now = this.store.clock.now();
    return {
      version: VERSION,
      cluster: this.store.clusterId(),
      identity: this.opts.identity ?? "cli",
      leader: this.opts.isLeader?.() ?? false,
      state: this.store.path,
      ...(lease && lease.expiresAt > now ? { leaseHolder: lease.holder } : {}),
      ...(ha ? { ha, ...(ha.leader ? { leaseHolder: ha.leader } : {}) } : {}),
    };
  }

  close(): void {
    for (const lease of this.own.values()) lease.release();
    this.own.clear();
    this.store.close();
  }
}
