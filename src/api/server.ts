// The HTTP API of `mk server`: JSON routes over MkApi, plus /healthz, /readyz, /metrics and the
// status page. Errors map to a status in one place (errorResponse).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { InvalidInputError, MkError, NotFoundError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { ObjectRef } from "../ops/commands.ts";
import { rolloutRoutes } from "./rollout-routes.ts";
import type { ManifestSource, MkApi } from "./types.ts";

const MAX_BODY = 20 * 1024 * 1024;

export interface ServerDeps {
  api: MkApi;
  log: Logger;
  ready: () => boolean;
  metrics?: () => Promise<{ contentType: string; body: string }>;
  page?: (path: string) => { contentType: string; body: string } | undefined;
}

export type Handler = (req: IncomingMessage, url: URL, params: string[], body: unknown) => Promise<unknown>;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

class HttpError extends MkError {
  constructor(status: number, message: string) {
    super("http_error", message, { httpStatus: status });
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  if (req.method === "GET" || req.method === "HEAD") return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `Request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new InvalidInputError("Request body is not valid JSON");
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** body[key] as a list of records whose `fields` are all strings, or a 400 naming the shape. */
function stringRecords<T>(body: unknown, key: string, fields: readonly string[]): T[] {
  const list = isRecord(body) ? body[key] : undefined;
  if (
    !Array.isArray(list) ||
    !list.every((x) => isRecord(x) && fields.every((f) => typeof x[f] === "string"))
  ) {
    const shape = fields.map((f) => `"${f}": string`).join(", ");
    throw new InvalidInputError(`Expected a body {"${key}": [{${shape}}, ...]}`);
  }
  return list as T[];
}

const sourcesOf = (body: unknown) => stringRecords<ManifestSource>(body, "manifests", ["file", "text"]);
const refsOf = (body: unknown) => stringRecords<ObjectRef>(body, "refs", ["kind", "name"]);

const KIND_OF: Record<string, string> = {
  pod: "Pod",
  pods: "Pod",
  podset: "PodSet",
  podsets: "PodSet",
  node: "Node",
  nodes: "Node",
};

export function routes(api: MkApi): Route[] {
  const r = (method: string, path: string, handler: Handler): Route => ({
    method,
    pattern: new RegExp(`^${path.replace(/:[a-z]+/g, "([^/]+)")}$`),
    handler,
  });
  return [
    r("GET", "/api/v1/status", () => api.status()),
    r("POST", "/api/v1/apply", (_q, _u, _p, b) =>
      api.apply(sourcesOf(b), { dryRun: isRecord(b) && b.dryRun === true }),
    ),
    r("POST", "/api/v1/diff", (_q, _u, _p, b) => api.diff(sourcesOf(b))),
    r("POST", "/api/v1/refs", (_q, _u, _p, b) => api.refs(sourcesOf(b))),
    r("POST", "/api/v1/delete", (_q, _u, _p, b) => api.delete(refsOf(b))),
    r("GET", "/api/v1/pods", () => api.pods()),
    r("GET", "/api/v1/pods/:name", (_q, _u, [n]) => api.pod(n ?? "")),
    r("GET", "/api/v1/podsets", () => api.podSets()),
    r("GET", "/api/v1/podsets/:name", (_q, _u, [n]) => api.podSet(n ?? "")),
    r("POST", "/api/v1/podsets/:name/scale", (_q, _u, [n], b) => {
      const replicas = isRecord(b) ? b.replicas : undefined;
      if (typeof replicas !== "number") throw new InvalidInputError('Expected a body {"replicas": number}');
      return api.scale(n ?? "", replicas);
    }),
    ...rolloutRoutes(api, r),
    r("GET", "/api/v1/nodes", () => api.nodes()),
    r("POST", "/api/v1/nodes", (_q, _u, _p, b) => {
      if (!isRecord(b) || typeof b.name !== "string" || typeof b.docker !== "string") {
        throw new InvalidInputError('Expected a body {"name": string, "docker": string, ...}');
      }
      return api.nodeAdd(b as unknown as Parameters<MkApi["nodeAdd"]>[0]);
    }),
    r("GET", "/api/v1/nodes/:name", (_q, _u, [n]) => api.node(n ?? "")),
    r("DELETE", "/api/v1/nodes/:name", (_q, _u, [n]) => api.nodeRemove(n ?? "")),
    r("POST", "/api/v1/nodes/:name/cordon", (_q, _u, [n]) => api.cordon(n ?? "", true)),
    r("POST", "/api/v1/nodes/:name/uncordon", (_q, _u, [n]) => api.cordon(n ?? "", false)),
    r("POST", "/api/v1/nodes/:name/drain", (_q, _u, [n]) => api.drain(n ?? "")),
    r("GET", "/api/v1/events", (_q, u) => {
      const limit = u.searchParams.get("limit");
      return api.events({
        ...(u.searchParams.get("kind") ? { kind: u.searchParams.get("kind") ?? "" } : {}),
        ...(u.searchParams.get("name") ? { name: u.searchParams.get("name") ?? "" } : {}),
        ...(limit ? { limit: Number(limit) } : {}),
      });
    }),
    r("GET", "/api/v1/describe/:kind/:name", (_q, _u, [k, n]) => {
      const kind = KIND_OF[(k ?? "").toLowerCase()];
      if (!kind) throw new InvalidInputError(`Cannot describe ${k}: expected pod, podset or node`);
      return api.describe(kind, n ?? "");
    }),
    r("POST", "/api/v1/sql", (_q, _u, _p, b) => {
      const query = isRecord(b) ? b.query : undefined;
      if (typeof query !== "string") throw new InvalidInputError('Expected a body {"query": string}');
      return api.sql(query);
    }),
  ];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function errorResponse(err: unknown): {
  status: number;
  body: { error: { code: string; message: string; details: Record<string, unknown> } };
} {
  if (err instanceof MkError) return { status: err.httpStatus, body: { error: err.toJSON() } };
  return {
    status: 500,
    body: { error: { code: "internal", message: (err as Error)?.message ?? String(err), details: {} } },
  };
}

export function createApiServer(deps: ServerDeps): Server {
  const table = routes(deps.api);
  const log = deps.log.child("api");
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    let url = new URL("http://mk/");
    try {
      try {
        url = new URL(req.url ?? "/", "http://mk");
      } catch {
        throw new InvalidInputError(`Bad request URL ${JSON.stringify(req.url)}`);
      }
      if (url.pathname === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
        return;
      }
      if (url.pathname === "/readyz") {
        const ok = deps.ready();
        res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not leader yet\n");
        return;
      }
      if (url.pathname === "/metrics" && deps.metrics) {
        const m = await deps.metrics();
        res.writeHead(200, { "content-type": m.contentType }).end(m.body);
        return;
      }
      const logs = /^\/api\/v1\/pods\/([^/]+)\/logs$/.exec(url.pathname);
      if (logs && method === "GET") {
        const abort = new AbortController();
        res.on("close", () => abort.abort());
        const tail = url.searchParams.get("tail");
        const stream = await deps.api.logs(decodeURIComponent(logs[1] ?? ""), {
          ...(url.searchParams.get("container")
            ? { container: url.searchParams.get("container") ?? "" }
            : {}),
          follow: url.searchParams.get("follow") === "1",
          ...(tail ? { tail: Number(tail) } : {}),
          signal: abort.signal,
        });
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        // pipeline, not pipe: a Docker stream that fails (node gone, daemon restarted) ends this
        // response instead of throwing from an unwatched stream.
        pipeline(stream, res).catch((err: Error) => {
          log.warn(`logs of ${logs[1]} ended: ${err.message}`, { event: "http" });
          res.destroy();
        });
        return;
      }
      for (const route of table) {
        const m = route.pattern.exec(url.pathname);
        if (!m || route.method !== method) continue;
        const body = await readBody(req);
        const params = m.slice(1).map((p) => decodeURIComponent(p));
        send(res, 200, await route.handler(req, url, params, body));
        return;
      }
      if (method === "GET" && deps.page) {
        const page = deps.page(url.pathname);
        if (page) {
          res.writeHead(200, { "content-type": page.contentType }).end(page.body);
          return;
        }
      }
      if (table.some((r) => r.pattern.test(url.pathname)))
        throw new HttpError(405, `Method ${method} not allowed on ${url.pathname}`);
      throw new NotFoundError("route", url.pathname);
    } catch (err) {
      const { status, body } = errorResponse(err);
      if (status >= 500)
        log.error(`${method} ${url.pathname} failed: ${body.error.message}`, { event: "http" });
      if (!res.headersSent) send(res, status, body);
      else res.end();
    }
  };
  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Last resort: one bad request must never take the server down.
      log.error(`request failed: ${(err as Error)?.message ?? String(err)}`, { event: "http" });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
}
