// kubectl's words for an object that is not there: `Error from server (NotFound): pods "x" not
// found`, the resource in the plural and, for a word of an API group, with the group
// (`deployments.apps "web"` when the user typed deploy/web, `horizontalpodautoscalers.autoscaling`
// for hpa). Pure.
import { RESOURCES, type Resource, resourceOf } from "./resource-ref.ts";

const DEPLOYMENT_WORDS = new Set([
  "deployment",
  "deployments",
  "deploy",
  "deployment.apps",
  "deployments.apps",
]);

function resourceOrUndefined(word: string): Resource | undefined {
  try {
    return resourceOf(word);
  } catch {
    return undefined;
  }
}

/** The plural kubectl prints for `resource`, as the user named it (`typed`). */
export function groupNoun(resource: Resource, typed?: string): string {
  const t = typed?.toLowerCase();
  if (resource === "podsets" && t !== undefined && DEPLOYMENT_WORDS.has(t)) return "deployments.apps";
  if (
    resource === "autoscalers" &&
    t !== undefined &&
    (t === "hpa" || t.startsWith("horizontalpodautoscaler"))
  )
    return "horizontalpodautoscalers.autoscaling";
  return RESOURCES[resource].resource;
}

/** The type word the command line used for objects of `resource` (TYPE/NAME or TYPE NAME), if any. */
export function typedWordIn(argv: readonly string[], resource: Resource): string | undefined {
  const dd = argv.indexOf("--");
  for (const a of dd < 0 ? argv : argv.slice(0, dd)) {
    if (a.startsWith("-")) continue;
    for (const word of a.split("/")[0]?.split(",") ?? []) {
      if (resourceOrUndefined(word) === resource) return word;
    }
  }
  return undefined;
}

/** `Error from server (NotFound): pods "x" not found`; kind is mk's ("pod", "PodSet", ...). */
export function notFoundLine(kind: string, name: string, argv: readonly string[] = []): string {
  const resource = resourceOrUndefined(kind);
  const noun = resource ? groupNoun(resource, typedWordIn(argv, resource)) : kind;
  return `Error from server (NotFound): ${noun} "${name}" not found`;
}
