// Query parameters of the pod routes that stream (logs), checked: a bad value is a 400 naming it.
import { InvalidInputError } from "../lib/errors.ts";
import type { LogRequest } from "../ops/pod-logs.ts";

function flag(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null || v === "0" || v === "false") return false;
  if (v === "1" || v === "true" || v === "") return true;
  throw new InvalidInputError(`Query parameter ${key}=${v}: expected 1 or 0`);
}

/** GET /api/v1/pods/:name/logs?container=&allContainers=1&previous=1&follow=1&timestamps=1&tail=N&sinceTime=RFC3339 */
export function logRequest(q: URLSearchParams): LogRequest {
  const tail = q.get("tail");
  const since = q.get("sinceTime");
  const req: LogRequest = {
    follow: flag(q, "follow"),
    previous: flag(q, "previous"),
    allContainers: flag(q, "allContainers"),
    timestamps: flag(q, "timestamps"),
  };
  const container = q.get("container");
  if (container) req.container = container;
  if (tail !== null) {
    const n = Number(tail);
    if (!/^\d+$/.test(tail) || !Number.isSafeInteger(n))
      throw new InvalidInputError(`Query parameter tail=${tail}: expected a whole number`);
    req.tail = n;
  }
  if (since !== null) {
    const t = Date.parse(since);
    if (Number.isNaN(t))
      throw new InvalidInputError(`Query parameter sinceTime=${since}: expected an RFC 3339 time`);
    req.sinceMs = t;
  }
  return req;
}
