// What a browser can forge, refused before any route runs. A web page can make a browser send a
// "simple" request (a text/plain or form POST) to http://127.0.0.1:7070 without a preflight, and a
// page on a domain that re-resolves to 127.0.0.1 (DNS rebinding) can even read the answers. So:
//   - Host must name this server: an IP literal, localhost, the listen name or this machine's name
//     (rebinding needs a name the attacker controls);
//   - a foreign Origin (or "null") is refused, on reads too; so are cross-site fetch metadata
//     (Sec-Fetch-Site) except a plain navigation to the status page;
//   - requests that change state must say content-type: application/json, which no form and no
//     no-cors fetch can send.
// No CORS headers are ever sent, so no other origin can read an answer either. Pure: headers in,
// a refusal (status, code, message) or undefined out.
import { isIP } from "node:net";

export interface GuardOptions {
  /** The listen host ("127.0.0.1", "0.0.0.0", "::", "mk.example.com"). */
  listenHost: string;
  /** Other names this machine answers to (os.hostname(), --allow-host). */
  hostNames: readonly string[];
  /** "https" when the server speaks TLS. */
  scheme: "http" | "https";
}

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export interface RequestHead {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

function header(h: RequestHead["headers"], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** "Example.com:7070" -> "example.com"; "[::1]:7070" -> "::1". */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") === -1 ? undefined : h.indexOf("]"));
  const colon = h.lastIndexOf(":");
  return (colon === -1 ? h : h.slice(0, colon)).replace(/\.$/, "");
}

/** Whether `host` (a Host header value) names this server; see the module comment. */
export function isAllowedHost(host: string, opts: GuardOptions): boolean {
  const name = hostName(host);
  if (name === "") return false;
  if (isIP(name) !== 0) return true;
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const names = [opts.listenHost, ...opts.hostNames].map((n) => n.toLowerCase().replace(/\.$/, ""));
  return names.includes(name);
}

/** The media type of a content-type header, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  return contentType.split(";")[0]?.trim().toLowerCase();
}

/** An origin, lower case, without the scheme's default port ("https://a:443" -> "https://a"). */
function normalOrigin(origin: string): string {
  const o = origin.trim().toLowerCase();
  return o.replace(/^(http:\/\/.*):80$/, "$1").replace(/^(https:\/\/.*):443$/, "$1");
}

export function isMutating(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** The first reason to refuse `req` as browser-forged, or undefined. Health routes are not guarded. */
export function checkRequest(req: RequestHead, opts: GuardOptions): Refusal | undefined {
  const host = header(req.headers, "host");
  if (host !== undefined && !isAllowedHost(host, opts)) {
    return {
      status: 403,
      code: "forbidden_host",
      message: `Refused: Host ${JSON.stringify(hostName(host))} does not name this server (DNS rebinding protection); use its IP address, localhost or ${opts.listenHost}`,
    };
  }
  const origin = header(req.headers, "origin");
  if (origin !== undefined) {
    const own = host === undefined ? undefined : normalOrigin(`${opts.scheme}://${host.trim()}`);
    if (normalOrigin(origin) !== own) {
      return {
        status: 403,
        code: "forbidden_origin",
        message: `Refused: requests from origin ${JSON.stringify(origin)} are not allowed (only the server's own pages may call it from a browser)`,
      };
    }
  }
  const site = header(req.headers, "sec-fetch-site")?.toLowerCase();
  if (site === "cross-site" || site === "same-site") {
    const navigation =
      SAFE_METHODS.has(req.method) &&
      header(req.headers, "sec-fetch-mode")?.toLowerCase() === "navigate" &&
      !req.path.startsWith("/api/");
    if (!navigation) {
      return {
        status: 403,
        code: "forbidden_origin",
        message: `Refused: a ${site} browser request (only the server's own pages may call it from a browser)`,
      };
    }
  }
  return undefined;
}

/**
 * A request that changes state must say content-type: application/json (no form and no no-cors
 * fetch can). Checked after the route is known, so a wrong method still answers 405.
 */
export function checkContentType(req: RequestHead): Refusal | undefined {
  if (isMutating(req.method)) {
    const type = mediaType(header(req.headers, "content-type"));
    if (type !== "application/json") {
      return {
        status: 415,
        code: "unsupported_media_type",
        message: `Expected content-type: application/json on ${req.method} ${req.path}, got ${type === undefined ? "none" : JSON.stringify(type)}`,
      };
    }
  }
  return undefined;
}
