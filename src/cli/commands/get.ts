// mk get / mk describe. The table printers take Kubernetes-shaped objects (ops/kube-objects.ts)
// whose status is the flat view; TABLES maps each resource to its printer. Listing, filtering and
// sorting live in ../listing.ts, output formats in ../render.ts, -w in ../watch.ts.
import { stringify } from "yaml";
import { UsageError } from "../../lib/errors.ts";
import type { KubeObject } from "../../ops/kube-objects.ts";
import type { Described } from "../../ops/queries.ts";
import type { EventView, NodeView, PodSetView, PodView } from "../../ops/views.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { invalidRowWarnings } from "../invalid-rows.ts";
import { filtersOf, listObjects } from "../listing.ts";
import { notFoundLine } from "../not-found.ts";
import { age, formatBytes, formatCpu, formatData, table } from "../output.ts";
import { type Columns, printListing, type TableOptions, tableOptionsOf } from "../render.ts";
import { parseResourceArgs, RESOURCES, type Resource, resourceOf } from "../resource-ref.ts";
import { watchListing } from "../watch.ts";
import { autoscalerColumns, describeAutoscalerText } from "./get-autoscalers.ts";

export { resourceOf };

const view = <T>(objects: readonly KubeObject[]) => objects.map((o) => o.status as T);

export function podColumns(pods: readonly PodView[], wide: boolean): Columns {
  const now = Date.now();
  const headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"];
  if (wide) headers.push("IP", "OWNER", "NEXT RETRY");
  return {
    headers,
    rows: pods.map((p) => {
      const row: (string | number | null)[] = [
        p.name,
        p.readyContainers,
        // kubectl's STATUS for a pod no node can take: Pending (the reason is in describe, events
        // and the PodScheduled condition of -o yaml).
        p.status === "Unschedulable" ? "Pending" : p.status,
        p.restarts,
        age(p.createdAt, now),
        p.node,
      ];
      if (wide)
        row.push(
          p.ip,
          `${p.owner.kind.toLowerCase()}/${p.owner.name}`,
          p.nextRestartAt
            ? `in ${Math.max(0, Math.ceil((Date.parse(p.nextRestartAt) - now) / 1000))}s`
            : null,
        );
      return row;
    }),
  };
}

export function printPods(pods: readonly PodView[], wide: boolean): string {
  const c = podColumns(pods, wide);
  return table(c.headers, c.rows);
}

interface TemplateSpec {
  template?: { spec?: { containers?: { name: string; image: string }[] } };
  selector?: { matchLabels?: Record<string, string> };
}

