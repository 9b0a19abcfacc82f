// What `mk get` (and delete -l, logs -l) lists: the objects of each resource group, filtered by
// label and field selectors and sorted by --sort-by. Objects are the Kubernetes-shaped ones of
// ops/kube-objects.ts, whose `status` is the flat view.
import type { MkApi } from "../api/types.ts";
import { MkError, UsageError } from "../lib/errors.ts";
import type { KubeObject } from "../ops/kube-objects.ts";
import {
  type FieldRequirement,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "../ops/selector.ts";
import { evaluate, parsePath } from "./jsonpath.ts";
import { groupNoun } from "./not-found.ts";
import { RESOURCES, type Resource, type ResourceGroup } from "./resource-ref.ts";

type Status = Record<string, unknown>;
const status = (o: KubeObject) => (o.status ?? {}) as Status;
const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));

/** The fields --field-selector takes per resource (Kubernetes' names) and where each is read. */
export const FIELDS: Record<Resource, Record<string, (o: KubeObject) => string>> = {
  pods: {
    "metadata.name": (o) => o.metadata.name,
    "metadata.namespace": () => "default",
    // The node the pod is bound to (Kubernetes writes the binding into spec.nodeName).
    "spec.nodeName": (o) => str(status(o).node),
    "spec.restartPolicy": (o) => str(o.spec?.restartPolicy),
    "status.phase": (o) => str(status(o).phase),
    "status.podIP": (o) => str(status(o).ip),
  },
  podsets: { "metadata.name": (o) => o.metadata.name, "metadata.namespace": () => "default" },
  nodes: {
    "metadata.name": (o) => o.metadata.name,
    "metadata.namespace": () => "",
    "spec.unschedulable": (o) => str(status(o).unschedulable),
  },
  events: {
    "metadata.name": (o) => o.metadata.name,
    "metadata.namespace": () => "default",
    "involvedObject.kind": (o) => str((o.involvedObject as Status | undefined)?.kind),
    "involvedObject.name": (o) => str((o.involvedObject as Status | undefined)?.name),
    reason: (o) => str(o.reason),
    type: (o) => str(o.type),
    "source.host": (o) => str((o.source as Status | undefined)?.host),
  },
  autoscalers: { "metadata.name": (o) => o.metadata.name, "metadata.namespace": () => "default" },
};

export interface Filters {
  labels?: LabelSelector;
  /** The raw --field-selector: parsed per resource, since each has its own fields. */
  fields?: string;
  sortBy?: string;
}

/** -l, --field-selector and --sort-by from the options, checked before anything is fetched. */
export function filtersOf(opts: Record<string, unknown>, groups: readonly ResourceGroup[]): Filters {
  const out: Filters = {};
  const flag = (name: string, v: unknown) => {
    if (v === true || v === "") throw new UsageError(`${name} needs a value`);
    return v === undefined ? undefined : String(v);
  };
  // A selector that does not parse is a usage error naming the flag (exit 2).
  const asUsage = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof MkError && !(err instanceof UsageError))
        throw new UsageError(`${name}: ${err.message}`);
      throw err;
    }
  };
  const l = flag("-l/--selector", opts.selector ?? opts.l);
  if (l !== undefined) out.labels = asUsage("-l", () => parseLabelSelector(l));
  const f = flag("--field-selector", opts.fieldSelector);
  if (f !== undefined) {
    for (const g of groups)
      asUsage("--field-selector", () => parseFieldSelector(f, Object.keys(FIELDS[g.resource])));
    out.fields = f;
  }
  const s = flag("--sort-by", opts.sortBy);
  if (s !== undefined) {
    parsePath(relaxed(s), s);
    out.sortBy = s;
  }
  return out;
}

/** kubectl's relaxed JSONPath for --sort-by: `{.a.b}`, `.a.b` and `a.b` all mean `.a.b`. */
function relaxed(path: string): string {
  const p = path.trim().replace(/^\{(.*)\}$/, "$1");
  return p.startsWith(".") || p.startsWith("[") || p.startsWith("@") ? p : `.${p}`;
}

export function applyFilters(resource: Resource, objects: KubeObject[], f: Filters): KubeObject[] {
  let out = objects;
  if (f.labels) {
    const sel = f.labels;
    out = out.filter((o) => matchesLabels(sel, o.metadata.labels ?? {}));
  }
  if (f.fields !== undefined) {
    const fields = FIELDS[resource];
    const sel: FieldRequirement[] = parseFieldSelector(f.fields, Object.keys(fields));
    out = out.filter((o) => matchesFields(sel, (name) => fields[name]?.(o)));
  }
  if (f.sortBy) out = sortObjects(out, f.sortBy);
  return out;
}

/** Stable sort by one JSONPath field: numbers as numbers, the rest as strings; missing first. */
export function sortObjects(objects: readonly KubeObject[], path: string): KubeObject[] {
  const steps = parsePath(relaxed(path), path);
  const keyed = objects.map((o, i) => ({ o, i, v: evaluate(steps, o)[0] }));
  const rank = (v: unknown) => (v === undefined || v === null ? 0 : typeof v === "number" ? 1 : 2);
  keyed.sort((a, b) => {
    const ra = rank(a.v);
    const rb = rank(b.v);
    if (ra !== rb) return ra - rb;
    if (ra === 1) return (a.v as number) - (b.v as number) || a.i - b.i;
    if (ra === 2) {
      const sa = typeof a.v === "string" ? a.v : JSON.stringify(a.v);
      const sb = typeof b.v === "string" ? b.v : JSON.stringify(b.v);
      return sa < sb ? -1 : sa > sb ? 1 : a.i - b.i;
    }
    return a.i - b.i;
  });
  return keyed.map((k) => k.o);
}

export interface Section {
  resource: Resource;
  objects: KubeObject[];
}

export interface Listing {
  sections: Section[];
  /** `pods "x" not found` (kubectl's words) for every name asked for that does not exist. */
  missing: string[];
}

/** Fetches each group (all objects, or the ones named) and applies the filters. */
export async function listObjects(
  api: MkApi,
  groups: readonly ResourceGroup[],
  filters: Filters,
): Promise<Listing> {
  const sections: Section[] = [];
  const missing: string[] = [];
  for (const g of groups) {
    const kind = RESOURCES[g.resource].kind;
    let objects: KubeObject[];
    if (g.names.length === 0) objects = await api.objects(kind);
    else {
      objects = [];
      for (const name of [...new Set(g.names)]) {
        try {
          objects.push(...(await api.objects(kind, name)));
        } catch (err) {
          if (err instanceof MkError && err.code === "not_found")
            missing.push(`${groupNoun(g.resource, g.typed)} "${name}" not found`);
          else throw err;
        }
      }
    }
    sections.push({ resource: g.resource, objects: applyFilters(g.resource, objects, filters) });
  }
  return { sections, missing };
}
