// Bearer-token authentication of the HTTP API. One shared secret (MK_TOKEN or --token-file), sent
// by the CLI as `Authorization: Bearer <token>`, compared in constant time over SHA-256 digests (so
// neither its bytes nor its length leak through timing). The status page cannot send a header, so
// `/?token=...` once sets an HttpOnly, SameSite=Strict cookie holding an HMAC of the token (never
// the token itself) and redirects to `/`; the cookie is accepted only on requests that passed the
// same-origin checks of guard.ts, and for anything but GET only with a same-origin Origin header.
// The token never appears in a log line or an error message.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { UsageError } from "../lib/errors.ts";

/** Shortest token accepted: 16 characters (the docs make 32 random bytes, base64). */
export const MIN_TOKEN_LENGTH = 16;

export const HOW_TO_MAKE_A_TOKEN =
  "make one with: head -c 32 /dev/urandom | base64 > token; mk server --token-file token (clients: MK_TOKEN=$(cat token) or --token-file token)";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time equality of two secrets of any length. */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The status page's cookie value: an HMAC of the token, so the cookie is not the token. */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("mk status page session").digest("base64url");
}

/** Cookies are shared by every port of a host: the name carries the port. */
export function sessionCookieName(port: number): string {
  return `mk_session_${port}`;
}

export function sessionCookie(token: string, port: number, secure: boolean): string {
  return [
    `${sessionCookieName(port)}=${sessionValue(token)}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

function cookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export type AuthResult =
  | { ok: true; via: "none" | "bearer" | "cookie" }
  | { ok: false; reason: "missing" | "invalid" | "cookie-needs-origin" };

export interface AuthRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  localPort: number;
}

/** Whether `req` may proceed when the server's token is `token` (undefined: no auth). */
export function authenticate(req: AuthRequest, token: string | undefined): AuthResult {
  if (token === undefined) return { ok: true, via: "none" };
  const auth = req.headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  if (value !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
    return m?.[1] !== undefined && tokensEqual(m[1], token)
      ? { ok: true, via: "bearer" }
      : { ok: false, reason: "invalid" };
  }
  const cookieHeader = req.headers.cookie;
  const session = cookies(Array.isArray(cookieHeader) ? cookieHeader.join("; ") : cookieHeader).get(
    sessionCookieName(req.localPort),
  );
  if (session === undefined) return { ok: false, reason: "missing" };
  if (!tokensEqual(session, sessionValue(token))) return { ok: false, reason: "invalid" };
  // A cookie rides along on whatever the browser sends: a state change must prove its origin.
  if (!["GET", "HEAD"].includes(req.method.toUpperCase()) && req.headers.origin === undefined)
    return { ok: false, reason: "cookie-needs-origin" };
  return { ok: true, via: "cookie" };
}

export function authMessage(reason: "missing" | "invalid" | "cookie-needs-origin"): string {
  if (reason === "invalid") return "Authentication failed: the token is not valid";
  if (reason === "cookie-needs-origin")
    return "Authentication failed: a cookie-authenticated request that changes state needs an Origin header";
  return "Authentication required: send Authorization: Bearer <token> (the CLI reads MK_TOKEN or --token-file); in a browser, open /?token=<token> once";
}

/** Loopback: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h.startsWith("::ffff:127.");
}

/**
 * The token from `--token-file PATH` (wins) or MK_TOKEN, trimmed; undefined when neither is set.
 * An unreadable, empty or short token is a usage error naming where it came from.
 */
export function readToken(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv,
  read: (path: string) => string = (p) => readFileSync(p, "utf8"),
): string | undefined {
  let token: string | undefined;
  let source: string;
  if (tokenFile !== undefined) {
    source = `--token-file ${tokenFile}`;
    try {
      token = read(tokenFile);
    } catch (err) {
      throw new UsageError(
        `${source}: cannot read the token: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  } else if (env.MK_TOKEN !== undefined && env.MK_TOKEN !== "") {
    source = "MK_TOKEN";
    token = env.MK_TOKEN;
  } else return undefined;
  const t = token.trim();
  if (t.length < MIN_TOKEN_LENGTH)
    throw new UsageError(
      `${source}: expected a token of at least ${MIN_TOKEN_LENGTH} characters, got ${t.length}; ${HOW_TO_MAKE_A_TOKEN}`,
    );
  if (/\s/.test(t)) throw new UsageError(`${source}: expected a token without spaces or line breaks inside`);
  return t;
}
