// Naming resources on the command line, as kubectl does: a type word (`pods`, `po`, `deploy`,
// `deployment.apps`, `hpa`...), `TYPE/NAME`, `TYPE NAME...`, `TYPE1,TYPE2` and `all`. Every command
// that names an object (get, describe, delete, logs, scale, rollout, set image, wait, exec...)
// resolves its arguments here, so the same words work everywhere. Pure.
import { UsageError } from "../lib/errors.ts";

export type Resource = "pods" | "podsets" | "nodes" | "events" | "autoscalers";

export interface ResourceInfo {
  resource: Resource;
  /** The mk kind stored in the state (a Deployment is a PodSet). */
  kind: string;
  /** Singular type word, for `TYPE/NAME` output and messages. */
  singular: string;
  /** Every word that names this resource (lower case). */
  words: readonly string[];
}

export const RESOURCES: Record<Resource, ResourceInfo> = {
  pods: { resource: "pods", kind: "Pod", singular: "pod", words: ["pod", "pods", "po"] },
  podsets: {
    resource: "podsets",
    kind: "PodSet",
    singular: "podset",
    words: [
      "podset",
      "podsets",
      "ps",
      "deployment",
      "deployments",
      "deploy",
      "deployment.apps",
      "deployments.apps",
      "podset.mk",
      "podsets.mk",
    ],
  },
  nodes: { resource: "nodes", kind: "Node", singular: "node", words: ["node", "nodes", "no"] },
  events: { resource: "events", kind: "Event", singular: "event", words: ["event", "events", "ev"] },
  autoscalers: {
    resource: "autoscalers",
    kind: "Autoscaler",
    singular: "autoscaler",
    words: [
      "autoscaler",
      "autoscalers",
      "hpa",
      "horizontalpodautoscaler",
      "horizontalpodautoscalers",
      "horizontalpodautoscaler.autoscaling",
      "horizontalpodautoscalers.autoscaling",
    ],
  },
};

/** What `get all` lists, like kubectl's `all` category (workloads, not nodes or events). */
export const ALL: readonly Resource[] = ["pods", "podsets", "autoscalers"];

const BY_WORD = new Map<string, Resource>(
  Object.values(RESOURCES).flatMap((r) => r.words.map((w) => [w, r.resource] as const)),
);

const KNOWN =
  "pods (po), podsets (ps, deployments, deploy), nodes (no), events (ev), autoscalers (hpa) or all";

/** The resource a type word names, or a usage error listing the words mk knows. */
export function resourceOf(word: string | undefined): Resource {
  const r = BY_WORD.get((word ?? "").toLowerCase());
  if (!r) {
    throw new UsageError(
      word
        ? `Unknown resource type "${word}": expected ${KNOWN}`
        : `Missing resource type: expected ${KNOWN}`,
    );
  }
  return r;
}

/** The resource of a mk kind ("Pod", "PodSet", "Deployment"...). */
export function resourceOfKind(kind: string): Resource | undefined {
  return Object.values(RESOURCES).find(
    (r) => r.kind === kind || (kind === "Deployment" && r.kind === "PodSet"),
  )?.resource;
}

/**
 * The type word kubectl would print for an object: `deployment.apps` for a PodSet applied as an
 * apps/v1 Deployment, else the mk kind in lower case (`pod`, `podset`, `node`, `autoscaler`).
 */
export function typeWord(kind: string, apiVersion?: string | null): string {
  if ((kind === "PodSet" || kind === "Deployment") && apiVersion === "apps/v1") return "deployment.apps";
  if ((kind === "Autoscaler" || kind === "HorizontalPodAutoscaler") && apiVersion?.startsWith("autoscaling/"))
    return "horizontalpodautoscaler.autoscaling";
  return kind.toLowerCase();
}

export interface ResourceRef {
  resource: Resource;
  kind: string;
  name: string;
}

/** One resource type and the names asked for (none: every object of the type). */
export interface ResourceGroup {
  resource: Resource;
  names: string[];
  /** The type word as typed (`deploy`, `po`), for messages in the user's words. */
  typed?: string;
}

function checkName(name: string, arg: string, command: string): string {
  if (name === "") throw new UsageError(`mk ${command}: "${arg}" has no name after the "/"`);
  return name;
}

