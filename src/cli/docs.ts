// docs/cli.md, generated from the CLI definition so the two cannot drift (a test compares).
import { COMMANDS, EXIT_CODES_HELP } from "./index.ts";

const GLOBAL: [string, string][] = [
  ["--state <path>", "State database (env MK_STATE; default ./.mk/state.db)"],
  ["--server <url>", "Talk to a running mk server instead of the state file (env MK_SERVER)"],
  ["--token-file <path>", "API token file: sent by the CLI, required by mk server (env MK_TOKEN)"],
  ["--ca-file <path>", "CA certificate (PEM) to trust for an https:// server (env MK_CA)"],
  [
    "-o, --output <format>",
    "table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC (default table)",
  ],
  [
    "-n, --namespace <ns>",
    'Accepted for kubectl scripts: "default" (mk has one namespace); any other exits 1',
  ],
  ["-A, --all-namespaces", "Accepted for kubectl scripts: the one namespace"],
  ["--log-format <format>", "pretty or json (json when stdout is not a terminal)"],
  ["-h, --help", "Show help"],
  ["-v, --version", "Show the version"],
];

/** Hand-written sections of docs/cli.md: how objects are named, selected and printed. */
const GUIDE = `## Naming objects

Every command that names objects takes kubectl's forms: \`TYPE NAME [NAME...]\`, \`TYPE/NAME
[TYPE/NAME...]\`, \`TYPE1,TYPE2\` and \`all\` (pods, podsets, autoscalers). Types and their short
names: \`pods\` (\`po\`), \`podsets\` (\`ps\`, \`deployments\`, \`deploy\`, \`deployment.apps\`),
\`nodes\` (\`no\`), \`events\` (\`ev\`), \`autoscalers\` (\`hpa\`). \`src/cli/resource-ref.ts\` resolves
them for every command. \`-n default\` and \`-A\` are accepted and change nothing; any other
namespace is refused (exit 1), since mk has one.

## Selectors

\`-l\` (get, describe, delete, logs) takes Kubernetes' label selector grammar: \`key=value\`,
\`key==value\`, \`key!=value\` (also matches objects without the key), \`key in (a,b)\`,
\`key notin (a)\`, \`key\` (has the label), \`!key\` (has not), \`key>N\` / \`key<N\`; a comma means
and. \`--field-selector\` takes \`field=value\`, \`field==value\` and \`field!=value\`, comma-separated,
on \`metadata.name\` (every type), \`status.phase\`, \`spec.nodeName\` (the node the pod is bound to),
\`spec.restartPolicy\`, \`status.podIP\` (pods), \`spec.unschedulable\` (nodes),
\`involvedObject.kind\`, \`involvedObject.name\`, \`reason\`, \`type\`, \`source.host\` (events). A
selector that does not parse, or an unknown field, is a usage error (exit 2) naming the flag.

## Output formats

| \`-o\` | prints |
|---|---|
| \`table\` (default) | aligned columns; \`--no-headers\`, \`--show-labels\`, \`-L KEY\` add or drop columns; several types print one table each, names as \`TYPE/NAME\` |
| \`wide\` | more columns for every type: pods IP, OWNER, NEXT RETRY; podsets CONTAINERS, IMAGES, SELECTOR, APPLIED AS; nodes DOCKER, VERSION, TAINTS; events FIRST SEEN, NODE; autoscalers APPLIED AS |
| \`json\`, \`yaml\` | Kubernetes-shaped objects: \`apiVersion\`, \`kind\` (as applied: a PodSet applied as a Deployment prints as \`apps/v1\` \`Deployment\`), \`metadata\` (\`name\`, \`namespace\`, \`uid\`, \`creationTimestamp\`, \`generation\`, \`labels\`, \`annotations\`, \`ownerReferences\` on a PodSet's pods), \`spec\` (as a manifest writes it), \`status\`. One object asked for by name prints as that object, anything else as \`apiVersion: v1, kind: List, items: [...]\` |
| \`name\` | \`TYPE/NAME\` per line (\`pod/web-1\`, \`deployment.apps/web\`), for \`xargs\` and \`mk delete\` |
| \`jsonpath=TEMPLATE\` | kubectl's JSONPath, the common subset: \`{.a.b}\`, \`{.items[0].x}\`, \`{.items[-1]}\`, \`{.items[0:2]}\`, \`{.items[*].metadata.name}\` (several results joined by a space), \`{.metadata.labels['app.io/name']}\` or \`{.metadata.labels.app\\.io/name}\`, filters \`{.items[?(@.status.phase=="Running")].metadata.name}\` (\`==\`, \`!=\`, or a path alone for "exists"), \`{range .items[*]}...{end}\`, string literals \`{"\\n"}\` \`{"\\t"}\`, \`{@}\`. A missing key prints nothing. Not supported: \`..\` recursive descent, unions \`[a,b]\`, \`-o go-template\` |
| \`custom-columns=SPEC\` | a table of \`HEADER:JSONPATH\` columns, comma-separated: \`-o custom-columns=NAME:.metadata.name,NODE:.status.node,IP:.status.podIP\`; several values in a cell are joined by \`,\`, a missing one is \`<none>\`; works with \`--no-headers\`, \`--sort-by\` and \`-w\`. Not supported: \`-o custom-columns-file\` |

\`--sort-by PATH\` sorts any of them by one JSONPath field (\`.metadata.creationTimestamp\`,
\`{.status.phase}\`, \`.status.restarts\` numerically). \`-w\` prints the list once, then one line per
object that is added, changed or deleted (polled every 0.5 s; nothing is redrawn, so it works
piped); \`--output-watch-events\` adds an EVENT column (ADDED, MODIFIED, DELETED), or with \`-o json|yaml\`
wraps each object as \`{type, object}\`; \`--watch-only\` skips the initial list.

### Which output is which (changed in 0.1.0)

\`mk get -o json|yaml\` used to print the flat records of the HTTP API (\`[{name, owner, node, phase,
ready, restarts, ...}]\`). It now prints Kubernetes-shaped objects, and **the flat record is the
object's \`status\`**, field for field: \`.[] | .phase\` becomes \`.items[] | .status.phase\`,
\`.name\` is \`.status.name\` (or \`.metadata.name\`). The HTTP API is unchanged: \`GET /api/v1/pods\`
and friends still return the flat records (docs/api.md); \`GET /api/v1/objects/TYPE[/NAME]\` returns
the new shape. \`mk describe -o json\`, \`mk apply|delete|scale -o json\`, \`mk events -o json\` and
\`mk sql -o json\` print what they printed before (apply and delete results gained \`apiVersion\`).

Beside the flat fields, \`status\` carries Kubernetes' own, so kubectl scripts read what they read
from Kubernetes (src/ops/kube-status.ts): pods \`podIP\`, \`podIPs\`, \`startTime\`, \`conditions\`
(PodScheduled, Initialized, ContainersReady, Ready) and \`containerStatuses\` (\`name\`, \`image\`,
\`ready\`, \`started\`, \`restartCount\`, \`containerID\`, \`state\` and \`lastState\` as
\`waiting|running|terminated\`); podsets and Deployments \`observedGeneration\`,
\`updatedReplicas\`, \`readyReplicas\`, \`availableReplicas\`, \`unavailableReplicas\` and
\`conditions\` (Available, Progressing). \`status.replicas\` stays the flat view's desired count. The
node a pod is bound to is \`status.node\` (mk does not write the binding into \`spec.nodeName\`, so the
printed spec applies back unchanged); \`--field-selector spec.nodeName=N\` works as in Kubernetes.

A printed object applies back as \`unchanged\` (\`mk get deploy web -o yaml | mk apply -f -\`, also
whole Lists): apply ignores \`status\` and the server-set metadata (docs/manifests.md) and still
refuses unknown fields. A PodSet's pod applies back as \`unchanged\` while it matches its PodSet;
changing one is refused (change the PodSet).

## Deleting

\`mk delete\` waits until the pods' containers are gone, printing which pods it is still waiting
for; \`--wait=false\` returns at once. \`--grace-period N\` overrides the pods'
\`terminationGracePeriodSeconds\` (stored with the deletion request, so the node agent's stop uses
it; a second, shorter one wins); \`--grace-period 0\` means 1 unless \`--force\`; \`--now\` is 1.
\`--force\` (grace 0) removes the pods from the state at once, so a PodSet replaces them
immediately, and their node agent kills the containers as orphans. \`--ignore-not-found\` makes a
missing object no error.`;

