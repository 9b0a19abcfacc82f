// Fixture builders with overrides, for unit tests.

import type { ContainerSpec, PodSpec, Probe } from "../src/manifest/types.ts";
import type { ContainerView, PodView } from "../src/ops/views.ts";
import type { DesiredPod } from "../src/reconcile/actions.ts";
import type { ContainerStatus } from "../src/reconcile/status.ts";
import type { RuntimeContainer } from "../src/runtime/runtime.ts";
import type { Mutation } from "../src/store/mutations.ts";
import type { NodeRow, PodRow } from "../src/store/rows.ts";

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

/** A container as the runtime reports it: running, on the bridge, with overrides. */
export function makeRuntimeContainer(o: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    id: "c1",
    name: "mk_web_main_11111111",
    image: "mk.local/busybox:1",
    labels: {},
    state: "running",
    exitCode: null,
    startedAt: 1000,
    finishedAt: null,
    oomKilled: false,
    ip: "172.17.0.2",
    error: null,
    ...o,
  };
}

/** A running, ready container status of `pod`'s container "main", with overrides. */
export function makeStatus(
  pod: { name: string; uid: string },
  o: Partial<ContainerStatus> = {},
): ContainerStatus {
  return {
    pod: pod.name,
    podUid: pod.uid,
    container: "main",
    containerId: null,
    state: "running",
    reason: null,
    message: null,
    ready: true,
    started: true,
    restartCount: 0,
    backoffStep: 0,
    nextRestartAt: null,
    lastRestartAt: null,
    startedAt: 1000,
    lastExitCode: null,
    lastReason: null,
    lastFinishedAt: null,
    lastOomKilled: null,
    updatedAt: 0,
    ...o,
  };
}

/** A Ready node row "a" of 2 CPUs and 1 GiB, as the store returns it. */
export function makeNodeRow(o: Partial<NodeRow> = {}): NodeRow {
  return {
    name: "a",
    docker: "ssh://root@10.0.0.1",
    identityFile: null,
    socketPath: null,
    labels: "{}",
    taints: "[]",
    unschedulable: false,
    state: "Ready",
    message: null,
    cpuMilli: 2000,
    memoryBytes: 2 ** 30,
    dockerVersion: "20.10",
    lastHeartbeatAt: 0,
    readySince: 0,
    lostAt: null,
    stateSince: 0,
    createdAt: 0,
    ...o,
  };
}

/** The upsertNode mutation `mk node add` makes: no labels, taints or identity; the local socket unless given. */
export function upsertNodeMutation(
  name: string,
  at: number,
  docker = "unix:///var/run/docker.sock",
): Extract<Mutation, { op: "upsertNode" }> {
  return {
    op: "upsertNode",
    name,
    docker,
    identityFile: null,
    socketPath: null,
    labels: "{}",
    taints: "[]",
    unschedulable: false,
    at,
  };
}

/** A Running, ready pod row of PodSet web bound to node `a`, as the controller tests start from. */
export function makePodRow(o: Partial<PodRow> = {}): PodRow {
  return {
    name: "web-1",
    uid: "u1",
    ownerKind: "PodSet",
    ownerName: "web",
    templateHash: "h",
    labels: "{}",
    annotations: "{}",
    spec: JSON.stringify(makePodSpec()),
    specHash: "s",
    node: "a",
    phase: "Running",
    reason: null,
    message: null,
    unschedulableTransient: false,
    ready: true,
    restartCount: 0,
    ip: null,
    createdAt: 0,
    scheduledAt: 0,
    startedAt: 0,
    readySince: 0,
    deletionAt: null,
    deletionReason: null,
    deletionGraceSeconds: null,
    ...o,
  };
}

/** A running, ready container view (ContainerView), as the ops and CLI tests start from. */
export function makeContainerView(o: Partial<ContainerView> = {}): ContainerView {
  return {
    name: "main",
    image: "mk.local/busybox:1",
    state: "running",
    reason: null,
    message: null,
    ready: true,
    restartCount: 0,
    containerId: "c1",
    startedAt: null,
    nextRestartAt: null,
    lastTermination: null,
    ...o,
  };
}

/** A Running, Ready standalone pod view (PodView) with one container; `c` overrides that container. */
export function makePodView(o: Partial<PodView> = {}, c: Partial<ContainerView> = {}): PodView {
  return {
    name: "web",
    uid: "u",
    owner: { kind: "Pod", name: "web" },
    node: "local",
    phase: "Running",
    status: "Running",
    reason: null,
    message: null,
    unschedulableTransient: false,
    ready: true,
    readyContainers: "1/1",
    restarts: 0,
    ip: "172.17.0.2",
    labels: {},
    createdAt: null,
    scheduledAt: null,
    startedAt: null,
    readySince: null,
    deletionRequestedAt: null,
    nextRestartAt: null,
    containers: [makeContainerView(c)],
    ...o,
  };
}
