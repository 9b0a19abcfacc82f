// Filter plugins: each one decides whether a pod may run on a node and, when it may not, says why in
// words that group well in the "0/3 nodes are available: ..." message. They run once per node for
// every pod, so they read precomputed pod data and allocate only to build a rejection reason.
// Toleration matching follows Kubernetes (k8s.io/api/core/v1 Toleration.ToleratesTaint).

import type { Taint, Toleration } from "../manifest/types.ts";
import { hostPortsConflict } from "./host-ports.ts";
import type { FilterPlugin } from "./types.ts";

/** Kubernetes ToleratesTaint: an empty effect or key matches any; Exists ignores the value. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  if (toleration.key !== undefined && toleration.key !== "" && toleration.key !== taint.key) return false;
  if (toleration.operator === "Exists") return true;
  return (toleration.value ?? "") === (taint.value ?? "");
}

/** The first toleration that tolerates the taint, as Kubernetes picks it. */
export function findToleration(tolerations: readonly Toleration[], taint: Taint): Toleration | undefined {
  for (const toleration of tolerations) {
    if (tolerates(toleration, taint)) return toleration;
  }
  return undefined;
}

/** kubectl's notation: `key=value:Effect`, or `key:Effect` without a value. */
export function formatTaint(taint: Taint): string {
  const value = taint.value === undefined || taint.value === "" ? "" : `=${taint.value}`;
  return `${taint.key}${value}:${taint.effect}`;
}

export const nodeReady: FilterPlugin = {
  name: "NodeReady",
  readsUsage: false,
  transient: true,
  filter: (_pod, node) => (node.ready ? undefined : "node is not ready"),
};

export const nodeSettled: FilterPlugin = {
  name: "NodeSettled",
  readsUsage: false,
  transient: true,
  filter: (_pod, node) => (node.settled ? undefined : "node is settling after a restart"),
};

export const nodeUnschedulable: FilterPlugin = {
  name: "NodeUnschedulable",
  readsUsage: false,
  filter: (_pod, node) => (node.schedulable ? undefined : "node is cordoned"),
};

export const nodeName: FilterPlugin = {
  name: "NodeName",
  readsUsage: false,
  filter(pod, node) {
    const wanted = pod.spec.nodeName;
    if (wanted === undefined || wanted === "" || wanted === node.name) return undefined;
    return "node(s) didn't match the requested node name";
  },
};

export const nodeSelector: FilterPlugin = {
  name: "NodeSelector",
  readsUsage: false,
  filter(pod, node) {
    for (const [key, value] of pod.nodeSelector) {
      // An inherited property ("constructor") is never a string, so it cannot match.
      if (node.labels[key] !== value) {
        return "node(s) didn't match nodeSelector";
      }
    }
    return undefined;
  },
};

/** NoSchedule and NoExecute taints repel pods that do not tolerate them; PreferNoSchedule is a score. */
export const taintToleration: FilterPlugin = {
  name: "TaintToleration",
  readsUsage: false,
  filter(pod, node) {
    for (const taint of node.taints) {
      if (taint.effect === "PreferNoSchedule") continue;
      if (findToleration(pod.spec.tolerations, taint) === undefined) {
        return `untolerated taint ${formatTaint(taint)}`;
      }
    }
    return undefined;
  },
};

/** Kubernetes' NodePorts: the pod's host ports must be free on the node (same port and protocol). */
export const nodePorts: FilterPlugin = {
  name: "NodePorts",
  readsUsage: true,
  filter(pod, node) {
    if (pod.hostPorts.length === 0 || !node.usedPorts || node.usedPorts.length === 0) return undefined;
    return hostPortsConflict(pod.hostPorts, node.usedPorts)
      ? "node(s) didn't have free ports for the requested pod ports"
      : undefined;
  },
};

/**
 * The pod's requests must fit in what is left of the node's allocatable. A resource the pod does
 * not request is not checked, so a zero-request pod still fits an overcommitted node (Kubernetes).
 */
export const resources: FilterPlugin = {
  name: "Resources",
  readsUsage: true,
  filter(pod, node) {
    const { cpuMilli, memoryBytes } = pod.requests;
    const cpuShort = cpuMilli > 0 && cpuMilli > node.allocatable.cpuMilli - node.requested.cpuMilli;
    const memoryShort =
      memoryBytes > 0 && memoryBytes > node.allocatable.memoryBytes - node.requested.memoryBytes;
    if (cpuShort && memoryShort) return "Insufficient cpu and memory";
    if (cpuShort) return "Insufficient cpu";
    if (memoryShort) return "Insufficient memory";
    return undefined;
  },
};

/**
 * In order: a node is reported with the first filter that rejects it, so node health comes first
 * (a node that is down is "not ready", whatever else it lacks) and capacity last.
 */
export const DEFAULT_FILTERS: readonly FilterPlugin[] = [
  nodeReady,
  nodeSettled,
  nodeUnschedulable,
  nodeName,
  nodeSelector,
  taintToleration,
  nodePorts,
  resources,
];
