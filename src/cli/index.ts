// The mk command line: cac wiring only. Each command lives in cli/commands/<name>.ts and is
// imported when it runs, so `mk --version` and `mk --help` load almost nothing.
import { cac } from "cac";
import { MkError, UsageError } from "../lib/errors.ts";
import { wantsJsonErrors } from "../sea/argv.ts";
import { asStateError } from "../store/state-errors.ts";
import { VERSION } from "../version.ts";
import type { GlobalOptions } from "./context.ts";
import { withoutDoubledDefault } from "./help-format.ts";
import { rewriteKubectlArgv, valueFlagsOf } from "./kubectl-argv.ts";
import { notFoundLine } from "./not-found.ts";

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  user error (bad manifest, unknown object, diff found changes)
  2  usage error (unknown command or flag, missing argument)
  3  runtime failure (Docker or the server unreachable, state database unusable)`;

type Runner = (args: string[], opts: Record<string, unknown>) => Promise<number | undefined>;

const RECURSIVE: [string, string] = [
  "-R, --recursive",
  "Accepted for kubectl scripts: -f DIRECTORY is always read recursively",
];

const SELECTOR: [string, string] = [
  "-l, --selector <selector>",
  "Label selector: app=web, app!=web, 'tier in (a,b)', 'tier notin (a)', key, !key; comma = and",
];

/** Every command of the product, with its one-line description (docs/cli.md is generated from this). */
export const COMMANDS: {
  name: string;
  usage: string;
  description: string;
  options: [string, string, unknown?][];
  /** Shown under "Examples" in `mk COMMAND --help` and docs/cli.md. */
  examples?: string[];
  load: () => Promise<Runner>;
}[] = [
  {
    name: "apply",
    usage: "apply",
    description: "Create or update objects from manifests (-f file, directory or -)",
    options: [
      ["-f, --filename <path>", "Manifest file, directory (recursive) or - for stdin; repeatable"],
      RECURSIVE,
      ["--dry-run", "Validate and show what would change; write nothing (also --dry-run=client|server)"],
      ["--no-wait", "Return at once instead of waiting until the pods run (also --wait=false)"],
      ["--timeout <duration>", "How long apply waits for the pods", "120s"],
    ],
    examples: [
      "mk apply -f web.yaml                 # deployment.apps/web created, then waits for its pods",
      "mk apply -f manifests/ --no-wait      # a whole directory, without waiting",
      "mk get deploy web -o yaml | mk apply -f -   # re-applies what get printed: unchanged",
      "mk apply -f web.yaml --dry-run -o json",
    ],
    load: async () => (await import("./commands/apply.ts")).runApply,
  },
  {
    name: "diff",
    usage: "diff",
    description: "Show what apply would change; exit 1 when something would",
    options: [["-f, --filename <path>", "Manifest file, directory or -; repeatable"], RECURSIVE],
    examples: ["mk diff -f web.yaml && echo 'nothing to change'"],
    load: async () => (await import("./commands/apply.ts")).runDiff,
  },
  {
    name: "get",
    usage: "get [type] [...names]",
    description:
      "List objects: pods (po), podsets (ps, deployments, deploy), nodes (no), events (ev), autoscalers (hpa), all",
    options: [
      SELECTOR,
      [
        "--field-selector <selector>",
        "Field selector: metadata.name, status.phase, spec.nodeName (pods), with =, == or !=",
      ],
      ["--show-labels", "Add a LABELS column"],
      [
        "-L, --label-columns <keys>",
        "Add a column with the value of each label key; repeatable or comma-separated",
      ],
      ["--sort-by <path>", "Sort by a JSONPath field, e.g. .metadata.creationTimestamp or .status.phase"],
      ["--no-headers", "Print tables without the header line"],
      ["-w, --watch", "After the list, print one line per object that changes (works piped)"],
      ["--watch-only", "Like --watch, without the initial list"],
      ["--output-watch-events", "With --watch: add an EVENT column (ADDED, MODIFIED, DELETED)"],
    ],
    examples: [
      "mk get pods                          # every pod",
      "mk get pod/web-1 deploy/web          # TYPE/NAME, several at once",
      "mk get pods a b -o wide              # two pods, with IP, owner and next retry",
      "mk get all                           # pods, podsets and autoscalers",
      "mk get pods -l 'app=web,tier in (front,edge)' --show-labels",
      "mk get pods --field-selector status.phase=Running,spec.nodeName=n1",
      "mk get pods -L app --sort-by .metadata.creationTimestamp",
      "mk get pod web -o yaml               # Kubernetes-shaped; apply it back with mk apply -f -",
      'mk get pods -o jsonpath=\'{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}\'',
      "mk get pods -o name                  # pod/web-1, for xargs",
      "mk get pods -w --output-watch-events",
    ],
    load: async () => (await import("./commands/get.ts")).runGet,
  },
  {
    name: "describe",
    usage: "describe [type] [...names]",
    description: "Show pods, podsets, nodes or autoscalers (hpa) in detail, with their recent events",
    options: [SELECTOR],
    examples: [
      "mk describe pod web-1",
      "mk describe deployment/web           # shows 'Applied As: Deployment (apps/v1) -> podset/web'",
      "mk describe nodes                    # every node, quantities as in get nodes",
      "mk describe pods -l app=web",
      "mk describe hpa web                  # metrics (current / target), conditions, rescale events",
    ],
    load: async () => (await import("./commands/get.ts")).runDescribe,
  },
  {
    name: "delete",
    usage: "delete [type] [...names]",
    description:
      "Delete objects named in manifests (-f), by TYPE NAME or TYPE/NAME, or by selector; pods stop gracefully",
    options: [
      ["-f, --filename <path>", "Manifest file, directory or -; repeatable"],
      RECURSIVE,
      SELECTOR,
      ["--all", "Every object of the type"],
      [
        "--grace-period <seconds>",
        "Seconds a pod has to stop (overrides its terminationGracePeriodSeconds); -1: its own",
      ],
      ["--now", "Same as --grace-period 1"],
      [
        "--force",
        "With --grace-period 0: remove the pods from the state at once (their containers are killed)",
      ],
      ["--ignore-not-found", "Objects that do not exist are not an error"],
      ["--no-wait", "Return at once instead of waiting until the containers are gone (also --wait=false)"],
      ["--timeout <duration>", "How long delete waits", "120s"],
    ],
    examples: [
      "mk delete pod web-1                  # waits, printing which pods are still stopping",
      "mk delete deploy/web pod/hello",
      "mk delete pods -l app=web --grace-period 5",
      "mk delete pod stuck --force --grace-period 0",
      "mk delete -f web.yaml --ignore-not-found --wait=false",
    ],
    load: async () => (await import("./commands/delete.ts")).runDelete,
  },
  {
    name: "logs",
    usage: "logs [pod] [container]",
    description:
      "Print a pod container's logs, stdout and stderr in order (POD, pod/POD, or every pod matching -l); -p for the previous run's",
    options: [
      ["-c, --container <name>", "Container (default: the pod's first, as kubectl)"],
      ["--all-containers", "Every container of the pod, one after the other"],
      ["-p, --previous", "The previous run's logs (the container that exited before the last restart)"],
      ["-f, --follow", "Stream new lines as they come"],
      ["--tail <n>", "Only the last n lines"],
      ["--since <time>", "Only lines newer than a duration (10s, 5m, 1h) or an RFC 3339 time"],
      ["--since-time <time>", "Only lines after an RFC 3339 time (kubectl's spelling)"],
      ["--timestamps", "Prefix each line with its RFC 3339 timestamp"],
      SELECTOR,
      ["--prefix", "Prefix each line with [pod/NAME/CONTAINER] (the default with -l)"],
    ],
    examples: [
      "mk logs web-1",
      "mk logs pod/web-1 -c sidecar --tail 20",
      "mk logs web-1 -p                     # the run before the last restart",
      "mk logs web-1 --since 5m --timestamps",
      "mk logs -l app=web -f                # every matching pod, lines prefixed [pod/NAME/CONTAINER]",
    ],
    load: async () => (await import("./commands/logs.ts")).runLogs,
  },
  {
    name: "wait",
    usage: "wait [...objects]",
    description:
      "Wait until pods are Running and Ready (--for=condition=Ready) or gone (--for=delete); fails at once on a stuck pod",
    options: [
      [
        "--for <condition>",
        "condition=Ready (pods), condition=Available (podsets), delete, or jsonpath='{.status.phase}'=Running",
      ],
      ["--timeout <duration>", "How long to wait", "30s"],
      SELECTOR,
      ["--all", "Every object of the type (mk wait --for=condition=Ready pods --all)"],
    ],
    examples: [
      "mk wait --for=condition=Ready pod/web-1 --timeout 60s",
      "mk wait --for=condition=Available deployment/web",
      "mk wait --for=delete pod/old --timeout 2m",
      "mk wait --for=condition=Ready pods -l app=web",
      "mk wait --for=jsonpath='{.status.phase}'=Running pod/web-1",
    ],
    load: async () => (await import("./commands/wait.ts")).runWait,
  },
  {
    name: "exec",
    usage: "exec <pod> [...command]",
    description: "Run a command in a pod's container: mk exec web -it -- sh (exits with the command's code)",
    options: [
      ["-c, --container <name>", "Container (default: the pod's first, as kubectl)"],
      ["-i, --stdin", "Pass stdin to the command"],
      ["-t, --tty", "Allocate a terminal (with -i, from a terminal)"],
    ],
    examples: [
      "mk exec web-1 -- cat /etc/hostname",
      "mk exec -it web-1 -- sh              # an interactive shell",
      "echo hi | mk exec -i web-1 -c main -- wc -c",
    ],
    load: async () => (await import("./commands/exec.ts")).runExec,
  },
  {
    name: "port-forward",
    usage: "port-forward <pod> [...ports]",
    description: "Forward local ports to a pod: mk port-forward web 8080:80 :443 (until interrupted)",
    options: [["--address <list>", "Addresses to listen on, comma-separated", "127.0.0.1"]],
    examples: [
      "mk port-forward web-1 8080:80        # localhost:8080 -> the pod's port 80",
      "mk port-forward pod/web-1 :80 9443:443   # a random local port, and 9443",
    ],
    load: async () => (await import("./commands/port-forward.ts")).runPortForward,
  },
  {
    name: "top",
    usage: "top <pods|nodes> [name]",
    description: "CPU (millicores) and memory (Mi) of pods or nodes, from Docker's stats",
    options: [["--sort-by <key>", "cpu or memory"], SELECTOR],
    examples: ["mk top pods --sort-by cpu", "mk top pods -l app=web", "mk top nodes"],
    load: async () => (await import("./commands/top.ts")).runTop,
  },
  {
    name: "events",
    usage: "events",
    description: "List recent events (aggregated); -w to keep watching",
    options: [
      ["-w, --watch", "Keep printing new events"],
      ["--for <object>", "Only events of one object, e.g. pod/web-1 or deploy/web"],
      ["--limit <n>", "How many events", 100],
    ],
    examples: ["mk events --for pod/web-1", "mk events -w"],
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
      ["--ssh-keepalive-interval <duration>", "SSH nodes: send a keepalive request this often", "2s"],
      [
        "--ssh-keepalive-count <n>",
        "SSH nodes: close the link after this many unanswered keepalives (default: enough to cover --node-grace, at least 3)",
      ],
      ["--ssh-connect-timeout <duration>", "SSH nodes: the handshake must finish within this", "5s"],
      [
        "--ssh-docker-concurrency <n>",
        "SSH nodes: most bulk Docker calls (create, start, remove, list...) at once per node; heartbeats, probes and stops never wait for one",
        4,
      ],
      ["--settle <duration>", "A returning node gets new pods after being Ready this long", "3s"],
      ["--lease <duration>", "Controller lease duration", "15s"],
      [
        "--renew-deadline <duration>",
        "A leader that cannot renew for this long stops (default 2/3 of the lease)",
      ],
      ["--tls-cert <file>", "Serve HTTPS with this PEM certificate (with --tls-key)"],
      ["--tls-key <file>", "PEM private key of --tls-cert"],
      [
        "--allow-host <names>",
        "Comma-separated host names clients may use besides IPs, localhost and this machine's name",
      ],
      ["--sql-timeout <duration>", "Longest mk sql query; it is stopped after this", "5s"],
      ["--sql-max-rows <n>", "Most rows an mk sql query may return", 10000],
      ["--no-local-node", "Do not register the local Docker engine as node local"],
      ["--etcd <urls>", "HA: join a control plane on etcd (comma-separated client URLs)"],
      ["--id <name>", "HA: this controller's name (required with --etcd)"],
      ["--etcd-prefix <prefix>", "HA: etcd key prefix of this cluster (default /mk/default)"],
      ["--election-ttl <duration>", "HA: leader lease TTL in etcd (default 2s, etcd's minimum)"],
      ["--etcd-reseed", "HA recovery: an etcd prefix that lost its data restarts from this replica's state"],
      ["--advertise-url <url>", "HA: how the other controllers reach this one (default from --listen)"],
      ["--autoscaler-sync <duration>", "Autoscaler sync period (Kubernetes' HPA default)", "15s"],
      [
        "--autoscaler-window <duration>",
        "CPU rate window of the autoscaler (Prometheus rate() or mk's samples)",
        "1m",
      ],
      ["--autoscaler-tolerance <ratio>", "No rescale while usage/target is within 1 +- this", 0.1],
      [
        "--autoscaler-cpu-init <duration>",
        "A pod's cpu counts as 0 on scale-up for this long after it starts",
        "30s",
      ],
      [
        "--prometheus <url>",
        "Autoscale on CPU from this Prometheus (HTTP API); default: mk's own Docker stats",
      ],
      ["--prometheus-timeout <duration>", "Timeout of one Prometheus query", "5s"],
      [
        "--stats-interval <duration>",
        "How often Docker stats are read per node (usage metrics, autoscaler)",
        "10s",
      ],
    ],
    examples: [
      "mk server                            # 127.0.0.1:7070: API, /healthz, /livez, /readyz, /metrics, status page",
      "mk server --listen 0.0.0.0:7070 --backoff-max 60s",
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
    examples: [
      "mk node add n1 --docker ssh://root@10.0.0.5 --identity ~/.ssh/id_ed25519 --accept-new-host-key",
      "mk node cordon n1 && mk node drain n1",
      "mk node ls",
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
    examples: [
      'mk sql "select name, phase, node, restart_count from pods"',
      'mk sql "pragma table_info(pods)" -o json',
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
    examples: [
      "mk rollout status deploy/web",
      "mk rollout undo deploy/web",
      "mk rollout history podset/web --revision 2",
    ],
    load: async () => (await import("./commands/rollout.ts")).runRollout,
  },
  {
    name: "set",
    usage: "set <what> [...args]",
    description: "Change a podset's template: mk set image podset/web app=nginx:1.27 (a new revision)",
    options: [],
    examples: ["mk set image deploy/web web=nginx:1.27", "mk set image podset/web *=mk.local/busybox:1"],
    load: async () => (await import("./commands/rollout.ts")).runSet,
  },
  {
    name: "scale",
    usage: "scale [type] [name]",
    description: "Set the replicas of a podset (a Deployment): TYPE/NAME or TYPE NAME",
    options: [["--replicas <n>", "Desired number of pods (0..1000)"]],
    examples: ["mk scale deploy web --replicas 3", "mk scale podset/web --replicas 0"],
    load: async () => (await import("./commands/scale.ts")).runScale,
  },
  {
    name: "autoscale",
    usage: "autoscale [type] [name]",
    description:
      "Create an autoscaling/v2 HorizontalPodAutoscaler for a podset (a Deployment), as kubectl autoscale does",
    options: [
      ["--max <n>", "Most replicas the autoscaler may set (required)"],
      ["--min <n>", "Fewest replicas (default 1)"],
      ["--cpu-percent <n>", "Target average cpu utilization, percent of the request (default 80)"],
      ["--name <name>", "Name of the autoscaler (default: the podset's)"],
      ["--dry-run", "Check and print; change nothing (with -o yaml: the manifest)"],
    ],
    examples: [
      "mk autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10",
      "mk autoscale deploy/web --max 5 --dry-run -o yaml > hpa.yaml",
    ],
    load: async () => (await import("./commands/autoscale.ts")).runAutoscale,
  },
  {
    name: "version",
    usage: "version",
    description: "Print version, commit, build date, Node, SQLite and Docker API versions",
    options: [],
    examples: ["mk version -o json"],
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
    .option(
      "-o, --output <format>",
      "table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC",
      {
        default: "table",
      },
    )
    .option("-n, --namespace <ns>", 'Accepted for kubectl scripts: mk has one namespace, "default"')
    .option("-A, --all-namespaces", "Accepted for kubectl scripts: the one namespace")
    .option("--log-format <format>", "pretty or json (json when stdout is not a terminal)");
  for (const c of COMMANDS) {
    const cmd = cli.command(c.usage, c.description);
    for (const [flag, desc, def] of c.options)
      cmd.option(flag, desc, def === undefined ? undefined : { default: def });
    for (const e of c.examples ?? []) cmd.example(`  $ ${e}`);
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
    // A command's help says what it does right under its usage line (cac prints only the usage).
    const matched = COMMANDS.find((c) => c.name === cli.matchedCommandName);
    if (matched) sections.splice(2, 0, { title: "Description", body: `  ${matched.description}` });
    // A --no-X flag's "(default: true)" is cac's bookkeeping, not something to tell the user.
    for (const s of sections) {
      if (s.title !== "Options") continue;
      s.body = s.body.split("\n").map(withoutDoubledDefault).join("\n");
    }
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
    ...(opts.namespace !== undefined ? { namespace: String(opts.namespace) } : {}),
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
  try {
    const args = normalizeArgv(argv).map((a, i, argv) =>
      a === "-" && (argv[i - 1] === "-f" || argv[i - 1] === "--filename") ? "\0stdin" : a,
    );
    const fixed = args.flatMap((a, i) =>
      args[i + 1] === "\0stdin" ? [] : a === "\0stdin" ? ["--filename=-"] : [a],
    );
    const topic = argv[2] === "help" ? argv[3] : undefined;
    if (topic !== undefined && !topic.startsWith("-") && !COMMANDS.some((c) => c.name === topic))
      throw new UsageError(`Unknown command "${topic}"; run mk --help`);
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
    return reportError(typedFlagError(err, argv), jsonErrors, argv);
  }
}

/** The global flags (every command takes them), as declared in buildCli(). */
const GLOBAL_FLAGS = [
  "--state <path>",
  "--server <url>",
  "--token-file <path>",
  "--ca-file <path>",
  "-o, --output <format>",
  "-n, --namespace <ns>",
  "--log-format <format>",
];

/**
 * kubectl spellings the parser does not read by itself: `mk help CMD` is `mk CMD --help`, and
 * kubectl-argv.ts's rewrites (`-oyaml`, `--replicas -1`, `--wait=false`) with the flags of the
 * command named.
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  // argv[0] is node, argv[1] the script (as process.argv).
  const out = [...argv];
  if (out[2] === "help") {
    out.splice(2, 1);
    out.push("--help");
  }
  const global = valueFlagsOf(GLOBAL_FLAGS);
  const takesValue = (flag = "") =>
    global.long.has(flag.replace(/^--/, "")) || global.short.has(flag.replace(/^-/, ""));
  const commandAt = out.findIndex((a, i) => i >= 2 && !a.startsWith("-") && !takesValue(out[i - 1]));
  const command = COMMANDS.find((c) => c.name === out[commandAt]);
  const flags = valueFlagsOf([...GLOBAL_FLAGS, ...(command?.options ?? []).map((o) => o[0])]);
  return [...out.slice(0, 2), ...rewriteKubectlArgv(out.slice(2), flags)];
}

/** cac reports an unknown flag camelCased (`--gracePeriod`): name it as the user typed it. */
export function typedFlagError(err: unknown, argv: readonly string[]): unknown {
  if (!(err instanceof Error) || err.name !== "CACError") return err;
  const command = argv.slice(2).find((a) => !a.startsWith("-"));
  const missing = /^missing required args for command `([^`]+)`$/.exec(err.message);
  if (missing) {
    const usage = missing[1] as string;
    return new UsageError(
      `mk ${usage.split(" ")[0]} needs arguments: mk ${usage}; run mk ${usage.split(" ")[0]} --help`,
    );
  }
  const unused = /^Unused args: (.+)$/.exec(err.message);
  if (unused)
    return new UsageError(`Unexpected arguments ${unused[1]}; run mk ${command ? `${command} ` : ""}--help`);
  const short = /^Unknown option `-([^-`])`$/.exec(err.message);
  if (short) return new UsageError(`Unknown flag -${short[1]}; run mk ${command ? `${command} ` : ""}--help`);
  const m = /^Unknown option `--([^`]+)`$/.exec(err.message);
  if (!m) return err;
  const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const typed = argv.map((a) => /^--(?:no-)?([^=]+)/.exec(a)).find((x) => x && camel(x[1] ?? "") === m[1]);
  const name = typed ? typed[0] : `--${m[1]}`;
  return new UsageError(`Unknown flag ${name}; run mk ${command ? `${command} ` : ""}--help`);
}

export function reportError(err: unknown, json: boolean, argv: readonly string[] = []): number {
  const isCac = err instanceof Error && err.name === "CACError";
  const state = asStateError(err, undefined, "read"); // a SQLite failure outside the Store's guards
  const mk =
    err instanceof MkError
      ? err
      : state instanceof MkError
        ? state
        : isCac
          ? new UsageError((err as Error).message)
          : undefined;
  if (json) {
    const body = mk
      ? mk.toJSON()
      : { code: "internal", message: String((err as Error)?.message ?? err), details: {} };
    process.stderr.write(`${JSON.stringify({ error: body })}\n`);
  } else if (mk?.code === "not_found" && typeof mk.details.kind === "string") {
    process.stderr.write(`${notFoundLine(mk.details.kind, String(mk.details.name ?? ""), argv)}\n`);
  } else if (mk) {
    process.stderr.write(`error: ${mk.message}\n`);
  } else {
    process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  if (mk) return mk.exitCode;
  if (err instanceof RangeError) return 2;
  return 3;
}
