// Per-pod resource use from Docker stats: the CPU and memory gauges (and later the autoscaler)
// read this. Collected on a timer, never on the scrape path: a one-shot Docker stats call takes
// about a second per container.
import pLimit from "p-limit";
import { identityOf } from "../runtime/labels.ts";
import type { ContainerRuntime, RuntimeContainer } from "../runtime/runtime.ts";
import type { PodUsage } from "./registry.ts";

export async function collectUsage(
  runtime: ContainerRuntime,
  node: string,
  containers: readonly RuntimeContainer[],
  concurrency = 8,
): Promise<PodUsage[]> {
  const running = containers.filter((c) => c.state === "running" && identityOf(c.labels));
  const byPod = new Map<string, PodUsage>();
  const limit = pLimit(Math.max(1, concurrency));
  await Promise.all(
    running.map((c) =>
      limit(async () => {
        const pod = identityOf(c.labels)?.pod ?? "";
        try {
          const s = await runtime.stats(c.id);
          const u = byPod.get(pod) ?? { pod, node, cpuSeconds: 0, memoryBytes: 0 };
          u.cpuSeconds += s.cpuTotalNs / 1e9;
          u.memoryBytes += s.memoryBytes;
          if (s.cpuMilli !== undefined) u.cpuMilli = (u.cpuMilli ?? 0) + s.cpuMilli;
          byPod.set(pod, u);
        } catch {
          // The container went away between list and stats: the next round sees the truth.
        }
      }),
    ),
  );
  return [...byPod.values()].sort((a, b) => (a.pod < b.pod ? -1 : 1));
}
