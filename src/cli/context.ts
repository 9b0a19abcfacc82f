// What every command needs: the global options resolved, and an MkApi (local state or server).
import { resolve } from "node:path";
import type { MkApi } from "../api/types.ts";
import { InvalidInputError, UsageError } from "../lib/errors.ts";
import { createLogger, type LogFormat, type Logger } from "../lib/log.ts";
import { type OutputFormat, parseOutput } from "./output.ts";

export interface GlobalOptions {
  state?: string;
  server?: string;
  output?: string;
  o?: string;
  logFormat?: string;
  /** -n/--namespace and -A/--all-namespaces: mk has one namespace, "default". */
  namespace?: string;
  allNamespaces?: boolean;
  /** --token-file: the API token (else MK_TOKEN). */
  tokenFile?: string;
  /** --ca-file: a CA to trust for https:// servers (else MK_CA). */
  caFile?: string;
  /** Info-level logs (mk server). */
  verboseLog?: boolean;
}

export interface Context {
  statePath: string;
  server: string | undefined;
  output: OutputFormat;
  /** The template of -o jsonpath=TEMPLATE. */
  jsonpath: string | undefined;
  /** The SPEC of -o custom-columns=SPEC. */
  customColumns?: string;
  logFormat: LogFormat;
  log: Logger;
  out: (text: string) => void;
  /** Opens the API: remote when --server/MK_SERVER is set, else the local state file. */
  api(): Promise<MkApi>;
}

/** kubectl scripts pass -n default or -A: accepted; any other namespace is refused, not ignored. */
export function checkNamespace(ns: string | undefined): void {
  if (ns === undefined || ns === "default") return;
  throw new InvalidInputError(
    `Namespace "${ns}" does not exist: mk has one namespace, "default" (-n default and -A are accepted)`,
  );
}

export function createContext(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Context {
  const statePath = resolve(opts.state ?? env.MK_STATE ?? ".mk/state.db");
  const server = opts.server ?? env.MK_SERVER ?? undefined;
  let output: OutputFormat;
  const rawOutput = opts.output ?? opts.o ?? "table";
  try {
    output = parseOutput(rawOutput);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  checkNamespace(opts.namespace);
  const lf = opts.logFormat ?? (process.stdout.isTTY ? "pretty" : "json");
  if (lf !== "pretty" && lf !== "json") throw new UsageError(`--log-format ${lf}: expected pretty or json`);
  // Commands other than `mk server` log errors only (their own output says the rest), unless
  // MK_LOG_LEVEL says otherwise (3 = info).
  const level = env.MK_LOG_LEVEL ? Number(env.MK_LOG_LEVEL) : opts.verboseLog ? 3 : 0;
  const log = createLogger({ format: lf, level });
  return {
    statePath,
    server: server || undefined,
    output,
    jsonpath: output === "jsonpath" ? rawOutput.slice("jsonpath=".length) : undefined,
    ...(output === "custom-columns" ? { customColumns: rawOutput.slice("custom-columns=".length) } : {}),
    logFormat: lf,
    log,
    out: (text) => process.stdout.write(`${text}\n`),
    async api() {
      if (server) {
        const [{ RemoteApi }, { readToken }] = await Promise.all([
          import("../api/remote.ts"),
          import("../api/auth.ts"),
        ]);
        const token = readToken(opts.tokenFile, env);
        const caFile = opts.caFile ?? (env.MK_CA || undefined);
        return new RemoteApi(server, {
          ...(token !== undefined ? { token } : {}),
          ...(caFile !== undefined ? { caFile } : {}),
          warn: (m) => process.stderr.write(`warning: ${m}\n`),
        });
      }
      const [{ Store }, { LocalApi }] = await Promise.all([
        import("../store/store.ts"),
        import("../api/local.ts"),
      ]);
      return new LocalApi(Store.open(statePath));
    },
  };
}
