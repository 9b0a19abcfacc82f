// The rollout routes of the HTTP API: status, history, undo, pause, resume, restart, set image.
// Bodies and query strings are parsed with valibot like every other route (validate.ts).
import * as v from "valibot";
import { labelKeyError } from "../manifest/names.ts";
import { MAX_INT32 } from "../manifest/pod-schema.ts";
import { fields, int, opt, text } from "../manifest/schema-parts.ts";
import type { Handler, Route } from "./server.ts";
import type { MkApi } from "./types.ts";
import { noBody, parseRequest, queryObject } from "./validate.ts";

const revisionQuery = fields({
  revision: opt(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,10}$/, "expected a revision number"),
      v.transform(Number),
      v.maxValue(MAX_INT32, "expected a revision number"),
    ),
  ),
});
const undoBody = v.optional(fields({ toRevision: opt(int(0, MAX_INT32)) }));
const imageBody = fields({
  images: v.pipe(
    v.record(
      v.union([v.literal("*"), text(labelKeyError)]),
      v.pipe(v.string(), v.regex(/^\S{1,1024}$/, "expected an image reference without spaces")),
    ),
    v.check((m) => Object.keys(m).length > 0, "expected at least one CONTAINER: IMAGE"),
  ),
});

const positive = (n: number | undefined) => (n === undefined || n === 0 ? undefined : n);

export function rolloutRoutes(
  api: MkApi,
  r: (method: string, path: string, handler: Handler) => Route,
): Route[] {
  const none = (b: unknown) => parseRequest(noBody, b, "body");
  return [
    r("GET", "/api/v1/podsets/:name/rollout", (_q, _u, [n]) => api.rolloutStatus(n ?? "")),
    r("GET", "/api/v1/podsets/:name/revisions", (_q, u, [n]) => {
      const q = parseRequest(revisionQuery, queryObject(u, ["token"]), "query");
      return api.rolloutHistory(n ?? "", positive(q.revision));
    }),
    r("POST", "/api/v1/podsets/:name/rollout/undo", (_q, _u, [n], b) =>
      api.rolloutUndo(n ?? "", positive(parseRequest(undoBody, b, "body")?.toRevision)),
    ),
    r("POST", "/api/v1/podsets/:name/rollout/pause", (_q, _u, [n], b) => {
      none(b);
      return api.rolloutPause(n ?? "", true);
    }),
    r("POST", "/api/v1/podsets/:name/rollout/resume", (_q, _u, [n], b) => {
      none(b);
      return api.rolloutPause(n ?? "", false);
    }),
    r("POST", "/api/v1/podsets/:name/rollout/restart", (_q, _u, [n], b) => {
      none(b);
      return api.rolloutRestart(n ?? "");
    }),
    r("POST", "/api/v1/podsets/:name/image", (_q, _u, [n], b) =>
      api.setImage(n ?? "", parseRequest(imageBody, b, "body").images),
    ),
  ];
}
