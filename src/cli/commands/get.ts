// mk get / mk describe
import { stringify } from "yaml";
import type { MkApi } from "../../api/types.ts";
import { sleep } from "../../lib/clock.ts";
import { UsageError } from "../../lib/errors.ts";
import type { Described } from "../../ops/queries.ts";
import type { EventView, NodeView, PodSetView, PodView } from "../../ops/views.ts";
import { type Context, createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { age, formatBytes, formatCpu, formatData, table } from "../output.ts";

const RESOURCES: Record<string, "pods" | "podsets" | "nodes" | "events"> = {
  pod: "pods",
  pods: "pods",
  po: "pods",
  podset: "podsets",
  podsets: "podsets",
  ps: "podsets",
  deployment: "podsets",
  deployments: "podsets",
  deploy: "podsets",
  node: "nodes",
  nodes: "nodes",
  no: "nodes",
  event: "events",
  events: "events",
  ev: "events",
};

export function resourceOf(word: string | undefined): "pods" | "podsets" | "nodes" | "events" {
  const r = RESOURCES[(word ?? "").toLowerCase()];
  if (!r) throw new UsageError(`Unknown resource "${word ?? ""}": expected pods, podsets, nodes or events`);
  return r;
}

export function printPods(pods: readonly PodView[], wide: boolean): string {
  const now = Date.now();
  const headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"];
  if (wide) headers.push("IP", "OWNER", "NEXT RETRY");
  return table(
    headers,
    pods.map((p) => {
      const row: (string | number | null)[] = [
        p.name,
        p.readyContainers,
        p.status,
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
  );
}

function printPodSets(sets: readonly PodSetView[], wide: boolean): string {
  const headers = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"];
  if (wide) headers.push("REVISION", "STRATEGY", "IMAGES");
  return table(
    headers,
    sets.map((s) => {
      const row: (string | number)[] = [
        s.name,
        `${s.ready}/${s.replicas}`,
        s.upToDate,
        s.available,
        age(s.createdAt),
      ];
      if (wide) row.push(s.revision, s.paused ? `${s.strategy} (paused)` : s.strategy, s.images.join(","));
      return row;
    }),
  );
}

function printNodes(nodes: readonly NodeView[], wide: boolean): string {
  const headers = ["NAME", "STATUS", "PODS", "CPU", "MEMORY", "AGE"];
  if (wide) headers.push("DOCKER", "VERSION", "TAINTS");
  return table(
    headers,
    nodes.map((n) => {
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
  );
}

export function printEvents(events: readonly EventView[]): string {
  return table(
    ["LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"],
    events.map((e) => [age(e.lastSeen), e.type, e.reason, e.object, e.count, e.message]),
  );
}

async function fetchResource(api: MkApi, resource: string, name: string | undefined): Promise<unknown[]> {
  switch (resource) {
    case "pods":
      return name ? [await api.pod(name)] : api.pods();
    case "podsets":
      return name ? [await api.podSet(name)] : api.podSets();
    case "nodes":
      return name ? [await api.node(name)] : api.nodes();
    default:
      return api.events({ limit: 200 });
  }
}

function render(ctx: Context, resource: string, items: unknown[], single: boolean): string {
  if (ctx.output === "json" || ctx.output === "yaml")
    return formatData(single ? items[0] : items, ctx.output);
  const wide = ctx.output === "wide";
  switch (resource) {
    case "pods":
      return items.length ? printPods(items as PodView[], wide) : "No pods found";
    case "podsets":
      return items.length ? printPodSets(items as PodSetView[], wide) : "No podsets found";
    case "nodes":
      return items.length ? printNodes(items as NodeView[], wide) : "No nodes found";
    default:
      return items.length ? printEvents(items as EventView[]) : "No events found";
  }
}

export async function runGet(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const resource = resourceOf(args[0]);
  const name = args[1];
  const api = await ctx.api();
  try {
    let last = "";
    for (;;) {
      const text = render(ctx, resource, await fetchResource(api, resource, name), name !== undefined);
      if (text !== last) {
        if (opts.watch && last && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
        ctx.out(text);
        last = text;
      }
      if (!opts.watch) return 0;
      await sleep(500);
    }
  } finally {
    api.close();
  }
}

function describeText(d: Described): string {
  const lines: string[] = [];
  const kv = (k: string, v: unknown) =>
    lines.push(`${`${k}:`.padEnd(22)}${v === null || v === undefined || v === "" ? "<none>" : String(v)}`);
  const s = d.status as unknown as Record<string, unknown>;
  kv("Name", d.name);
  kv("Kind", d.kind);
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
    for (const [k, v] of Object.entries(s)) if (k !== "name") kv(title(k), flat(v));
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
  const [word, name] = args;
  if (!name) throw new UsageError("mk describe needs a resource and a name, e.g. mk describe pod web");
  const kind = { pods: "Pod", podsets: "PodSet", nodes: "Node", events: "" }[resourceOf(word)];
  if (!kind) throw new UsageError("mk describe takes pod, podset or node");
  const api = await ctx.api();
  try {
    const d = await api.describe(kind, name);
    ctx.out(ctx.output === "json" || ctx.output === "yaml" ? formatData(d, ctx.output) : describeText(d));
    return 0;
  } finally {
    api.close();
  }
}
