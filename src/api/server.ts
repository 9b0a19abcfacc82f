// The HTTP API of `mk server`: JSON routes over MkApi, plus /healthz, /livez, /readyz, /metrics and
// the status page. Every request passes the browser guard (guard.ts) and the token check (auth.ts)
// first, except the health routes; every body and parameter is validated (validate.ts) before a
// handler runs. Errors map to a status in one place (errorResponse).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { hostname } from "node:os";
import type { Duplex } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InvalidInputError, MkError, NotFoundError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { ObjectRef } from "../ops/commands.ts";
import { OBJECT_KINDS } from "../ops/kube-objects.ts";
import { asStateError } from "../store/state-errors.ts";
import { authenticate, authMessage, sessionCookie, tokensEqual } from "./auth.ts";
import { checkContentType, checkRequest } from "./guard.ts";
import { rolloutRoutes } from "./rollout-routes.ts";
import type { ManifestSource, MkApi } from "./types.ts";
import { handleUpgrade, refuseUpgrade } from "./upgrade-routes.ts";
import {
  applyBody,
  checkPathParams,
  deleteBody,
  eventsQuery,
  logsQuery,
  manifestsBody,
  noBody,
  nodeAddBody,
  parseRequest,
  queryObject,
  scaleBody,
  sqlBody,
} from "./validate.ts";

/** Largest request body (bytes); a larger one is refused with 413 before it is read. */
export const MAX_BODY = 20 * 1024 * 1024;

