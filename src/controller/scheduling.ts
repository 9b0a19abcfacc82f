// Scheduling step of the controller: reads a snapshot of nodes and unbound pods from the store,
// runs the pure scheduler, and returns the bindings (and unschedulable reasons) as mutations.
import type { Labels, PodSpec, Taint } from "../manifest/types.ts";
import { podHostPorts } from "../scheduler/host-ports.ts";
import { podRequests, scheduleMany } from "../scheduler/schedule.ts";
import type { HostPort, NodeInfo, PodToSchedule, Strategy } from "../scheduler/types.ts";
import type { Mutation } from "../store/mutations.ts";
import type { NodeRow, PodRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { FailedSchedulingEvents } from "./failed-scheduling.ts";
import { type BadRow, goodNodes, goodPods } from "./row-check.ts";

export type SchedulerStrategy = Strategy;

export interface SchedulingOutcome {
  mutations: Mutation[];
  rrCursor: number;
  /** Pod created -> bound, for the scheduling latency histogram. */
  bound: { pod: string; node: string; latencyMs: number }[];
  /** Rows skipped because they do not parse (reported as Warning events by the caller). */
  bad: BadRow[];
}

export function nodeInfos(
  nodes: readonly NodeRow[],
  pods: readonly PodRow[],
  now: number,
  settleMs: number,
): NodeInfo[] {
  const usage = new Map<
    string,
    { cpu: number; mem: number; count: number; owners: Record<string, number>; ports: HostPort[] }
  >();
  for (const p of pods) {
    if (!p.node || p.phase === "Succeeded" || p.phase === "Failed") continue;
    const u = usage.get(p.node) ?? { cpu: 0, mem: 0, count: 0, owners: {}, ports: [] };
    const spec = JSON.parse(p.spec) as PodSpec;
    const r = podRequests(spec);
    u.ports.push(...podHostPorts(spec));
    u.cpu += r.cpuMilli;
    u.mem += r.memoryBytes;
    u.count++;
    if (p.ownerKind === "PodSet") u.owners[p.ownerName] = (u.owners[p.ownerName] ?? 0) + 1;
    usage.set(p.node, u);
  }
  return nodes.map((n) => {
    const u = usage.get(n.name);
    const returned = n.lostAt !== null && n.readySince !== null && n.readySince >= n.lostAt;
    return {
      name: n.name,
      ready: n.state === "Ready",
      schedulable: !n.unschedulable,
      settled: !returned || (n.readySince !== null && now - n.readySince >= settleMs),
      labels: JSON.parse(n.labels) as Labels,
      taints: JSON.parse(n.taints) as Taint[],
      allocatable: { cpuMilli: n.cpuMilli, memoryBytes: n.memoryBytes },
      requested: { cpuMilli: u?.cpu ?? 0, memoryBytes: u?.mem ?? 0 },
      podCount: u?.count ?? 0,
      podSetCounts: u?.owners ?? {},
      usedPorts: u?.ports ?? [],
    };
  });
}

export function schedulePending(
  store: Store,
  now: number,
  opts: { strategy: Strategy; rrCursor: number; settleMs: number; events?: FailedSchedulingEvents },
): SchedulingOutcome {
  const bad: BadRow[] = [];
  const all = goodPods(store.listPods(), bad);
  const pending = all.filter((p) => p.node === null && p.deletionAt === null);
  opts.events?.retain(new Set(pending.map((p) => p.name)));
  if (pending.length === 0) return { mutations: [], rrCursor: opts.rrCursor, bound: [], bad };
  const nodes = nodeInfos(goodNodes(store.listNodes(), bad), all, now, opts.settleMs);
  const byName = new Map(pending.map((p) => [p.name, p]));
  const toSchedule: PodToSchedule[] = pending
    .sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1))
    .map((p) => ({
      name: p.name,
      ...(p.ownerKind === "PodSet" ? { owner: p.ownerName } : {}),
      spec: JSON.parse(p.spec) as PodSpec,
    }));
  const res = scheduleMany(toSchedule, nodes, { strategy: opts.strategy, rrCursor: opts.rrCursor });
  const muts: Mutation[] = [];
  const bound: SchedulingOutcome["bound"] = [];
  for (const b of res.bindings) {
    muts.push({ op: "bindPod", name: b.pod, node: b.node, at: now });
    muts.push({
      op: "recordEvent",
      type: "Normal",
      reason: "Scheduled",
      objectKind: "Pod",
      objectName: b.pod,
      node: b.node,
      message: `Successfully assigned ${b.pod} to ${b.node}`,
      at: now,
    });
    bound.push({ pod: b.pod, node: b.node, latencyMs: now - (byName.get(b.pod)?.createdAt ?? now) });
  }
  for (const f of res.failures) {
    const row = byName.get(f.pod);
    if (row && (row.message !== f.reason || row.unschedulableTransient !== f.transient)) {
      muts.push({
        op: "setPodStatus",
        name: f.pod,
        phase: "Pending",
        reason: "Unschedulable",
        message: f.reason,
        unschedulableTransient: f.transient,
        ready: false,
        restartCount: row.restartCount,
        ip: null,
        startedAt: null,
      });
    }
    if (opts.events && !opts.events.record(f.pod, f.reason, now)) continue;
    muts.push({
      op: "recordEvent",
      type: "Warning",
      reason: "FailedScheduling",
      objectKind: "Pod",
      objectName: f.pod,
      node: null,
      message: f.reason,
      at: now,
    });
  }
  return { mutations: muts, rrCursor: res.rrCursor, bound, bad };
}
