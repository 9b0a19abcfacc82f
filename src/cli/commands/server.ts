// mk server: the controller, one agent per node and the HTTP API, under the controller lease.
import { once } from "node:events";
import { readFileSync, statSync } from "node:fs";
import { HOW_TO_MAKE_A_TOKEN, isLoopbackHost, readToken } from "../../api/auth.ts";
import { LocalApi } from "../../api/local.ts";
import { haIntercept, haReadyz } from "../../api/routes/ha.ts";
import { createApiServer } from "../../api/server.ts";
import { Engine } from "../../engine/engine.ts";
import { leaseTiming } from "../../ha/elector.ts";
import { parseHaFlags } from "../../ha/etcd/options.ts";
import { Replica } from "../../ha/etcd/replica.ts";
import { HaMetrics } from "../../ha/metrics.ts";
import { UsageError } from "../../lib/errors.ts";
import { MetricsHistory } from "../../metrics/history.ts";
import { addDefaultSeries } from "../../metrics/history-series.ts";
import { Metrics } from "../../metrics/registry.ts";
import { defaultSshOptions, sshConnector } from "../../node/ssh-docker.ts";
import { openNodeFresh } from "../../ops/pod-target.ts";
import { validateBackoff } from "../../reconcile/backoff.ts";
import { Store } from "../../store/store.ts";
import { statusPage } from "../../web/status-page.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { parseSshFlags } from "../ssh-flags.ts";
import {
  durationFlag,
  ELECTION_TTL_FLAG,
  integerFlag,
  parseServerTimings,
  RENEW_DEADLINE_FLAG,
  SQL_MAX_ROWS,
} from "../timing-flags.ts";
import { autoscalerSettings, statsInterval } from "./server-autoscaler.ts";

export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(v);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--listen ${v}: expected HOST:PORT, e.g. 127.0.0.1:7070`);
  }
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

/** PEM files of --tls-cert and --tls-key: both or neither, both readable. */
export function readTls(
  opts: Record<string, unknown>,
  read: (path: string) => Buffer = (p) => readFileSync(p),
): { cert: Buffer; key: Buffer } | undefined {
  const cert = typeof opts.tlsCert === "string" ? opts.tlsCert : undefined;
  const key = typeof opts.tlsKey === "string" ? opts.tlsKey : undefined;
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new UsageError(
      `${cert === undefined ? "--tls-key" : "--tls-cert"} needs ${cert === undefined ? "--tls-cert" : "--tls-key"} too`,
    );
  const load = (flag: string, file: string) => {
    try {
      return read(file);
    } catch (err) {
      throw new UsageError(
        `${flag} ${file}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  return { cert: load("--tls-cert", cert), key: load("--tls-key", key) };
}

