// mk server: the controller, one agent per node and the HTTP API, under the controller lease.
import { once } from "node:events";
import { LocalApi } from "../../api/local.ts";
import { createApiServer } from "../../api/server.ts";
import { Engine } from "../../engine/engine.ts";
import { UsageError } from "../../lib/errors.ts";
import { MetricsHistory } from "../../metrics/history.ts";
import { addDefaultSeries } from "../../metrics/history-series.ts";
import { Metrics } from "../../metrics/registry.ts";
import { validateBackoff } from "../../reconcile/backoff.ts";
import { Store } from "../../store/store.ts";
import { statusPage } from "../../web/status-page.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { durationOpt } from "./apply.ts";

export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(v);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--listen ${v}: expected HOST:PORT, e.g. 127.0.0.1:7070`);
  }
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

export async function runServer(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext({ ...globalOptions(opts), verboseLog: true });
  if (ctx.server)
    throw new UsageError("mk server runs against a state file; --server/MK_SERVER makes no sense here");
  const listen = parseListen(String(opts.listen ?? "127.0.0.1:7070"));
  const strategy = String(opts.scheduler ?? "least-loaded");
  if (strategy !== "least-loaded" && strategy !== "round-robin") {
    throw new UsageError(`--scheduler ${strategy}: expected least-loaded or round-robin`);
  }
  let backoff: ReturnType<typeof validateBackoff>;
  try {
    backoff = validateBackoff({
      initialMs: durationOpt(opts.backoffInitial ?? "10s", "--backoff-initial"),
      maxMs: durationOpt(opts.backoffMax ?? "300s", "--backoff-max"),
      resetMs: durationOpt(opts.backoffReset ?? "10m", "--backoff-reset"),
    });
  } catch (err) {
    throw err instanceof RangeError ? new UsageError(err.message) : err;
  }
  const log = ctx.log;
  const store = Store.open(ctx.statePath);
  const metrics = new Metrics(store);
  let leader = false;
  const engine = new Engine({
    store,
    log,
    backoff,
    resyncMs: durationOpt(opts.resync ?? "5s", "--resync"),
    leaseMs: durationOpt(opts.lease ?? "15s", "--lease"),
    heartbeatMs: durationOpt(opts.heartbeat ?? "1s", "--heartbeat"),
    nodeGraceMs: durationOpt(opts.nodeGrace ?? "4s", "--node-grace"),
    evictionDelayMs: durationOpt(opts.evictionDelay ?? "2s", "--eviction-delay"),
    settleMs: durationOpt(opts.settle ?? "3s", "--settle"),
    scheduler: strategy,
    localNode: opts.localNode !== false,
    metrics,
  });
  // The status page's live charts: 1 s samples, the last 10 minutes.
  const history = addDefaultSeries(new MetricsHistory({ intervalMs: 1000, capacity: 600 }), store, metrics);
  const api = new LocalApi(store, { identity: engine.identity, isLeader: () => leader });
  const http = createApiServer({
    api,
    log,
    ready: () => leader,
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
    page: statusPage,
    history: () => history.snapshot(),
  });
  http.listen(listen.port, listen.host);
  await once(http, "listening");
  const addr = http.address();
  const where = typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr);
  log.info(`mk server listening on http://${where} (state ${ctx.statePath})`, {
    event: "listening",
    state: ctx.statePath,
  });

  const abort = new AbortController();
  const stop = (sig: string) => {
    log.info(`${sig} received; shutting down`, { event: "shutdown" });
    abort.abort();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  const sampling = history.run(abort.signal);
  try {
    await engine.run(
      abort.signal,
      () => {
        leader = true;
      },
      () => {
        leader = false;
      },
    );
  } finally {
    leader = false;
    abort.abort();
    await sampling;
    http.close();
    http.closeAllConnections();
    store.close();
  }
  return 0;
}
