// MkApi over a local state file: the store for state, the pod's node's Docker engine for logs.
import type { Readable } from "node:stream";
import { InvalidInputError, NotFoundError } from "../lib/errors.ts";
import { parseManifestSources } from "../manifest/sources.ts";
import type { PodSpec } from "../manifest/types.ts";
import type { SshConnector } from "../node/connect.ts";
import { applyObjects, diffObjects } from "../ops/apply.ts";
import { addNode, cordonNode, deleteObjects, drainNode, removeNode, scalePodSet } from "../ops/commands.ts";
import * as q from "../ops/queries.ts";
import * as rollout from "../ops/rollout.ts";
import { LABEL } from "../runtime/labels.ts";
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
  async delete(refs: { kind: string; name: string }[]) {
    return deleteObjects(this.store, refs);
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

  async logs(
    pod: string,
    opts: { container?: string; follow?: boolean; tail?: number; signal?: AbortSignal },
  ): Promise<Readable> {
    const row = this.store.getPod(pod);
    if (!row) throw new NotFoundError("pod", pod);
    const spec = JSON.parse(row.spec) as PodSpec;
    const names = spec.containers.map((c) => c.name);
    const container = opts.container ?? (names.length === 1 ? names[0] : undefined);
    if (!container) {
      throw new InvalidInputError(
        `Pod ${pod} has several containers: choose one with -c (${names.join(", ")})`,
      );
    }
    if (!names.includes(container)) throw new NotFoundError(`container of pod ${pod}`, container);
    if (!row.node) throw new InvalidInputError(`Pod ${pod} is not scheduled yet: no logs`);
    const node = this.store.getNode(row.node);
    if (!node) throw new NotFoundError("node", row.node);
    // Docker and SSH clients load only for logs: other commands start faster without them.
    const { connectNode } = await import("../node/connect.ts");
    const { defaultSshOptions, sshConnector } = await import("../node/ssh-docker.ts");
    const { silentLogger } = await import("../lib/log.ts");
    const conn = connectNode(node, this.opts.ssh ?? sshConnector(defaultSshOptions(silentLogger)));
    const found = await conn.runtime.list({ [LABEL.podUid]: row.uid, [LABEL.container]: container });
    const c = found.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0))[0];
    if (!c) {
      conn.close();
      throw new InvalidInputError(
        `Pod ${pod} container ${container} has no container on node ${row.node} yet`,
      );
    }
    const stream = await conn.runtime.logs(c.id, {
      ...(opts.follow !== undefined ? { follow: opts.follow } : {}),
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    stream.on("close", () => conn.close());
    stream.on("end", () => conn.close());
    return stream;
  }

  async status(): Promise<ServerStatus> {
    const lease = readLease(this.store, "controller");
    const now = this.store.clock.now();
    return {
      version: VERSION,
      cluster: this.store.clusterId(),
      identity: this.opts.identity ?? "cli",
      leader: this.opts.isLeader?.() ?? false,
      state: this.store.path,
      ...(lease && lease.expiresAt > now ? { leaseHolder: lease.holder } : {}),
    };
  }

  close(): void {
    this.store.close();
  }
}
