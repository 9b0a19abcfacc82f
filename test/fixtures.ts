// Fixture builders with overrides, for unit tests.

import type { ContainerSpec, PodSpec, Probe } from "../src/manifest/types.ts";
import type { DesiredPod } from "../src/reconcile/actions.ts";

export function makeContainer(o: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: "main",
    image: "mk.local/busybox:1",
    imagePullPolicy: "IfNotPresent",
    command: ["sleep", "3600"],
    env: [],
    ports: [],
    resources: { requests: {}, limits: {} },
    ...o,
  };
}

export function makePodSpec(o: Partial<PodSpec> = {}): PodSpec {
  return {
    containers: [makeContainer()],
    restartPolicy: "Always",
    nodeSelector: {},
    tolerations: [],
    terminationGracePeriodSeconds: 1,
    ...o,
  };
}

export function makePod(o: Omit<Partial<DesiredPod>, "spec"> & { spec?: Partial<PodSpec> } = {}): DesiredPod {
  const { spec, ...rest } = o;
  return {
    name: "web",
    uid: "11111111-2222-3333-4444-555555555555",
    ownerKind: "Pod",
    ownerName: o.name ?? "web",
    deleting: false,
    ...rest,
    spec: makePodSpec(spec),
  };
}

export function makeProbe(o: Partial<Probe> = {}): Probe {
  return {
    handler: { type: "tcpSocket", port: 80 },
    initialDelaySeconds: 0,
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    ...o,
  };
}