function flagTable(rows: [string, string, unknown?][]): string[] {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    "| flag | meaning | default |",
    "|---|---|---|",
    ...rows.map(
      ([f, d, def]) => `| \`${esc(f)}\` | ${esc(d)} | ${def === undefined ? "" : `\`${String(def)}\``} |`,
    ),
  ];
}

export function cliMarkdown(): string {
  const out: string[] = [
    "# mk command line",
    "",
    "<!-- Generated by `npx tsx scripts/gen-cli-doc.ts` from src/cli/index.ts; test/cli/docs.test.ts checks it. Do not edit by hand. -->",
    "",
    "```",
    "mk <command> [args] [flags]",
    "```",
    "",
    "## Global flags",
    "",
    ...flagTable(GLOBAL),
    "",
    "## Exit codes",
    "",
    "```",
    EXIT_CODES_HELP,
    "```",
    "",
    GUIDE,
    "",
    "## Commands",
    "",
    "`mk help COMMAND` or `mk COMMAND --help` prints a command's description, flags and examples.",
    "",
  ];
  for (const c of COMMANDS) {
    out.push(`### mk ${c.usage}`, "", c.description, "");
    if (c.options.length) out.push(...flagTable(c.options), "");
    if (c.examples?.length) out.push("```sh", ...c.examples, "```", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
