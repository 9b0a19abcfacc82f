// mk top: CPU and memory of pods and nodes from the Docker stats mk samples (metrics/usage.ts).
// CPU is a rate in millicores over Docker's ~1 s sampling interval, memory the working set
// (usage minus inactive file cache). A node's numbers are the sum of mk's containers on it, out of
// the capacity Docker reports (other processes on the host are not counted).
import { errorMessage } from "../lib/errors.ts";
import type { PodUsage } from "../metrics/registry.ts";
import { collectUsage } from "../metrics/usage.ts";
import { LABEL } from "../runtime/labels.ts";
import type { NodeRow, PodRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { NodeOpener } from "./pod-target.ts";

export interface PodTop {
  name: string;
  node: string;
  /** null when Docker gave no rate yet. */
  cpuMilli: number | null;
  memoryBytes: number;
}

export interface NodeTop {
  name: string;
  cpuMilli: number;
  memoryBytes: number;
  cpuCapacityMilli: number;
  memoryCapacityBytes: number;
  /** null when the capacity is not known yet. */
  cpuPercent: number | null;
  memoryPercent: number | null;
}

export interface TopReport {
  pods: PodTop[];
  nodes: NodeTop[];
  /** Nodes whose numbers could not be read, with why. */
  unavailable: { node: string; reason: string }[];
}

/** Pure: samples of pods that still exist, summed per node against its capacity. */
export function topReport(
  samples: readonly PodUsage[],
  nodes: readonly NodeRow[],
  pods: readonly PodRow[],
  unavailable: TopReport["unavailable"] = [],
): TopReport {
  const bound = new Map(pods.map((p) => [p.name, p.node]));
  const mine = samples.filter((s) => bound.get(s.pod) === s.node);
  const podTops = mine
    .map((s) => ({
      name: s.pod,
      node: s.node,
      cpuMilli: s.cpuMilli === undefined ? null : Math.round(s.cpuMilli),
      memoryBytes: s.memoryBytes,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const nodeTops = nodes.map((n) => {
    const on = mine.filter((s) => s.node === n.name);
    const cpuMilli = Math.round(on.reduce((t, s) => t + (s.cpuMilli ?? 0), 0));
    const memoryBytes = on.reduce((t, s) => t + s.memoryBytes, 0);
    return {
      name: n.name,
      cpuMilli,
      memoryBytes,
      cpuCapacityMilli: n.cpuMilli,
      memoryCapacityBytes: n.memoryBytes,
      cpuPercent: n.cpuMilli > 0 ? Math.round((cpuMilli / n.cpuMilli) * 100) : null,
      memoryPercent: n.memoryBytes > 0 ? Math.round((memoryBytes / n.memoryBytes) * 100) : null,
    };
  });
  return { pods: podTops, nodes: nodeTops, unavailable };
}

/** Samples every Ready node now (about a second: Docker measures the CPU rate over one). */
export async function sampleUsage(store: Store, open: NodeOpener): Promise<TopReport> {
  const nodes = store.listNodes();
  const cluster = store.clusterId();
  const unavailable: TopReport["unavailable"] = [];
  const samples = (
    await Promise.all(
      nodes.map(async (n) => {
        if (n.state !== "Ready") {
          unavailable.push({ node: n.name, reason: `node is ${n.state}` });
          return [];
        }
        const lease = await open(n);
        try {
          const list = await lease.conn.runtime.list({ [LABEL.managed]: "true", [LABEL.cluster]: cluster });
          return await collectUsage(lease.conn.runtime, n.name, list);
        } catch (err) {
          unavailable.push({ node: n.name, reason: errorMessage(err) });
          return [];
        } finally {
          lease.release();
        }
      }),
    )
  ).flat();
  return topReport(samples, nodes, store.listPods(), unavailable);
}