export interface SecurityOptions {
  /** The API token (MK_TOKEN / --token-file); undefined: no authentication. */
  token?: string;
  /** The listen host, for the Host check. */
  listenHost: string;
  /** Other names the Host header may carry (this machine's name is always one). */
  hostNames?: string[];
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface ServerDeps {
  api: MkApi;
  log: Logger;
  ready: () => boolean;
  metrics?: () => Promise<{ contentType: string; body: string }>;
  page?: (path: string) => { contentType: string; body: string } | undefined;
  /** /readyz as JSON with its status (HA mode: role, leader, term); default: ready() as text. */
  readyz?: () => { status: number; body: unknown };
  /**
   * Resolves when what a write request did is durable (HA: committed in the etcd log); the answer
   * waits for it, and a rejection is the answer instead. Absent: a commit is durable at once.
   */
  settle?: () => Promise<void>;
  /** Runs before the routes (HA: forwards writes to the leader); true = it answered. */
  intercept?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** GET /api/v1/history: the in-memory metrics history the status page charts. */
  history?: () => unknown;
  /** Default: loopback, no token, plain HTTP. */
  security?: SecurityOptions;
}

export type Handler = (req: IncomingMessage, url: URL, params: string[], body: unknown) => Promise<unknown>;

export interface Route {
  method: string;
  pattern: RegExp;
  /** The names of the path's parameters, in order (":name" -> "name"). */
  params: string[];
  handler: Handler;
}

class HttpError extends MkError {
  constructor(status: number, message: string, code = "http_error", details: Record<string, unknown> = {}) {
    super(code, message, { httpStatus: status, details });
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  if (req.method === "GET" || req.method === "HEAD") return undefined;
  const declared = Number(req.headers["content-length"]);
  if (declared > MAX_BODY) throw new HttpError(413, `Request body over ${MAX_BODY} bytes`);
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

const KIND_OF: Record<string, string> = {
  pod: "Pod",
  pods: "Pod",
  podset: "PodSet",
  podsets: "PodSet",
  node: "Node",
  nodes: "Node",
  autoscaler: "Autoscaler",
  autoscalers: "Autoscaler",
  hpa: "Autoscaler",
  horizontalpodautoscaler: "Autoscaler",
  horizontalpodautoscalers: "Autoscaler",
};

function objectKind(word: string | undefined): string {
  const kind = OBJECT_KINDS[(word ?? "").toLowerCase()];
  if (!kind) throw new NotFoundError("resource", word ?? "");
  return kind;
}

export function routes(api: MkApi): Route[] {
  const r = (method: string, path: string, handler: Handler): Route => ({
    method,
    pattern: new RegExp(`^${path.replace(/:[a-z]+/g, "([^/]+)")}$`),
    params: [...path.matchAll(/:([a-z]+)/g)].map((m) => m[1] ?? ""),
    handler,
  });
  const sources = (b: unknown) => parseRequest(manifestsBody, b, "body").manifests as ManifestSource[];
  const none = (b: unknown) => parseRequest(noBody, b, "body");
  return [
    r("GET", "/api/v1/status", () => api.status()),
    r("POST", "/api/v1/apply", (_q, _u, _p, b) => {
      const body = parseRequest(applyBody, b, "body");
      return api.apply(body.manifests, { dryRun: body.dryRun === true });
    }),
    r("POST", "/api/v1/diff", (_q, _u, _p, b) => api.diff(sources(b))),
    r("POST", "/api/v1/refs", (_q, _u, _p, b) => api.refs(sources(b))),
    r("POST", "/api/v1/delete", (_q, _u, _p, b) => {
      const body = parseRequest(deleteBody, b, "body");
      return api.delete(body.refs as ObjectRef[], {
        ...(body.gracePeriodSeconds !== undefined ? { graceSeconds: body.gracePeriodSeconds } : {}),
        ...(body.force === true ? { force: true } : {}),
      });
    }),
    r("GET", "/api/v1/objects/:kind", (_q, _u, [k]) => api.objects(objectKind(k), undefined)),
    r("GET", "/api/v1/objects/:kind/:name", (_q, _u, [k, n]) => api.objects(objectKind(k), n ?? "")),
    r("GET", "/api/v1/pods", () => api.pods()),
    r("GET", "/api/v1/pods/:name", (_q, _u, [n]) => api.pod(n ?? "")),
    r("GET", "/api/v1/podsets", () => api.podSets()),
    r("GET", "/api/v1/podsets/:name", (_q, _u, [n]) => api.podSet(n ?? "")),
    r("POST", "/api/v1/podsets/:name/scale", (_q, _u, [n], b) =>
      api.scale(n ?? "", parseRequest(scaleBody, b, "body").replicas),
    ),
    r("GET", "/api/v1/autoscalers", () => api.autoscalers()),
    r("GET", "/api/v1/autoscalers/:name", (_q, _u, [n]) => api.autoscaler(n ?? "")),
    ...rolloutRoutes(api, r),
    r("GET", "/api/v1/nodes", () => api.nodes()),
    r("GET", "/api/v1/top", () => api.top()),
    r("POST", "/api/v1/nodes", (_q, _u, _p, b) => {
      const body = parseRequest(nodeAddBody, b, "body");
      return api.nodeAdd({
        name: body.name,
        docker: body.docker,
        ...(body.identityFile !== undefined ? { identityFile: body.identityFile } : {}),
        ...(body.socketPath !== undefined ? { socketPath: body.socketPath } : {}),
        ...(body.labels !== undefined ? { labels: body.labels } : {}),
        ...(body.taints !== undefined
          ? {
              taints: body.taints.map((t) => ({
                key: t.key,
                ...(t.value !== undefined ? { value: t.value } : {}),
                effect: t.effect,
              })),
            }
          : {}),
      });
    }),
    r("GET", "/api/v1/nodes/:name", (_q, _u, [n]) => api.node(n ?? "")),
    r("DELETE", "/api/v1/nodes/:name", (_q, _u, [n], b) => {
      none(b);
      return api.nodeRemove(n ?? "");
    }),
    r("POST", "/api/v1/nodes/:name/cordon", (_q, _u, [n], b) => {
      none(b);
      return api.cordon(n ?? "", true);
    }),
    r("POST", "/api/v1/nodes/:name/uncordon", (_q, _u, [n], b) => {
      none(b);
      return api.cordon(n ?? "", false);
    }),
    r("POST", "/api/v1/nodes/:name/drain", (_q, _u, [n], b) => {
      none(b);
      return api.drain(n ?? "");
    }),
    r("GET", "/api/v1/events", (_q, u) => {
      const q = parseRequest(eventsQuery, queryObject(u, IGNORED_QUERY), "query");
      return api.events({
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.name ? { name: q.name } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
      });
    }),
    r("GET", "/api/v1/describe/:kind/:name", (_q, _u, [k, n]) => {
      const kind = Object.hasOwn(KIND_OF, (k ?? "").toLowerCase())
        ? KIND_OF[(k ?? "").toLowerCase()]
        : undefined;
      if (!kind)
        throw new InvalidInputError(
          `Cannot describe ${JSON.stringify(k)}: expected pod, podset, node or autoscaler`,
        );
      return api.describe(kind, n ?? "");
    }),
    r("POST", "/api/v1/sql", (_q, _u, _p, b) => {
      const body = parseRequest(sqlBody, b, "body");
      return api.sql(body.query, {
        ...(body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {}),
        ...(body.maxRows !== undefined ? { maxRows: body.maxRows } : {}),
      });
    }),
  ];
}

/**
 * Routes answered outside the JSON table (streams, text): listed so that a wrong method answers 405
 * with Allow before the content-type check. Add a route here when it is special-cased below.
 */
export const STREAM_ROUTES: { method: string; pattern: RegExp }[] = [
  { method: "GET", pattern: /^\/metrics$/ },
  { method: "GET", pattern: /^\/api\/v1\/history$/ },
  { method: "GET", pattern: /^\/api\/v1\/pods\/[^/]+\/logs$/ },
];

/** Query parameters no route reads as its own: the status page's one-time token. */
const IGNORED_QUERY = ["token"];

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(text);
}

export function errorResponse(err: unknown): {
  status: number;
  body: { error: { code: string; message: string; details: Record<string, unknown> } };
} {
  if (err instanceof MkError) return { status: err.httpStatus, body: { error: err.toJSON() } };
  const state = asStateError(err, undefined, "read");
  if (state instanceof MkError) return { status: state.httpStatus, body: { error: state.toJSON() } };
  return {
    status: 500,
    body: { error: { code: "internal", message: (err as Error)?.message ?? String(err), details: {} } },
  };
}

/** A path segment decoded, or a 400 (a malformed %-escape is the client's mistake, not a 500). */
function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new InvalidInputError(
      `Invalid request: path parameter ${JSON.stringify(p)} is not valid percent-encoding`,
    );
  }
}

