// The mk command line: cac wiring only. Each command lives in cli/commands/<name>.ts and is
// imported when it runs, so `mk --version` and `mk --help` load almost nothing.
import { cac } from "cac";
import { MkError, UsageError } from "../lib/errors.ts";
import { wantsJsonErrors } from "../sea/argv.ts";
import { VERSION } from "../version.ts";
import type { GlobalOptions } from "./context.ts";

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  user error (bad manifest, unknown object, diff found changes)
  2  usage error (unknown command or flag, missing argument)
  3  runtime failure (Docker or the server unreachable, state database unusable)`;

type Runner = (args: string[], opts: Record<string, unknown>) => Promise<number | undefined>;

/** Every command of the product, with its one-line description (docs/cli.md is generated from this). */
export const COMMANDS: {
  name: string;
  usage: string;
  description: string;
  options: [string, string, unknown?][];
  load: () => Promise<Runner>;
}[] = [
  {
    name: "apply",
    usage: "apply",
    description: "Create or update objects from manifests (-f file, directory or -)",
    options: [
      ["-f, --filename <path>", "Manifest file, directory (recursive) or - for stdin; repeatable"],
      ["--dry-run", "Validate and show what would change; write nothing"],
      ["--wait", "Wait until the pods run (default; --no-wait to return at once)", true],
      ["--timeout <duration>", "How long --wait waits", "120s"],
    ],
    load: async () => (await import("./commands/apply.ts")).runApply,
  },
  {
    name: "diff",
    usage: "diff",
    description: "Show what apply would change; exit 1 when something would",
    options: [["-f, --filename <path>", "Manifest file, directory or -; repeatable"]],
    load: async () => (await import("./commands/apply.ts")).runDiff,
  },
  {
    name: "get",
    usage: "get <resource> [name]",
    description: "List pods, podsets, nodes or events",
    options: [["-w, --watch", "Redraw on every change"]],
    load: async () => (await import("./commands/get.ts")).runGet,
  },
  {
    name: "describe",
    usage: "describe <resource> <name>",
    description: "Show one pod, podset or node in detail, with its recent events",
    options: [],
    load: async () => (await import("./commands/get.ts")).runDescribe,
  },
  {
    name: "delete",
    usage: "delete [resource] [name]",
    description: "Delete objects named in manifests (-f) or by kind and name; pods stop gracefully",
    options: [
      ["-f, --filename <path>", "Manifest file, directory or -; repeatable"],
      ["--wait", "Wait until the containers are gone (default; --no-wait to return at once)", true],
      ["--timeout <duration>", "How long --wait waits", "120s"],
    ],
    load: async () => (await import("./commands/delete.ts")).runDelete,
  },
  {
    name: "logs",
    usage: "logs <pod>",
    description: "Print a pod container's logs",
    options: [
      ["-c, --container <name>", "Container (required when the pod has several)"],
      ["-f, --follow", "Stream new lines as they come"],
      ["--tail <n>", "Only the last n lines"],
    ],
    load: async () => (await import("./commands/logs.ts")).runLogs,
  },
  {
    name: "events",
    usage: "events",
    description: "List recent events (aggregated); -w to keep watching",
    options: [
      ["-w, --watch", "Keep printing new events"],
      ["--for <object>", "Only events of one object, e.g. pod/web-1"],
      ["--limit <n>", "How many events", 100],
    ],
    load: async () => (await import("./commands/events.ts")).runEvents,
  },
  {
    name: "server",
    usage: "server",
    description: "Run the controller, node agents and the HTTP API (status page, /metrics)",
    options: [
      ["--listen <addr>", "HOST:PORT to serve on", "127.0.0.1:7070"],
      ["--resync <duration>", "Periodic full resync", "5s"],
      ["--backoff-initial <duration>", "Crash-loop back-off: first delay after the immediate restart", "10s"],
      ["--backoff-max <duration>", "Crash-loop back-off cap", "300s"],
      ["--backoff-reset <duration>", "Running this long without a restart resets the back-off", "10m"],
      ["--scheduler <strategy>", "least-loaded or round-robin", "least-loaded"],
      ["--heartbeat <duration>", "Node heartbeat interval", "1s"],
      ["--node-grace <duration>", "No heartbeat for this long turns a node Unknown", "4s"],
      ["--eviction-delay <duration>", "Pods of an Unknown node move after this long", "2s"],
      ["--settle <duration>", "A returning node gets new pods after being Ready this long", "3s"],
      ["--lease <duration>", "Controller lease duration", "15s"],
      ["--tls-cert <file>", "Serve HTTPS with this PEM certificate (with --tls-key)"],
      ["--tls-key <file>", "PEM private key of --tls-cert"],
      [
        "--allow-host <names>",
        "Comma-separated host names clients may use besides IPs, localhost and this machine's name",
      ],
      ["--sql-timeout <duration>", "Longest mk sql query; it is stopped after this", "5s"],
      ["--sql-max-rows <n>", "Most rows an mk sql query may return", 10000],
      ["--no-local-node", "Do not register the local Docker engine as node local"],
    ],
    load: async () => (await import("./commands/server.ts")).runServer,
  },
  {
    name: "node",
    usage: "node <action> [name]",
    description: "Manage nodes: add, ls, cordon, uncordon, drain, rm",
    options: [
      ["--docker <url>", "add: ssh://user@host[:port] or unix:///path"],
      ["--identity <file>", "add: SSH private key"],
      ["--socket <path>", "add: Docker socket path on the remote host", "/var/run/docker.sock"],
      ["--label <k=v>", "add: node label; repeatable"],
      ["--taint <k=v:Effect>", "add: taint; repeatable"],
      ["--accept-new-host-key", "add: trust an unknown SSH host key on first contact"],
    ],
    load: async () => (await import("./commands/node.ts")).runNode,
  },
  {
    name: "sql",
    usage: "sql <query>",
    description: "Run a read-only SQL query against the state (in a process of its own, with limits)",
    options: [
      ["--timeout <duration>", "Stop the query after this long (default 5s; a server may allow less)"],
      ["--max-rows <n>", "Refuse a result of more rows than this (default 10000; a server may allow fewer)"],
    ],
    load: async () => (await import("./commands/sql.ts")).runSql,
  },
  {
    name: "rollout",
    usage: "rollout <action> [...object]",
    description: "Rolling updates of a podset: status, history, undo, pause, resume, restart",
    options: [
      [
        "-w, --watch",
        "status: keep watching until the rollout ends (default; --no-watch for one look)",
        true,
      ],
      ["--timeout <duration>", "status: give up after this long (exit 1); default: no limit"],
      ["--revision <n>", "history: show one revision's pod template"],
      ["--to-revision <n>", "undo: the revision to go back to (default: the previous one)"],
    ],
    load: async () => (await import("./commands/rollout.ts")).runRollout,
  },
  {
    name: "set",
    usage: "set <what> [...args]",
    description: "Change a podset's template: mk set image podset/web app=nginx:1.27 (a new revision)",
    options: [],
    load: async () => (await import("./commands/rollout.ts")).runSet,
  },
  {
    name: "scale",
    usage: "scale <object>",
    description: "Set the replicas of a podset: mk scale podset/web --replicas 5",
    options: [["--replicas <n>", "Desired number of pods"]],
    load: async () => (await import("./commands/scale.ts")).runScale,
  },
  {
    name: "version",
    usage: "version",
    description: "Print version, commit, build date, Node, SQLite and Docker API versions",
    options: [],
    load: async () => (await import("./commands/version.ts")).runVersion,
  },
];

export function buildCli(onExit: (code: number) => void) {
  const cli = cac("mk");
  cli
    .option("--state <path>", "State database (env MK_STATE)", { default: undefined })
    .option("--server <url>", "Talk to a running mk server instead of the state file (env MK_SERVER)")
    .option("--token-file <path>", "API token file: sent by the CLI, required by mk server (env MK_TOKEN)")
    .option("--ca-file <path>", "CA certificate (PEM) to trust for an https:// server (env MK_CA)")
    .option("-o, --output <format>", "table, wide, json or yaml", { default: "table" })
    .option("--log-format <format>", "pretty or json (json when stdout is not a terminal)");
  for (const c of COMMANDS) {
    const cmd = cli.command(c.usage, c.description);
    for (const [flag, desc, def] of c.options)
      cmd.option(flag, desc, def === undefined ? undefined : { default: def });
    cmd.action(async (...args: unknown[]) => {
      const opts = args.pop() as Record<string, unknown>;
      const positional = args.flatMap((a) =>
        a === undefined ? [] : Array.isArray(a) ? a.map(String) : [String(a)],
      );
      const run = await c.load();
      onExit((await run(positional, opts)) ?? 0);
    });
  }
  cli.help((sections) => {
    sections.push({ title: "Exit codes", body: EXIT_CODES_HELP.split("\n").slice(1).join("\n") });
  });
  cli.version(VERSION);
  return cli;
}

export function globalOptions(opts: Record<string, unknown>): GlobalOptions {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    ...(str(opts.state) ? { state: str(opts.state) } : {}),
    ...(str(opts.server) ? { server: str(opts.server) } : {}),
    ...(str(opts.output) ? { output: str(opts.output) } : {}),
    ...(str(opts.logFormat) ? { logFormat: str(opts.logFormat) } : {}),
    ...(str(opts.tokenFile) ? { tokenFile: str(opts.tokenFile) } : {}),
    ...(str(opts.caFile) ? { caFile: str(opts.caFile) } : {}),
  };
}

/** Runs the CLI; resolves with the exit code. Errors are caught here, at the edge, only. */
export async function runCli(argv: string[]): Promise<number> {
  let code = 0;
  const cli = buildCli((c) => {
    code = c;
  });
  const jsonErrors = wantsJsonErrors(argv);
  // "-f -" (stdin): the parser would read "-" as a missing value; "--filename=-" it reads right.
  const args = argv.map((a, i) =>
    a === "-" && (argv[i - 1] === "-f" || argv[i - 1] === "--filename") ? "\0stdin" : a,
  );
  const fixed = args.flatMap((a, i) =>
    args[i + 1] === "\0stdin" ? [] : a === "\0stdin" ? ["--filename=-"] : [a],
  );
  try {
    cli.parse(fixed, { run: false });
    if (!cli.matchedCommand) {
      if (cli.options.help || cli.options.version) return 0;
      if (cli.args.length > 0) throw new UsageError(`Unknown command "${cli.args[0]}"; run mk --help`);
      cli.outputHelp();
      return 0;
    }
    if (cli.options.help) return 0;
    await cli.runMatchedCommand();
    return code;
  } catch (err) {
    return reportError(err, jsonErrors);
  }
}

export function reportError(err: unknown, json: boolean): number {
  const isCac = err instanceof Error && err.name === "CACError";
  const mk = err instanceof MkError ? err : isCac ? new UsageError((err as Error).message) : undefined;
  if (json) {
    const body = mk
      ? mk.toJSON()
      : { code: "internal", message: String((err as Error)?.message ?? err), details: {} };
    process.stderr.write(`${JSON.stringify({ error: body })}\n`);
  } else if (mk) {
    process.stderr.write(`error: ${mk.message}\n`);
  } else {
    process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  if (mk) return mk.exitCode;
  if (err instanceof RangeError) return 2;
  return 3;
}
