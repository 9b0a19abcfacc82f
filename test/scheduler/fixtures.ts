// Fixture builders for the scheduler tests, with overrides (after Nomad's mock.Node / mock.Job).
import type { PodSpec } from "../../src/manifest/types.ts";
import type { NodeInfo, PodToSchedule } from "../../src/scheduler/types.ts";

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

export type PodOverrides = {
  name?: string;
  owner?: string;
  cpuMilli?: number;
  memoryBytes?: number;
} & Partial<PodSpec>;

/** A pod of one container; requests not given fall back to `defaults` (omitted there: no request). */
export function makePodToSchedule(
  overrides: PodOverrides = {},
  defaults: { cpuMilli?: number; memoryBytes?: number } = {},
): PodToSchedule {
  const {
    name = "web-1",
    owner,
    cpuMilli = defaults.cpuMilli,
    memoryBytes = defaults.memoryBytes,
    ...spec
  } = overrides;
  const requests = {
    ...(cpuMilli === undefined ? {} : { cpuMilli }),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
  };
  return { name, ...(owner === undefined ? {} : { owner }), spec: makeSpec(requests, spec) };
}
