// The rollout routes of the HTTP API: status, history, undo, pause, resume, restart, set image.
import { InvalidInputError } from "../lib/errors.ts";
import type { Handler, Route } from "./server.ts";
import type { MkApi } from "./types.ts";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function revisionOf(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 2_147_483_647)
    throw new InvalidInputError(
      `Expected ${field} to be a revision number (an integer >= 0), got ${JSON.stringify(value)}`,
    );
  return n === 0 ? undefined : n;
}

export function rolloutRoutes(
  api: MkApi,
  r: (method: string, path: string, handler: Handler) => Route,
): Route[] {
  return [
    r("GET", "/api/v1/podsets/:name/rollout", (_q, _u, [n]) => api.rolloutStatus(n ?? "")),
    r("GET", "/api/v1/podsets/:name/revisions", (_q, u, [n]) =>
      api.rolloutHistory(n ?? "", revisionOf(u.searchParams.get("revision"), "revision")),
    ),
    r("POST", "/api/v1/podsets/:name/rollout/undo", (_q, _u, [n], b) =>
      api.rolloutUndo(n ?? "", revisionOf(isRecord(b) ? b.toRevision : undefined, "toRevision")),
    ),
    r("POST", "/api/v1/podsets/:name/rollout/pause", (_q, _u, [n]) => api.rolloutPause(n ?? "", true)),
    r("POST", "/api/v1/podsets/:name/rollout/resume", (_q, _u, [n]) => api.rolloutPause(n ?? "", false)),
    r("POST", "/api/v1/podsets/:name/rollout/restart", (_q, _u, [n]) => api.rolloutRestart(n ?? "")),
    r("POST", "/api/v1/podsets/:name/image", (_q, _u, [n], b) => {
      const images = isRecord(b) ? b.images : undefined;
      if (!isRecord(images) || !Object.values(images).every((v) => typeof v === "string"))
        throw new InvalidInputError('Expected a body {"images": {"CONTAINER": "IMAGE", ...}}');
      return api.setImage(n ?? "", images as Record<string, string>);
    }),
  ];
}