function podSetColumns(objects: readonly KubeObject[], wide: boolean): Columns {
  // kubectl's Deployment columns; wide adds the revision and strategy of the rollout.
  const headers = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"];
  if (wide) headers.push("REVISION", "STRATEGY", "CONTAINERS", "IMAGES", "SELECTOR", "APPLIED AS");
  return {
    headers,
    rows: objects.map((o) => {
      const s = o.status as PodSetView;
      const row: (string | number | null)[] = [
        s.name,
        `${s.ready}/${s.replicas}`,
        s.upToDate,
        s.available,
        age(s.createdAt),
      ];
      if (wide) row.push(s.revision, s.paused ? `${s.strategy} (paused)` : s.strategy);
      if (wide) {
        const spec = (o.spec ?? {}) as TemplateSpec;
        const containers = spec.template?.spec?.containers ?? [];
        row.push(
          containers.map((c) => c.name).join(","),
          containers.map((c) => c.image).join(","),
          Object.entries(spec.selector?.matchLabels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(","),
          `${o.kind} (${o.apiVersion})`,
        );
      }
      return row;
    }),
  };
}

function nodeColumns(nodes: readonly NodeView[], wide: boolean): Columns {
  const headers = ["NAME", "STATUS", "PODS", "CPU", "MEMORY", "AGE"];
  if (wide) headers.push("DOCKER", "VERSION", "TAINTS");
  return {
    headers,
    rows: nodes.map((n) => {
      const status = n.unschedulable ? `${n.state},SchedulingDisabled` : n.state;
      const row: (string | number | null)[] = [
        n.name,
        status,
        n.pods,
        `${formatCpu(n.requested.cpuMilli)}/${formatCpu(n.capacity.cpuMilli)}`,
        `${formatBytes(n.requested.memoryBytes)}/${formatBytes(n.capacity.memoryBytes)}`,
        age(n.createdAt),
      ];
      if (wide)
        row.push(
          n.docker,
          n.dockerVersion,
          n.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`).join(","),
        );
      return row;
    }),
  };
}

export function eventColumns(events: readonly EventView[], wide = false): Columns {
  const headers = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"];
  if (wide) headers.splice(1, 0, "FIRST SEEN", "NODE");
  return {
    headers,
    rows: events.map((e) =>
      wide
        ? [age(e.lastSeen), age(e.firstSeen), e.node, e.type, e.reason, e.object, e.count, e.message]
        : [age(e.lastSeen), e.type, e.reason, e.object, e.count, e.message],
    ),
  };
}

export function printEvents(events: readonly EventView[]): string {
  const c = eventColumns(events);
  return table(c.headers, c.rows);
}

/** The table printer of each resource. */
export const TABLES: Record<Resource, (objects: readonly KubeObject[], wide: boolean) => Columns> = {
  pods: (o, wide) => podColumns(view<PodView>(o), wide),
  podsets: podSetColumns,
  nodes: (o, wide) => nodeColumns(view<NodeView>(o), wide),
  events: (o, wide) => eventColumns(view<EventView>(o), wide),
  autoscalers: autoscalerColumns,
};

export async function runGet(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const groups = parseResourceArgs(args, "get");
  const filters = filtersOf(opts, groups);
  const tableOpts: TableOptions = tableOptionsOf(ctx, opts, TABLES);
  // One object asked for by name prints as that object; anything else as a List.
  const single = groups.length === 1 && groups[0]?.names.length === 1;
  const api = await ctx.api();
  try {
    if (opts.watch === true || opts.watchOnly === true)
      return await watchListing(ctx, api, groups, filters, tableOpts, {
        events: opts.outputWatchEvents === true,
        watchOnly: opts.watchOnly === true,
      });
    const listing = await listObjects(api, groups, filters);
    for (const w of invalidRowWarnings(listing.sections.flatMap((x) => x.objects)))
      process.stderr.write(`Warning: ${w}\n`);
    return printListing(ctx, listing, single, tableOpts);
  } finally {
    api.close();
  }
}

export function describeText(d: Described & { apiVersion?: string | null }): string {
  if (d.kind === "Autoscaler")
    return describeAutoscalerText(
      d,
      printEvents(d.events)
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
  const lines: string[] = [];
  const kv = (k: string, v: unknown) =>
    lines.push(`${`${k}:`.padEnd(22)}${v === null || v === undefined || v === "" ? "<none>" : String(v)}`);
  const s = d.status as unknown as Record<string, unknown>;
  kv("Name", d.name);
  if (d.invalidRow) kv("Invalid row", d.invalidRow);
  kv("Kind", d.kind);
  if (d.apiVersion) {
    const written = d.kind === "PodSet" && d.apiVersion === "apps/v1" ? "Deployment" : d.kind;
    kv("Applied As", `${written} (${d.apiVersion}) -> ${d.kind.toLowerCase()}/${d.name}`);
  }
  if (d.kind === "Pod") {
    const p = d.status as PodView;
    kv("Owner", `${p.owner.kind.toLowerCase()}/${p.owner.name}`);
    kv("Node", p.node);
    kv("Status", p.status);
    kv("Phase", p.phase);
    kv("Ready", p.ready);
    kv("IP", p.ip);
    kv("Restarts", p.restarts);
    kv("Created", p.createdAt);
    kv("Started", p.startedAt);
    if (p.nextRestartAt) kv("Next restart", p.nextRestartAt);
    if (p.message) kv("Message", p.message);
    kv(
      "Labels",
      Object.entries(p.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", "),
    );
    lines.push("Containers:");
    for (const c of p.containers) {
      lines.push(`  ${c.name}:`);
      lines.push(`    Image:          ${c.image}`);
      lines.push(`    Container ID:   ${c.containerId ?? "<none>"}`);
      lines.push(`    State:          ${c.state}${c.reason ? ` (${c.reason})` : ""}`);
      if (c.message) lines.push(`    Message:        ${c.message}`);
      if (c.startedAt) lines.push(`    Started:        ${c.startedAt}`);
      if (c.nextRestartAt) lines.push(`    Next restart:   ${c.nextRestartAt}`);
      lines.push(`    Ready:          ${c.ready}`);
      lines.push(`    Restart Count:  ${c.restartCount}`);
      if (c.lastTermination) {
        const t = c.lastTermination;
        lines.push(
          `    Last State:     terminated (${t.reason ?? "?"}), exit code ${t.exitCode ?? "?"}, at ${t.finishedAt}${t.oomKilled ? ", OOMKilled" : ""}`,
        );
      }
    }
  } else {
    const title = (k: string) => k.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase());
    const flat = (v: unknown): unknown =>
      v !== null && typeof v === "object"
        ? Array.isArray(v)
          ? v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ")
          : Object.entries(v as Record<string, unknown>)
              .map(([a, b]) => `${a}=${typeof b === "object" ? JSON.stringify(b) : String(b)}`)
              .join(", ")
        : v;
    // Quantities as `get nodes` prints them: 2 CPUs as "2", memory as "23.5Gi".
    const quantity = (v: unknown) => {
      const q = v as { cpuMilli: number; memoryBytes: number };
      return `cpu ${formatCpu(q.cpuMilli)}, memory ${formatBytes(q.memoryBytes)}`;
    };
    for (const [k, v] of Object.entries(s)) {
      if (k === "name") continue;
      kv(title(k), d.kind === "Node" && (k === "capacity" || k === "requested") ? quantity(v) : flat(v));
    }
  }
  if (d.rollout) {
    lines.push("Conditions:");
    lines.push(
      ...table(
        ["TYPE", "STATUS", "REASON", "MESSAGE"],
        d.rollout.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      )
        .split("\n")
        .map((l) => `  ${l}`),
    );
    lines.push("Revisions:");
    lines.push(
      ...table(
        ["REVISION", "PODS", "CHANGE-CAUSE", "AGE", "IMAGES"],
        d.rollout.revisions.map((r) => [
          `${r.revision}${r.current ? " (current)" : ""}`,
          r.pods,
          r.changeCause,
          age(r.createdAt),
          r.images.join(","),
        ]),
      )
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  if (d.object) {
    lines.push("Spec:");
    lines.push(
      ...stringify(d.object.spec)
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  lines.push("Events:");
  if (d.events.length === 0) lines.push("  <none>");
  else
    lines.push(
      ...printEvents(d.events)
        .split("\n")
        .map((l) => `  ${l}`),
    );
  return lines.join("\n");
}

export async function runDescribe(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const groups = parseResourceArgs(args, "describe");
  const filters = filtersOf(opts, groups);
  for (const g of groups) {
    if (g.resource === "events")
      throw new UsageError(`mk describe takes pods, podsets, nodes or autoscalers (hpa), not ${g.resource}`);
  }
  const api = await ctx.api();
  let code = 0;
  try {
    const texts: string[] = [];
    const data: unknown[] = [];
    for (const g of groups) {
      const kind = RESOURCES[g.resource].kind;
      // `mk describe pods` (and -l) describes every matching object, like kubectl.
      const names =
        g.names.length > 0 && !filters.labels
          ? g.names
          : (await listObjects(api, [g], filters)).sections.flatMap((s) =>
              s.objects.map((o) => o.metadata.name),
            );
      for (const name of names) {
        try {
          const d = await api.describe(kind, name);
          data.push(d);
          texts.push(describeText(d));
        } catch (err) {
          if ((err as { code?: string }).code !== "not_found") throw err;
          process.stderr.write(`${notFoundLine(kind, name, g.typed ? [g.typed] : [])}\n`);
          code = 1;
        }
      }
    }
    if (ctx.output === "json" || ctx.output === "yaml")
      ctx.out(formatData(data.length === 1 && groups[0]?.names.length === 1 ? data[0] : data, ctx.output));
    else if (texts.length > 0) ctx.out(texts.join("\n\n\n"));
    else if (code === 0) process.stderr.write("No resources found in default namespace.\n");
    return code;
  } finally {
    api.close();
  }
}
