// MkApi over the HTTP API of a running `mk server` (--server URL / MK_SERVER). In HA mode the
// value is a comma-separated list: a server that does not answer, or answers that it has no
// leader (503 no_leader / log_unavailable, e.g. during a failover), is skipped for the next, and
// the list is tried again until a deadline (server-failover.ts).
import { readFileSync } from "node:fs";
import { type Duplex, Readable } from "node:stream";
import { MkError, RuntimeError, UsageError } from "../lib/errors.ts";
import type { ExecRequest } from "../ops/pod-exec.ts";
import type { LogRequest } from "../ops/pod-logs.ts";
import type { TopReport } from "../ops/top.ts";
import type { ExecSession } from "../runtime/runtime.ts";
import { isLoopbackHost } from "./auth.ts";
import { remoteDial, remoteExec, type UpgradeOptions } from "./remote-upgrade.ts";
import { withFailover } from "./server-failover.ts";
import { caFetcher, type Fetcher, globalFetcher } from "./transport.ts";
import type { ManifestSource, MkApi, ServerStatus } from "./types.ts";

export interface RemoteOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** A PEM CA file to trust for an https:// server. */
  caFile?: string;
  /** Where a warning goes (a token over plain HTTP off loopback). */
  warn?: (message: string) => void;
}

/** Errors a server answers with a 4xx that are failures of the state, not of the request: exit 3, as locally. */
const STATE_FAILURE_CODES: ReadonlySet<string> = new Set(["invalid_row", "lease_held"]);

class RemoteError extends MkError {
  constructor(code: string, message: string, status: number, details: Record<string, unknown>) {
    super(code, message, {
      details,
      httpStatus: status,
      exitCode: status >= 500 || STATE_FAILURE_CODES.has(code) ? 3 : 1,
    });
  }
}

export class RemoteApi implements MkApi {
  private base: string;
  private readonly bases: string[];
  private readonly fetch: Fetcher;
  private readonly auth: Record<string, string>;
  /** The CA a self-signed server is trusted with (exec and port-forward open their own connections). */
  private readonly ca: Buffer | undefined;

