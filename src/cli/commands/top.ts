// mk top pods|nodes [NAME] [-l SELECTOR]: kubectl's columns: NAME CPU(cores) MEMORY(bytes), and CPU% MEMORY%
// for nodes. CPU in millicores ("12m"), memory in Mi, as kubectl prints them.
import { UsageError } from "../../lib/errors.ts";
import type { NodeTop, PodTop } from "../../ops/top.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { filtersOf, listObjects } from "../listing.ts";
import { formatData, table } from "../output.ts";

const mi = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;
const milli = (m: number | null) => (m === null ? "<unknown>" : `${m}m`);
const pct = (p: number | null) => (p === null ? "<unknown>" : `${p}%`);

export function printTopPods(pods: readonly PodTop[]): string {
  return table(
    ["NAME", "CPU(cores)", "MEMORY(bytes)"],
    pods.map((p) => [p.name, milli(p.cpuMilli), mi(p.memoryBytes)]),
  );
}

export function printTopNodes(nodes: readonly NodeTop[]): string {
  return table(
    ["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"],
    nodes.map((n) => [n.name, milli(n.cpuMilli), pct(n.cpuPercent), mi(n.memoryBytes), pct(n.memoryPercent)]),
  );
}

function sortBy<T extends { cpuMilli: number | null; memoryBytes: number }>(list: T[], key: unknown): T[] {
  if (key === undefined) return list;
  if (key === "cpu") return [...list].sort((a, b) => (b.cpuMilli ?? 0) - (a.cpuMilli ?? 0));
  if (key === "memory") return [...list].sort((a, b) => b.memoryBytes - a.memoryBytes);
  throw new UsageError(`--sort-by ${String(key)}: expected cpu or memory`);
}

export async function runTop(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const [what = "", name] = args;
  const kind = ["pod", "pods", "po"].includes(what)
    ? "pods"
    : ["node", "nodes", "no"].includes(what)
      ? "nodes"
      : undefined;
  if (!kind) throw new UsageError(`mk top ${what}: expected mk top pods [NAME] or mk top nodes [NAME]`);
  const api = await ctx.api();
  try {
    const report = await api.top();
    for (const u of report.unavailable) process.stderr.write(`warning: node ${u.node}: ${u.reason}\n`);
    if (kind === "pods") {
      // -l: the pods the selector matches (kubectl top pods -l app=web).
      let matching: Set<string> | undefined;
      if (opts.selector !== undefined) {
        const groups = [{ resource: "pods" as const, names: [] }];
        const listing = await listObjects(api, groups, filtersOf(opts, groups));
        matching = new Set(listing.sections.flatMap((s) => s.objects.map((o) => o.metadata.name)));
      }
      const pods = sortBy(
        report.pods.filter(
          (p) => (name === undefined || p.name === name) && (!matching || matching.has(p.name)),
        ),
        opts.sortBy,
      );
      if (name !== undefined && pods.length === 0) {
        process.stderr.write(`error: metrics not available for pod "${name}" (is it running?)\n`);
        return 1;
      }
      if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(pods, ctx.output));
      else ctx.out(printTopPods(pods));
    } else {
      const nodes = sortBy(
        report.nodes.filter((n) => name === undefined || n.name === name),
        opts.sortBy,
      );
      if (name !== undefined && nodes.length === 0) {
        process.stderr.write(`error: node "${name}" not found\n`);
        return 1;
      }
      if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(nodes, ctx.output));
      else ctx.out(printTopNodes(nodes));
    }
    return 0;
  } finally {
    api.close();
  }
}