/**
 * Positional arguments of a multi-object command (get, delete) as groups, in the order given:
 *   TYPE                 every object of TYPE
 *   TYPE NAME [NAME...]  those objects
 *   TYPE1,TYPE2          every object of each type (`all` expands to pods, podsets, autoscalers)
 *   TYPE/NAME [TYPE/NAME...]
 */
export function parseResourceArgs(args: readonly string[], command: string): ResourceGroup[] {
  const first = args[0];
  if (first === undefined)
    throw new UsageError(`mk ${command} needs a resource type, e.g. mk ${command} pods`);
  if (first.includes("/")) {
    const groups: ResourceGroup[] = [];
    for (const arg of args) {
      const slash = arg.indexOf("/");
      if (slash < 0) {
        throw new UsageError(
          `mk ${command}: "${arg}" has no type; when one argument is TYPE/NAME, all must be (e.g. pod/${arg})`,
        );
      }
      const typed = arg.slice(0, slash);
      const resource = resourceOf(typed);
      const name = checkName(arg.slice(slash + 1), arg, command);
      const last = groups[groups.length - 1];
      if (last && last.resource === resource) last.names.push(name);
      else groups.push({ resource, names: [name], typed });
    }
    return groups;
  }
  const names = args.slice(1);
  const slashed = names.find((n) => n.includes("/"));
  if (slashed) {
    throw new UsageError(
      `mk ${command}: there is no need to give a resource type as a separate argument with TYPE/NAME ("${slashed}")`,
    );
  }
  const types = first.split(",").filter((t) => t !== "");
  const resources = types.flatMap((t): { resource: Resource; typed?: string }[] =>
    t.toLowerCase() === "all"
      ? ALL.map((resource) => ({ resource }))
      : [{ resource: resourceOf(t), typed: t }],
  );
  if (resources.length === 0) throw new UsageError(`mk ${command}: no resource type in "${first}"`);
  if (names.length > 0 && resources.length > 1) {
    throw new UsageError(`mk ${command}: names can only be given with one resource type, got "${first}"`);
  }
  const seen = new Set<Resource>();
  return resources
    .filter((r) => !seen.has(r.resource) && seen.add(r.resource))
    .map((r) => ({ ...r, names: [...names] }));
}

/**
 * Exactly one object: `TYPE/NAME` or `TYPE NAME`, or a bare `NAME` when the command has a default
 * type (logs and exec take pods). Returns the arguments left over, and the type word as typed
 * (`deploy`, `po`; the default type's singular for a bare NAME), for messages in the user's words.
 */
export function parseSingleRef(
  args: readonly string[],
  opts: { command: string; allowed: readonly Resource[]; defaultResource?: Resource; example: string },
): { ref: ResourceRef; rest: string[]; typed: string } {
  const [first, second, ...more] = args;
  const usage = `mk ${opts.command} needs ${opts.allowed.map((r) => `${RESOURCES[r].singular}/NAME`).join(" or ")}, e.g. ${opts.example}`;
  if (first === undefined) throw new UsageError(usage);
  let resource: Resource;
  let name: string;
  let rest: string[];
  let typed: string;
  const slash = first.indexOf("/");
  if (slash >= 0) {
    typed = first.slice(0, slash);
    resource = resourceOf(typed);
    name = checkName(first.slice(slash + 1), first, opts.command);
    rest = second === undefined ? [] : [second, ...more];
  } else if (BY_WORD.has(first.toLowerCase()) && (second !== undefined || !opts.defaultResource)) {
    typed = first;
    resource = resourceOf(first);
    if (second === undefined) throw new UsageError(usage);
    name = second;
    rest = more;
  } else if (opts.defaultResource) {
    resource = opts.defaultResource;
    typed = RESOURCES[resource].singular;
    name = first;
    rest = second === undefined ? [] : [second, ...more];
  } else {
    throw new UsageError(`${usage}; "${first}" is not a resource type`);
  }
  if (!opts.allowed.includes(resource)) {
    throw new UsageError(
      `mk ${opts.command} does not take ${RESOURCES[resource].resource}: expected ${opts.allowed.map((r) => RESOURCES[r].resource).join(" or ")}`,
    );
  }
  return { ref: { resource, kind: RESOURCES[resource].kind, name }, rest, typed };
}
