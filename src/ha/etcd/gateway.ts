// etcd v3 through its JSON gateway (`POST /v3/...` on the client port): no client library, every
// call with its own deadline, endpoints tried in turn. Keys and values are base64 in the wire
// format; int64 fields (revisions, lease ids, member ids) stay strings, so nothing loses precision.
// Why not the etcd3 package: see docs/architecture.md ("etcd client").
import { errorMessage } from "../../lib/errors.ts";

export const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
export const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, "base64").toString("utf8") : "");

/** The key just past every key that starts with `prefix`: a range_end for a prefix scan. */
export function prefixEnd(prefix: string): string {
  const buf = Buffer.from(prefix, "utf8");
  for (let i = buf.length - 1; i >= 0; i--) {
    if ((buf[i] ?? 0) < 0xff) {
      const end = Buffer.from(buf.subarray(0, i + 1));
      end[i] = (end[i] ?? 0) + 1;
      return end.toString("base64");
    }
  }
  return b64("\0");
}

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string;
}

export interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  lease?: string;
}

export function decodeKv(kv: RawKv): KeyValue {
  return {
    key: unb64(kv.key),
    value: unb64(kv.value),
    createRevision: Number(kv.create_revision ?? 0),
    modRevision: Number(kv.mod_revision ?? 0),
    version: Number(kv.version ?? 0),
    lease: kv.lease ?? "0",
  };
}

export interface Header {
  revision?: string;
  member_id?: string;
  raft_term?: string;
}

/** An answer from etcd that is an error (an HTTP status other than 200, or an `error` body). */
export class EtcdError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** No endpoint answered within the deadline. */
export class EtcdUnavailableError extends Error {}

export interface GatewayOptions {
  endpoints: string[];
  /** Deadline of one call, all endpoints included (ms). */
  timeoutMs?: number;
}

/** Parses an answer's text; throws EtcdError on an error answer. */
export function parseAnswer<T>(status: number, text: string): T {
  let json: { error?: string; message?: string; code?: number } & Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EtcdError(`etcd answered ${status} with non-JSON: ${text.slice(0, 200)}`, status);
  }
  if (status !== 200 || json.error) {
    throw new EtcdError(`etcd: ${json.message ?? json.error ?? `HTTP ${status}`}`, status);
  }
  return json as T;
}

export class Gateway {
  readonly endpoints: string[];
  private current = 0;
  readonly timeoutMs: number;

  constructor(o: GatewayOptions) {
    this.endpoints = o.endpoints.map((e) => e.replace(/\/+$/, ""));
    if (this.endpoints.length === 0) throw new Error("no etcd endpoint");
    this.timeoutMs = o.timeoutMs ?? 2000;
  }

  /** The endpoint that answered last: where the next call goes first. */
  preferred(): number {
    return this.current;
  }

  prefer(i: number): void {
    this.current = i % this.endpoints.length;
  }

  /**
   * One call. An endpoint that refuses the connection or does not answer within its share of the
   * deadline is skipped for the next; `retryOnTimeout: false` (writes whose outcome a timeout
   * leaves unknown) stops at the first timeout instead.
   */
  async call<T>(
    path: string,
    body: unknown,
    opts: { timeoutMs?: number; signal?: AbortSignal; retryOnTimeout?: boolean } = {},
  ): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const n = this.endpoints.length;
    const errors: string[] = [];
    for (let k = 0; k < n; k++) {
      const i = (this.current + k) % n;
      const left = deadline - Date.now();
      if (left <= 0) break;
      // Leave the later endpoints a share: a black-holed first endpoint must not eat it all. A write
      // that is not retried after a timeout gets the whole deadline (a slow etcd is not a dead one).
      const share =
        k === n - 1 || opts.retryOnTimeout === false
          ? left
          : Math.max(Math.min(left, 500), Math.floor(left / (n - k)));
      const signals = [AbortSignal.timeout(share)];
      if (opts.signal) signals.push(opts.signal);
      try {
        const res = await fetch(`${this.endpoints[i]}${path}`, {
          method: "POST",
          body: JSON.stringify(body),
          headers: { "content-type": "application/json" },
          signal: AbortSignal.any(signals),
        });
        const text = await res.text();
        this.current = i;
        return parseAnswer<T>(res.status, text);
      } catch (err) {
        if (err instanceof EtcdError) throw err;
        if (opts.signal?.aborted) throw err;
        const timedOut = (err as Error).name === "TimeoutError";
        errors.push(`${this.endpoints[i]}: ${timedOut ? "timed out" : causeOf(err)}`);
        if (timedOut && opts.retryOnTimeout === false) break;
      }
    }
    throw new EtcdUnavailableError(`etcd unavailable (${errors.join("; ") || "deadline passed"})`);
  }

  /** A streaming call (watch): yields each JSON message until the stream ends or `signal` aborts. */
  async *stream<T>(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<T> {
    const i = this.current;
    const res = await fetch(`${this.endpoints[i]}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
      signal,
    });
    if (!res.ok || !res.body) throw new EtcdError(`etcd watch: HTTP ${res.status}`, res.status);
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield JSON.parse(line) as T;
        nl = buf.indexOf("\n");
      }
    }
  }
}

function causeOf(err: unknown): string {
  const c = (err as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? errorMessage(err);
}
