// The HA control plane's part of the HTTP API: followers forward writes to the leader (reads are
// served from their own SQLite, with the applied log revision in a header), the leader serves
// snapshots to replicas that fell behind, /readyz says role, leader and term.
import { createReadStream, rmSync } from "node:fs";
import { type IncomingMessage, request, type ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { Replica } from "../../ha/etcd/replica.ts";
import { makeSnapshot } from "../../ha/etcd/snapshot.ts";
import type { Logger } from "../../lib/log.ts";

/** POST routes that only read: a follower answers them itself. */
const READ_ONLY_POSTS = new Set(["/api/v1/sql", "/api/v1/diff", "/api/v1/refs"]);
const FORWARDED = "x-mk-forwarded-by";
export const APPLIED_REVISION = "x-mk-applied-revision";

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function haReadyz(replica: Replica): () => { status: number; body: unknown } {
  return () => {
    const r = replica.readiness();
    return { status: r.ready ? 200 : 503, body: r };
  };
}

export function haIntercept(replica: Replica, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    res.setHeader(APPLIED_REVISION, String(replica.o.store.appliedPosition().revision));
    const method = req.method ?? "GET";
    if (url.pathname === "/api/v1/ha/snapshot" && method === "GET") {
      if (replica.elector.role !== "leader") {
        sendJson(res, 503, {
          error: { code: "not_leader", message: `${replica.o.id} is not the leader`, details: {} },
        });
        return true;
      }
      const path = `${replica.o.store.path}.snapshot-${process.pid}-${Date.now()}`;
      try {
        await makeSnapshot(replica.o.store, path);
        res.writeHead(200, { "content-type": "application/vnd.sqlite3" });
        await pipeline(createReadStream(path), res);
      } finally {
        rmSync(path, { force: true });
      }
      return true;
    }
    if (url.pathname === "/api/v1/ha/members" && method === "GET") {
      sendJson(res, 200, { ...replica.readiness(), members: replica.members });
      return true;
    }
    if (
      method === "GET" ||
      method === "HEAD" ||
      !url.pathname.startsWith("/api/") ||
      READ_ONLY_POSTS.has(url.pathname)
    )
      return false;
    if (replica.elector.role === "leader") return false;
    const target = replica.leaderUrl();
    if (!target || req.headers[FORWARDED]) {
      const r = replica.readiness();
      sendJson(res, 503, {
        error: {
          code: "no_leader",
          message: `No leader to take this write (${r.reason ?? `this replica is a ${r.role}`}): try again or another server`,
          details: { role: r.role, leader: r.leader },
        },
      });
      return true;
    }
    await forward(req, res, url, target, replica.o.id, log);
    return true;
  };
}

/** Proxies the request to the leader and its answer back, unchanged. */
async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  target: string,
  me: string,
  log: Logger,
): Promise<void> {
  const to = new URL(`${url.pathname}${url.search}`, target);
  await new Promise<void>((resolve) => {
    const out = request(
      to,
      { method: req.method, headers: { ...req.headers, host: to.host, [FORWARDED]: me }, timeout: 120_000 },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        pipeline(answer, res).then(resolve, () => {
          res.destroy();
          resolve();
        });
      },
    );
    out.on("error", (err) => {
      log.warn(`forwarding to the leader at ${target} failed: ${err.message}`, { event: "http" });
      if (!res.headersSent)
        sendJson(res, 503, {
          error: {
            code: "no_leader",
            message: `Cannot reach the leader at ${target}: ${err.message}`,
            details: {},
          },
        });
      else res.destroy();
      resolve();
    });
    pipeline(req, out).catch(() => out.destroy());
  });
}
