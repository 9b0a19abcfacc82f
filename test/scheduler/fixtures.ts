// Fixture builders for the scheduler tests, with overrides (after Nomad's mock.Node / mock.Job).
import type { PodSpec } from "../../src/manifest/types.ts";
import type { NodeInfo } from "../../src/scheduler/types.ts";

export const GiB = 1024 ** 3;

export function makeNode(overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name: "n1",
    ready: true,
    schedulable: true,
    settled: true,
    labels: {},
    taints: [],
    allocatable: { cpuMilli: 4000, memoryBytes: 8 * GiB },
    requested: { cpuMilli: 0, memoryBytes: 0 },
    podCount: 0,
    podSetCounts: {},
    ...overrides,
  };
}

/** A one-container pod spec requesting `requests` (an omitted amount is no request), plus spec overrides. */
export function makeSpec(
  requests: { cpuMilli?: number; memoryBytes?: number },
  spec: Partial<PodSpec> = {},
): PodSpec {
  return {
    containers: [
      {
        name: "app",
        image: "mk.local/busybox:1",
        imagePullPolicy: "IfNotPresent",
        env: [],
        ports: [],
        resources: { requests, limits: {} },
      },
    ],
    restartPolicy: "Always",
    nodeSelector: {},
    tolerations: [],
    terminationGracePeriodSeconds: 30,
    ...spec,
  };
}
