// `mk server --etcd ...` flags, checked before anything starts (usage errors name the flag).
import { UsageError } from "../../lib/errors.ts";

export interface HaFlags {
  endpoints: string[];
  id: string;
  prefix: string;
  advertiseUrl: string;
}

const ID = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

export function parseHaFlags(
  opts: {
    etcd?: unknown;
    id?: unknown;
    etcdPrefix?: unknown;
    advertiseUrl?: unknown;
    electionTtl?: unknown;
    etcdReseed?: unknown;
  },
  listen: { host: string; port: number },
): HaFlags | undefined {
  if (opts.etcd === undefined || opts.etcd === false) {
    for (const [flag, v] of [
      ["--id", opts.id],
      ["--etcd-prefix", opts.etcdPrefix],
      ["--advertise-url", opts.advertiseUrl],
      ["--election-ttl", opts.electionTtl],
      ["--etcd-reseed", opts.etcdReseed],
    ] as const) {
      if (v !== undefined) throw new UsageError(`${flag} needs --etcd (it configures the HA control plane)`);
    }
    return undefined;
  }
  const endpoints = String(opts.etcd)
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  if (endpoints.length === 0)
    throw new UsageError("--etcd: expected URL[,URL...], e.g. http://127.0.0.1:2379");
  for (const e of endpoints) {
    let u: URL;
    try {
      u = new URL(e);
    } catch {
      throw new UsageError(`--etcd ${e}: not a URL (expected http://HOST:PORT)`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw new UsageError(`--etcd ${e}: expected an http:// or https:// URL`);
  }
  if (typeof opts.id !== "string" || !ID.test(opts.id)) {
    throw new UsageError(
      `--id ${opts.id === undefined ? "is required with --etcd" : `${String(opts.id)}: expected a lowercase name (a-z, 0-9, . _ -), e.g. mk-1`}`,
    );
  }
  const prefix = String(opts.etcdPrefix ?? "/mk/default");
  if (!/^\/[^\s]*[^/\s]$/.test(prefix))
    throw new UsageError(`--etcd-prefix ${prefix}: expected /PATH, e.g. /mk/prod`);
  let advertiseUrl = typeof opts.advertiseUrl === "string" ? opts.advertiseUrl : undefined;
  if (!advertiseUrl) {
    if (listen.host === "0.0.0.0" || listen.host === "::")
      throw new UsageError(
        `--listen ${listen.host}:${listen.port} with --etcd needs --advertise-url (how the other controllers reach this one)`,
      );
    const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
    advertiseUrl = `http://${host}:${listen.port}`;
  }
  return { endpoints, id: opts.id, prefix, advertiseUrl };
}
