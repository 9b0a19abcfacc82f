// MkApi over the HTTP API of a running `mk server` (--server URL / MK_SERVER).
import { type Duplex, Readable } from "node:stream";
import { MkError, RuntimeError } from "../lib/errors.ts";
import type { ExecRequest } from "../ops/pod-exec.ts";
import type { LogRequest } from "../ops/pod-logs.ts";
import type { TopReport } from "../ops/top.ts";
import type { ExecSession } from "../runtime/runtime.ts";
import { remoteDial, remoteExec } from "./remote-upgrade.ts";
import type { ManifestSource, MkApi, ServerStatus } from "./types.ts";

class RemoteError extends MkError {
  constructor(code: string, message: string, status: number, details: Record<string, unknown>) {
    super(code, message, { details, httpStatus: status, exitCode: status >= 500 ? 3 : 1 });
  }
}

export class RemoteApi implements MkApi {
  private readonly base: string;

  constructor(server: string) {
    this.base = server.replace(/\/+$/, "");
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
          : {}),
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
  delete(refs: { kind: string; name: string }[]) {
    return this.call<Awaited<ReturnType<MkApi["delete"]>>>("POST", "/api/v1/delete", { refs });
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
  sql(query: string) {
    return this.call<Awaited<ReturnType<MkApi["sql"]>>>("POST", "/api/v1/sql", { query });
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
    const res = await fetch(
      `${this.base}/api/v1/pods/${encodeURIComponent(pod)}/logs?${qs}`,
      opts.signal ? { signal: opts.signal } : {},
    ).catch((err: Error & { cause?: Error }) => {
      throw new RuntimeError(`Cannot reach mk server at ${this.base}: ${err.cause?.message ?? err.message}`);
    });
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
  exec(pod: string, req: ExecRequest): Promise<ExecSession> {
    return remoteExec(this.base, pod, req);
  }
  top() {
    return this.call<TopReport>("GET", "/api/v1/top");
  }
  dial(pod: string, port: number): Promise<Duplex> {
    return remoteDial(this.base, pod, port);
  }
  status() {
    return this.call<ServerStatus>("GET", "/api/v1/status");
  }
  close(): void {}
}