export async function runServer(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const globals = globalOptions(opts);
  const ctx = createContext({ ...globals, verboseLog: true });
  if (ctx.server)
    throw new UsageError("mk server runs against a state file; --server/MK_SERVER makes no sense here");
  const listen = parseListen(String(opts.listen ?? "127.0.0.1:7070"));
  const strategy = String(opts.scheduler ?? "least-loaded");
  if (strategy !== "least-loaded" && strategy !== "round-robin") {
    throw new UsageError(`--scheduler ${strategy}: expected least-loaded or round-robin`);
  }
  const t = parseServerTimings(opts);
  const sshFlags = parseSshFlags(opts, t.nodeGraceMs);
  const sqlMaxRows = integerFlag(
    SQL_MAX_ROWS.flag,
    opts.sqlMaxRows,
    SQL_MAX_ROWS.default,
    SQL_MAX_ROWS.min,
    SQL_MAX_ROWS.max,
  );
  let backoff: ReturnType<typeof validateBackoff>;
  try {
    backoff = validateBackoff({
      initialMs: t.backoffInitialMs,
      maxMs: t.backoffMaxMs,
      resetMs: t.backoffResetMs,
    });
  } catch (err) {
    throw err instanceof RangeError ? new UsageError(err.message) : err;
  }
  const token = readToken(globals.tokenFile, process.env);
  const tokenFileMode = globals.tokenFile ? statSync(globals.tokenFile).mode : 0;
  const tls = readTls(opts);
  const loopback = isLoopbackHost(listen.host);
  if (!loopback && token === undefined) {
    throw new UsageError(
      `Cannot listen on ${listen.host}:${listen.port} without an API token: anyone who can reach it could run containers, and a container on Docker is root on its host; ${HOW_TO_MAKE_A_TOKEN}`,
    );
  }
  const allowHosts =
    typeof opts.allowHost === "string"
      ? opts.allowHost
          .split(",")
          .map((h) => h.trim())
          .filter(Boolean)
      : [];
  const haFlags = parseHaFlags(opts, listen);
  // HA: the leader's lease is --election-ttl in etcd; single-node: --lease in SQLite.
  const leaseMs = haFlags ? durationFlag(ELECTION_TTL_FLAG, opts.electionTtl) : t.leaseMs;
  const timing = leaseTiming(
    leaseMs,
    opts.renewDeadline === undefined ? undefined : durationFlag(RENEW_DEADLINE_FLAG, opts.renewDeadline),
  );
  const log = ctx.log;
  const store = Store.open(ctx.statePath);
  const metrics = new Metrics(store);
  let leader = false;
  // HA mode: every commit goes through the etcd log; the election decides who runs the engine.
  const replica = haFlags
    ? new Replica({
        endpoints: haFlags.endpoints,
        prefix: haFlags.prefix,
        id: haFlags.id,
        url: haFlags.advertiseUrl,
        timing,
        store,
        log,
        metrics: new HaMetrics(metrics.registry),
        ...(opts.etcdReseed === true ? { reseed: true } : {}),
        ...(token !== undefined ? { leaderHeaders: { authorization: `Bearer ${token}` } } : {}),
      })
    : undefined;
  await replica?.init();
  const engine = new Engine({
    store,
    log,
    backoff,
    resyncMs: t.resyncMs,
    leaseMs: timing.leaseMs,
    renewDeadlineMs: timing.renewDeadlineMs,
    retryPeriodMs: timing.retryPeriodMs,
    ...(replica ? { elector: replica.elector, identity: haFlags?.id } : {}),
    heartbeatMs: t.heartbeatMs,
    nodeGraceMs: t.nodeGraceMs,
    ssh: sshConnector({ ...defaultSshOptions(log.child("ssh")), ...sshFlags }),
    evictionDelayMs: t.evictionDelayMs,
    settleMs: t.settleMs,
    scheduler: strategy,
    localNode: opts.localNode !== false,
    metrics,
    autoscaler: autoscalerSettings(opts),
    statsIntervalMs: statsInterval(opts),
  });
  if (replica) engine.registerLeaderLoop("ha-log-compaction", (signal) => replica.compactionLoop(signal));
  // The status page's live charts: 1 s samples, the last 10 minutes.
  const history = addDefaultSeries(new MetricsHistory({ intervalMs: 1000, capacity: 600 }), store, metrics);
  const fresh = openNodeFresh();
  const api = new LocalApi(store, {
    identity: engine.identity,
    isLeader: () => leader,
    sqlLimits: { timeoutMs: t.sqlTimeoutMs, maxRows: sqlMaxRows },
    ...(replica
      ? {
          ha: () => {
            const r = replica.readiness();
            return {
              role: r.role,
              leader: r.leader,
              term: r.term,
              appliedRevision: r.appliedRevision,
              members: replica.members,
            };
          },
        }
      : {}),
    // exec, logs and port-forward ride the agents' connections (one SSH connection per node).
    usage: () => engine.usageSamples(),
    openNode: async (node) => {
      const conn = engine.connection(node.name);
      return conn ? { conn, release() {} } : fresh(node);
    },
  });
  const http = createApiServer({
    api,
    log,
    ready: () => leader,
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
    page: statusPage,
    ...(replica
      ? { readyz: haReadyz(replica), intercept: haIntercept(replica, log), settle: () => store.synced() }
      : {}),
    history: () => history.snapshot(),
    security: {
      ...(token !== undefined ? { token } : {}),
      listenHost: listen.host,
      hostNames: allowHosts,
      ...(tls ? { tls } : {}),
    },
  });
  http.listen(listen.port, listen.host);
  await once(http, "listening");
  const addr = http.address();
  const where = typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr);
  log.info(
    `mk server listening on ${tls ? "https" : "http"}://${where} (state ${ctx.statePath}; ${token !== undefined ? "token required" : "no token"})`,
    { event: "listening", state: ctx.statePath },
  );
  if (tokenFileMode & 0o077)
    log.warn(`The token file ${globals.tokenFile} is readable by other users; chmod 600 it`, {
      event: "listening",
    });
  if (token !== undefined && !tls && !loopback)
    log.warn(
      `The API token travels unencrypted on ${where}: serve HTTPS with --tls-cert and --tls-key, or listen on loopback behind an SSH tunnel`,
      { event: "listening" },
    );

  const abort = new AbortController();
  const stop = (sig: string) => {
    log.info(`${sig} received; shutting down`, { event: "shutdown" });
    abort.abort();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  const background = replica?.run(abort.signal);
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
    await background;
    replica?.close();
    http.close();
    http.closeAllConnections();
    store.close();
  }
  return 0;
}