/**
 * The `token` query parameter as typed: a base64 token's "+" stays a "+" (URLSearchParams would
 * make it a space).
 */
function loginToken(search: string): string | undefined {
  const m = /[?&]token=([^&]*)/.exec(search);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1] ?? "");
  } catch {
    return m[1] ?? "";
  }
}

/** The health routes answer without the guard and the token: probes and load balancers call them. */
function health(
  path: string,
  deps: ServerDeps,
): { status: number; text: string; json?: boolean } | undefined {
  if (path === "/healthz" || path === "/livez") return { status: 200, text: "ok\n" };
  if (path === "/readyz" && deps.readyz) {
    // HA mode: JSON with role, leader, term and why not ready.
    const r = deps.readyz();
    return { status: r.status, text: JSON.stringify(r.body), json: true };
  }
  if (path === "/readyz") {
    const ok = deps.ready();
    return { status: ok ? 200 : 503, text: ok ? "ok\n" : "not leader yet\n" };
  }
  return undefined;
}

const LOOPBACK_ONLY: SecurityOptions = { listenHost: "127.0.0.1" };

function guardOptions(security: SecurityOptions) {
  return {
    listenHost: security.listenHost,
    hostNames: [hostname(), ...(security.hostNames ?? [])],
    scheme: security.tls ? ("https" as const) : ("http" as const),
  };
}

function refusalError(req: IncomingMessage, path: string, security: SecurityOptions): HttpError | undefined {
  const refusal = checkRequest(
    { method: req.method ?? "GET", path, headers: req.headers },
    guardOptions(security),
  );
  return refusal ? new HttpError(refusal.status, refusal.message, refusal.code) : undefined;
}

