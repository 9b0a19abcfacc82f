// How the CLI reaches `mk server`: the global fetch, or, when a CA file is given (a self-signed
// server certificate), node:https with that CA, since Node 20's fetch cannot be handed one. Both
// answer with a WHATWG Response, so RemoteApi does not care which it got.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export type Fetcher = (url: string, init: FetchInit) => Promise<Response>;

export const globalFetcher: Fetcher = (url, init) => fetch(url, init);

/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** A fetch over node:http(s) that trusts `ca` (PEM) for https:// URLs. */
export function caFetcher(ca: string | Buffer): Fetcher {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const u = new URL(url);
      const send = u.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(
        u,
        {
          method: init.method ?? "GET",
          headers: {
            ...(init.headers ?? {}),
            ...(init.body !== undefined ? { "content-length": String(Buffer.byteLength(init.body)) } : {}),
          },
          ...(u.protocol === "https:" ? { ca } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) headers.append(k, x);
            else if (v !== undefined) headers.set(k, v);
          }
          const status = res.statusCode ?? 500;
          const body = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          resolve(
            new Response(body as unknown as ConstructorParameters<typeof Response>[0], { status, headers }),
          );
        },
      );
      req.on("error", reject);
      req.end(init.body);
    });
}
