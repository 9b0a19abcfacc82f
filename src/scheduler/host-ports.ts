// Host ports as a scheduling constraint (Kubernetes' NodePorts filter): a pod that asks for a
// hostPort needs that port and protocol free on the node's address it binds. An empty hostIP (or
// 0.0.0.0 / ::) binds every address, so it conflicts with any use of the port and protocol;
// two specific addresses conflict only when equal (k8s.io/kubernetes pkg/scheduler/framework
// HostPortInfo.CheckConflict).
import type { PodSpec } from "../manifest/types.ts";
import type { HostPort } from "./types.ts";

const WILDCARDS = new Set(["", "0.0.0.0", "::"]);

/** The host ports a pod's containers ask for (containers' ports with a hostPort). */
export function podHostPorts(spec: PodSpec): HostPort[] {
  const out: HostPort[] = [];
  for (const c of spec.containers) {
    for (const p of c.ports) {
      if (!p.hostPort) continue;
      out.push({
        hostIP: WILDCARDS.has(p.hostIP ?? "") ? "0.0.0.0" : (p.hostIP ?? ""),
        protocol: p.protocol,
        port: p.hostPort,
      });
    }
  }
  return out;
}

function conflicts(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.hostIP === "0.0.0.0" || b.hostIP === "0.0.0.0" || a.hostIP === b.hostIP;
}

/** True when one of `wanted` is already taken by `used`. */
export function hostPortsConflict(wanted: readonly HostPort[], used: readonly HostPort[]): boolean {
  for (const w of wanted) {
    for (const u of used) if (conflicts(w, u)) return true;
  }
  return false;
}