function authError(req: IncomingMessage, security: SecurityOptions): HttpError | undefined {
  const auth = authenticate(
    { method: req.method ?? "GET", headers: req.headers, localPort: req.socket.localPort ?? 0 },
    security.token,
  );
  return auth.ok ? undefined : unauthorized(auth.reason);
}

/**
 * The browser checks and the token check for a request handled outside the JSON handler, such as
 * an `upgrade` (exec, port-forward): every such handler must call this first and refuse on an error.
 */
export function admissionError(
  req: IncomingMessage,
  security: SecurityOptions = LOOPBACK_ONLY,
): MkError | undefined {
  let path = "/";
  try {
    path = new URL(req.url ?? "/", "http://mk").pathname;
  } catch {
    return new InvalidInputError("Invalid request: the request URL cannot be parsed");
  }
  return refusalError(req, path, security) ?? authError(req, security);
}

export function createApiServer(deps: ServerDeps): Server {
  const table = routes(deps.api);
  const log = deps.log.child("api");
  const security = deps.security ?? LOOPBACK_ONLY;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    let url = new URL("http://mk/");
    try {
      try {
        url = new URL(req.url ?? "/", "http://mk");
      } catch {
        // The URL is not echoed back: it may carry the status page's token.
        throw new InvalidInputError("Invalid request: the request URL cannot be parsed");
      }
      const h = health(url.pathname, deps);
      if (h) {
        res
          .writeHead(h.status, { "content-type": h.json ? "application/json; charset=utf-8" : "text/plain" })
          .end(h.text);
        return;
      }
      const refused = refusalError(req, url.pathname, security);
      if (refused) throw refused;
      // The status page's one-time login: /?token=... sets the cookie and drops the token from the URL.
      const login = loginToken(url.search);
      if (login !== undefined && method === "GET" && !url.pathname.startsWith("/api/")) {
        if (security.token !== undefined && !tokensEqual(login, security.token))
          throw unauthorized("invalid");
        url.searchParams.delete("token");
        res.writeHead(303, {
          location: `${url.pathname}${url.search}`,
          "cache-control": "no-store",
          "referrer-policy": "no-referrer",
          ...(security.token !== undefined
            ? { "set-cookie": sessionCookie(security.token, req.socket.localPort ?? 0, !!security.tls) }
            : {}),
        });
        res.end();
        return;
      }
      const denied = authError(req, security);
      if (denied && method === "GET" && deps.page?.(url.pathname)) {
        // A person opening the page: say how to log in, in words rather than JSON.
        res
          .writeHead(401, {
            "content-type": "text/plain; charset=utf-8",
            "www-authenticate": 'Bearer realm="mk"',
          })
          .end(
            "This mk server needs its API token: open /?token=<token> once (the token file of mk server --token-file, or MK_TOKEN).\n",
          );
        return;
      }
      if (denied) throw denied;
      // HEAD is GET without the body (node:http drops it).
      const routeMethod = method === "HEAD" ? "GET" : method;
      const matching = [...table, ...STREAM_ROUTES].filter((r) => r.pattern.test(url.pathname));
      if (matching.length > 0 && !matching.some((r) => r.method === routeMethod))
        throw methodNotAllowed(
          method,
          url.pathname,
          matching.map((r) => r.method),
        );
      const badType = checkContentType({ method, path: url.pathname, headers: req.headers });
      if (badType) throw new HttpError(badType.status, badType.message, badType.code);
      if (url.pathname === "/metrics" && deps.metrics) {
        if (method !== "GET" && method !== "HEAD") throw methodNotAllowed(method, url.pathname, ["GET"]);
        const m = await deps.metrics();
        res.writeHead(200, { "content-type": m.contentType }).end(m.body);
        return;
      }
      if (deps.intercept && (await deps.intercept(req, res, url))) return;
      if (url.pathname === "/api/v1/history" && deps.history) {
        if (method !== "GET") throw methodNotAllowed(method, url.pathname, ["GET"]);
        send(res, 200, deps.history());
        return;
      }
      const logs = /^\/api\/v1\/pods\/([^/]+)\/logs$/.exec(url.pathname);
      if (logs) {
        if (method !== "GET") throw methodNotAllowed(method, url.pathname, ["GET"]);
        const name = decodeParam(logs[1] ?? "");
        checkPathParams(["name"], [name]);
        const q = parseRequest(logsQuery, queryObject(url, IGNORED_QUERY), "query");
        const abort = new AbortController();
        res.on("close", () => abort.abort());
        const stream = await deps.api.logs(name, {
          ...(q.container !== undefined ? { container: q.container } : {}),
          follow: q.follow === true,
          ...(q.tail !== undefined ? { tail: q.tail } : {}),
          ...(q.previous ? { previous: true } : {}),
          ...(q.timestamps ? { timestamps: true } : {}),
          ...(q.allContainers ? { allContainers: true } : {}),
          ...(q.sinceTime !== undefined ? { sinceMs: Date.parse(q.sinceTime) } : {}),
          signal: abort.signal,
        });
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        // pipeline, not pipe: a Docker stream that fails (node gone, daemon restarted) ends this
        // response instead of throwing from an unwatched stream.
        pipeline(stream, res).catch((err: Error) => {
          log.warn(`logs of ${name} ended: ${err.message}`, { event: "http" });
          res.destroy();
        });
        return;
      }
      const route = table.find((r) => r.method === routeMethod && r.pattern.test(url.pathname));
      if (route) {
        const m = route.pattern.exec(url.pathname);
        const params = (m?.slice(1) ?? []).map(decodeParam);
        checkPathParams(route.params, params);
        const body = await readBody(req);
        const result = await route.handler(req, url, params, body);
        if (routeMethod !== "GET") await deps.settle?.();
        send(res, 200, result);
        return;
      }
      if ((method === "GET" || method === "HEAD") && deps.page) {
        const page = deps.page(url.pathname);
        if (page) {
          res.writeHead(200, { "content-type": page.contentType }).end(page.body);
          return;
        }
      }
      throw new NotFoundError("route", url.pathname);
    } catch (err) {
      const { status, body } = errorResponse(err);
      if (status >= 500)
        log.error(`${method} ${url.pathname} failed: ${body.error.message}`, { event: "http" });
      if (!res.headersSent) send(res, status, body, headersFor(err));
      else res.end();
    }
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      // Last resort: one bad request must never take the server down.
      log.error(`request failed: ${(err as Error)?.message ?? String(err)}`, { event: "http" });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
  const server = security.tls
    ? (createHttpsServer({ cert: security.tls.cert, key: security.tls.key }, listener) as unknown as Server)
    : createServer(listener);
  // A client that sends a broken request line or headers gets a 400, not a stack trace.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  // exec and port-forward switch protocols on their connection (upgrade-routes.ts), after the
  // same browser guard and token check as every other route.
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = admissionError(req, security);
    if (refused) return refuseUpgrade(socket, refused);
    handleUpgrade(deps.api, log, req, socket, head);
  });
  return server;
}

function unauthorized(reason: "missing" | "invalid" | "cookie-needs-origin"): HttpError {
  return new HttpError(401, authMessage(reason), "unauthorized");
}

function methodNotAllowed(method: string, path: string, allow: string[]): HttpError {
  const list = [...new Set(allow)].join(", ");
  return new HttpError(
    405,
    `Method ${method} not allowed on ${path}; allowed: ${list}`,
    "method_not_allowed",
    {
      allow: list,
    },
  );
}

/** Extra response headers an error carries: WWW-Authenticate on 401, Allow on 405. */
function headersFor(err: unknown): Record<string, string> {
  if (!(err instanceof HttpError)) return {};
  if (err.httpStatus === 405 && typeof err.details.allow === "string") return { allow: err.details.allow };
  if (err.httpStatus === 401) return { "www-authenticate": 'Bearer realm="mk"' };
  return {};
}
