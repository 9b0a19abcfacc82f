// Maps one container of a pod to what the runtime creates: name, labels, ports, limits.
import type { ContainerSpec } from "../manifest/types.ts";
import { containerLabels, containerName } from "../runtime/labels.ts";
import type { ContainerCreateSpec } from "../runtime/runtime.ts";
import type { DesiredPod } from "./actions.ts";
import { containerHash } from "./spec-hash.ts";

export function toCreateSpec(
  pod: DesiredPod,
  c: ContainerSpec,
  node: string,
  cluster: string,
  /** The run number: 0 first, +1 per restart. */
  attempt = 0,
): ContainerCreateSpec {
  const limits = c.resources.limits;
  return {
    name: containerName(pod.name, c.name, pod.uid, attempt),
    image: c.image,
    ...(c.command ? { entrypoint: c.command } : {}),
    ...(c.args ? { cmd: c.args } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    env: c.env.map((e) => `${e.name}=${e.value}`),
    labels: containerLabels({
      cluster,
      pod: pod.name,
      podUid: pod.uid,
      container: c.name,
      node,
      specHash: containerHash(c),
      ...(pod.ownerKind === "PodSet" ? { owner: pod.ownerName } : {}),
      attempt,
    }),
    hostname: pod.name,
    ports: c.ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol === "UDP" ? "udp" : "tcp",
      ...(p.hostPort ? { hostPort: p.hostPort } : {}),
      ...(p.hostIP ? { hostIp: p.hostIP } : {}),
    })),
    // Docker takes CPU as nano-CPUs and memory in bytes; requests are for the scheduler only.
    ...(limits.cpuMilli ? { nanoCpus: limits.cpuMilli * 1_000_000 } : {}),
    ...(limits.memoryBytes ? { memoryBytes: limits.memoryBytes } : {}),
  };
}