  constructor(server: string, opts: RemoteOptions = {}) {
    // HA: a comma-separated list of the control plane's servers, each checked.
    this.bases = server
      .split(",")
      .map((s) => s.trim().replace(/\/+$/, ""))
      .filter(Boolean);
    if (this.bases.length === 0)
      throw new UsageError(`--server ${server}: expected a URL such as http://127.0.0.1:7070`);
    this.base = this.bases[0] ?? server;
    for (const base of this.bases) {
      let url: URL;
      try {
        url = new URL(base);
      } catch {
        throw new UsageError(`--server ${base}: expected a URL such as http://127.0.0.1:7070`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:")
        throw new UsageError(`--server ${base}: expected an http:// or https:// URL`);
      if (opts.token !== undefined && url.protocol === "http:" && !isLoopbackHost(url.hostname))
        opts.warn?.(
          `the API token travels unencrypted to ${url.host}; serve HTTPS (mk server --tls-cert/--tls-key) and use https://`,
        );
    }
    let ca: Buffer | undefined;
    if (opts.caFile !== undefined) {
      try {
        ca = readFileSync(opts.caFile);
      } catch (err) {
        throw new UsageError(
          `--ca-file ${opts.caFile}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    }
    this.fetch = ca ? caFetcher(ca) : globalFetcher;
    this.ca = ca;
    this.auth = opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {};
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    // One server too is asked again while it answers 503 no_leader/not_leader/log_unavailable
    // (an HA server during an election), as client-go retries a 503; one that is down fails at once.
    return withFailover(this.bases, this.base, (base) => {
      this.base = base;
      return this.callOne<T>(method, path, body);
    });
  }

  private async callOne<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      // Anything but GET says application/json, even without a body: the server refuses other
      // state changes (a browser form could send them).
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers: {
          ...this.auth,
          ...(method !== "GET" ? { "content-type": "application/json" } : {}),
        },
        ...(method !== "GET" ? { body: JSON.stringify(body ?? {}) } : {}),
      });
    } catch (err) {
      throw new RuntimeError(
        `Cannot reach mk server at ${this.base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RuntimeError(
        `mk server at ${this.base} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`,
      );
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
        .error;
      throw new RemoteError(
        e?.code ?? "http_error",
        e?.message ?? `HTTP ${res.status}`,
        res.status,
        e?.details ?? {},
      );
    }
    return json as T;
  }

  apply(sources: ManifestSource[], opts: { dryRun: boolean }) {
    return this.call<Awaited<ReturnType<MkApi["apply"]>>>("POST", "/api/v1/apply", {
      manifests: sources,
      dryRun: opts.dryRun,
    });
  }
  diff(sources: ManifestSource[]) {
    return this.call<Awaited<ReturnType<MkApi["diff"]>>>("POST", "/api/v1/diff", { manifests: sources });
  }
  refs(sources: ManifestSource[]) {
    return this.call<Awaited<ReturnType<MkApi["refs"]>>>("POST", "/api/v1/refs", { manifests: sources });
  }
  delete(refs: { kind: string; name: string }[], opts: { graceSeconds?: number; force?: boolean } = {}) {
    return this.call<Awaited<ReturnType<MkApi["delete"]>>>("POST", "/api/v1/delete", {
      refs,
      ...(opts.graceSeconds !== undefined ? { gracePeriodSeconds: opts.graceSeconds } : {}),
      ...(opts.force ? { force: true } : {}),
    });
  }
  objects(kind: string, name?: string) {
    const resource = `${kind.toLowerCase()}s`;
    return name === undefined
      ? this.call<Awaited<ReturnType<MkApi["objects"]>>>("GET", `/api/v1/objects/${resource}`)
      : this.call<Awaited<ReturnType<MkApi["objects"]>>>(
          "GET",
          `/api/v1/objects/${resource}/${encodeURIComponent(name)}`,
        );
  }
  pods() {
    return this.call<Awaited<ReturnType<MkApi["pods"]>>>("GET", "/api/v1/pods");
  }
  pod(name: string) {
    return this.call<Awaited<ReturnType<MkApi["pod"]>>>("GET", `/api/v1/pods/${encodeURIComponent(name)}`);
  }
  podSets() {
    return this.call<Awaited<ReturnType<MkApi["podSets"]>>>("GET", "/api/v1/podsets");
  }
  podSet(name: string) {
    return this.call<Awaited<ReturnType<MkApi["podSet"]>>>(
      "GET",
      `/api/v1/podsets/${encodeURIComponent(name)}`,
    );
  }
  nodes() {
    return this.call<Awaited<ReturnType<MkApi["nodes"]>>>("GET", "/api/v1/nodes");
  }
  node(name: string) {
    return this.call<Awaited<ReturnType<MkApi["node"]>>>("GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
  }
  autoscalers() {
    return this.call<Awaited<ReturnType<MkApi["autoscalers"]>>>("GET", "/api/v1/autoscalers");
  }
  autoscaler(name: string) {
    return this.call<Awaited<ReturnType<MkApi["autoscaler"]>>>(
      "GET",
      `/api/v1/autoscalers/${encodeURIComponent(name)}`,
    );
  }
  events(opts: { kind?: string; name?: string; limit?: number }) {
    const qs = new URLSearchParams();
    if (opts.kind) qs.set("kind", opts.kind);
    if (opts.name) qs.set("name", opts.name);
    if (opts.limit) qs.set("limit", String(opts.limit));
    return this.call<Awaited<ReturnType<MkApi["events"]>>>("GET", `/api/v1/events?${qs}`);
  }
  describe(kind: string, name: string) {
    return this.call<Awaited<ReturnType<MkApi["describe"]>>>(
      "GET",
      `/api/v1/describe/${kind.toLowerCase()}/${encodeURIComponent(name)}`,
    );
  }
  scale(name: string, replicas: number) {
    return this.call<Awaited<ReturnType<MkApi["scale"]>>>(
      "POST",
      `/api/v1/podsets/${encodeURIComponent(name)}/scale`,
      { replicas },
    );
  }
  sql(query: string, limits: { timeoutMs?: number; maxRows?: number } = {}) {
    return this.call<Awaited<ReturnType<MkApi["sql"]>>>("POST", "/api/v1/sql", { query, ...limits });
  }
  private podSetPath(name: string, rest: string): string {
    return `/api/v1/podsets/${encodeURIComponent(name)}/${rest}`;
  }
  rolloutStatus(name: string) {
    return this.call<Awaited<ReturnType<MkApi["rolloutStatus"]>>>("GET", this.podSetPath(name, "rollout"));
  }
  rolloutHistory(name: string, revision?: number) {
    const qs = revision === undefined ? "" : `?revision=${revision}`;
    return this.call<Awaited<ReturnType<MkApi["rolloutHistory"]>>>(
      "GET",
      this.podSetPath(name, `revisions${qs}`),
    );
  }
  rolloutUndo(name: string, toRevision?: number) {
    return this.call<Awaited<ReturnType<MkApi["rolloutUndo"]>>>(
      "POST",
      this.podSetPath(name, "rollout/undo"),
      toRevision === undefined ? {} : { toRevision },
    );
  }
  rolloutPause(name: string, paused: boolean) {
    return this.call<Awaited<ReturnType<MkApi["rolloutPause"]>>>(
      "POST",
      this.podSetPath(name, `rollout/${paused ? "pause" : "resume"}`),
      {},
    );
  }
  rolloutRestart(name: string) {
    return this.call<Awaited<ReturnType<MkApi["rolloutRestart"]>>>(
      "POST",
      this.podSetPath(name, "rollout/restart"),
      {},
    );
  }
  setImage(name: string, images: Record<string, string>) {
    return this.call<Awaited<ReturnType<MkApi["setImage"]>>>("POST", this.podSetPath(name, "image"), {
      images,
    });
  }
  nodeAdd(opts: Parameters<MkApi["nodeAdd"]>[0]) {
    return this.call<Awaited<ReturnType<MkApi["nodeAdd"]>>>("POST", "/api/v1/nodes", opts);
  }
  nodeRemove(name: string) {
    return this.call<Awaited<ReturnType<MkApi["nodeRemove"]>>>(
      "DELETE",
      `/api/v1/nodes/${encodeURIComponent(name)}`,
    );
  }
  cordon(name: string, unschedulable: boolean) {
    return this.call<Awaited<ReturnType<MkApi["cordon"]>>>(
      "POST",
      `/api/v1/nodes/${encodeURIComponent(name)}/${unschedulable ? "cordon" : "uncordon"}`,
    );
  }
  drain(name: string) {
    return this.call<Awaited<ReturnType<MkApi["drain"]>>>(
      "POST",
      `/api/v1/nodes/${encodeURIComponent(name)}/drain`,
    );
  }
  async logs(pod: string, opts: LogRequest): Promise<Readable> {
    const qs = new URLSearchParams();
    if (opts.container) qs.set("container", opts.container);
    if (opts.allContainers) qs.set("allContainers", "1");
    if (opts.previous) qs.set("previous", "1");
    if (opts.follow) qs.set("follow", "1");
    if (opts.timestamps) qs.set("timestamps", "1");
    if (opts.tail !== undefined) qs.set("tail", String(opts.tail));
    if (opts.sinceMs !== undefined) qs.set("sinceTime", new Date(opts.sinceMs).toISOString());
    let res: Response;
    try {
      res = await this.fetch(`${this.base}/api/v1/pods/${encodeURIComponent(pod)}/logs?${qs}`, {
        headers: this.auth,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      throw new RuntimeError(
        `Cannot reach mk server at ${this.base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      throw new RemoteError(
        body.error?.code ?? "http_error",
        body.error?.message ?? `HTTP ${res.status}`,
        res.status,
        {},
      );
    }
    return Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  }
  /** exec and port-forward open their own connection: the same token, the same CA. */
  private upgradeOptions(): UpgradeOptions {
    return { headers: this.auth, ...(this.ca ? { ca: this.ca } : {}) };
  }
  exec(pod: string, req: ExecRequest): Promise<ExecSession> {
    return remoteExec(this.base, pod, req, this.upgradeOptions());
  }
  top() {
    return this.call<TopReport>("GET", "/api/v1/top");
  }
  dial(pod: string, port: number): Promise<Duplex> {
    return remoteDial(this.base, pod, port, this.upgradeOptions());
  }
  status() {
    return this.call<ServerStatus>("GET", "/api/v1/status");
  }
  close(): void {}
}
