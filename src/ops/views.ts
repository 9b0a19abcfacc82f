// The records `mk get -o json`, `mk describe` and the HTTP API return: plain objects with stable
// field names (scripts parse them). Times are ISO-8601 strings or null.

import { isAvailable } from "../controller/rollout.ts";
import { checkNode, checkPod, checkPodSet } from "../controller/row-check.ts";
import type { Labels, MkObjectBody, PodSetSpec, PodSpec, Taint } from "../manifest/types.ts";
import type { ContainerStatusRow, EventRow, NodeRow, ObjectRow, PodRow } from "../store/rows.ts";

const iso = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString());

export interface ContainerView {
  name: string;
  image: string;
  state: string;
  reason: string | null;
  message: string | null;
  ready: boolean;
  restartCount: number;
  containerId: string | null;
  startedAt: string | null;
  nextRestartAt: string | null;
  lastTermination: {
    exitCode: number | null;
    reason: string | null;
    finishedAt: string | null;
    oomKilled: boolean;
  } | null;
}

export interface PodView {
  name: string;
  uid: string;
  owner: { kind: string; name: string };
  node: string | null;
  phase: string;
  status: string;
  reason: string | null;
  message: string | null;
  /**
   * Reason Unschedulable, for now only: some node refuses the pod only because it is not ready or
   * still settling (the scheduler's transient flag), so it will be placed without anyone acting.
   */
  unschedulableTransient: boolean;
  ready: boolean;
  readyContainers: string;
  restarts: number;
  ip: string | null;
  labels: Labels;
  createdAt: string | null;
  scheduledAt: string | null;
  startedAt: string | null;
  /** Ready without a break since (null when not ready): minReadySeconds counts from here. */
  readySince: string | null;
  deletionRequestedAt: string | null;
  nextRestartAt: string | null;
  containers: ContainerView[];
  /** Set when the stored row does not decode: what is wrong (column and field). */
  invalidRow?: string;
}

export function podView(p: PodRow, statuses: readonly ContainerStatusRow[]): PodView {
  // A row damaged behind mk's back is shown (as InvalidRow, with the reason), never a 500.
  const checked = checkPod(p);
  const spec = checked.ok ? checked.value.spec : ({ containers: [] } as unknown as PodSpec);
  const mine = statuses.filter((s) => s.pod === p.name && s.podUid === p.uid);
  const containers: ContainerView[] = spec.containers.map((c) => {
    const s = mine.find((x) => x.container === c.name);
    return {
      name: c.name,
      image: c.image,
      state: s?.state ?? "waiting",
      reason: s ? s.reason : p.node ? "ContainerCreating" : "Unscheduled",
      message: s?.message ?? null,
      // A pod on a lost node shows what is known: nothing is ready there.
      ready: p.phase !== "Unknown" && (s?.ready ?? false),
      restartCount: s?.restartCount ?? 0,
      containerId: s?.containerId ?? null,
      startedAt: iso(s?.startedAt),
      nextRestartAt: iso(s?.nextRestartAt),
      lastTermination:
        s && s.lastFinishedAt !== null
          ? {
              exitCode: s.lastExitCode,
              reason: s.lastReason,
              finishedAt: iso(s.lastFinishedAt),
              oomKilled: Boolean(s.lastOomKilled),
            }
          : null,
    };
  });
  const next = mine.map((s) => s.nextRestartAt).filter((t): t is number => t !== null);
  const readyCount = containers.filter((c) => c.ready).length;
  return {
    name: p.name,
    uid: p.uid,
    owner: { kind: p.ownerKind, name: p.ownerName },
    node: p.node,
    phase: p.phase,
    status: !checked.ok ? "InvalidRow" : p.deletionAt !== null ? "Terminating" : (p.reason ?? p.phase),
    reason: p.reason,
    message: checked.ok ? p.message : checked.reason,
    unschedulableTransient: p.reason === "Unschedulable" && p.unschedulableTransient,
    ready: p.ready,
    readyContainers: `${readyCount}/${containers.length}`,
    restarts: p.restartCount,
    ip: p.ip,
    labels: checked.ok ? checked.value.labels : {},
    createdAt: iso(p.createdAt),
    scheduledAt: iso(p.scheduledAt),
    startedAt: iso(p.startedAt),
    readySince: iso(p.readySince),
    deletionRequestedAt: iso(p.deletionAt),
    nextRestartAt: iso(next.length ? Math.min(...next) : null),
    containers,
    ...(checked.ok ? {} : { invalidRow: checked.reason }),
  };
}

export interface PodSetView {
  name: string;
  replicas: number;
  current: number;
  ready: number;
  upToDate: number;
  /** Ready for minReadySeconds. */
  available: number;
  /** The revision being rolled out (0 before the first pass). */
  revision: number;
  paused: boolean;
  images: string[];
  templateHash: string;
  strategy: string;
  selector: Labels;
  generation: number;
  createdAt: string | null;
  updatedAt: string | null;
  /** Set when the stored row does not decode: what is wrong (column and field). */
  invalidRow?: string;
}

export function podSetView(
  o: ObjectRow,
  pods: readonly PodRow[],
  templateHash: string,
  rollout: { revision: number; paused: boolean; now: number } = {
    revision: 0,
    paused: false,
    now: Date.now(),
  },
): PodSetView {
  const parsed = checkPodSet(o);
  const body = (
    parsed.ok
      ? parsed.value
      : { spec: { replicas: 0, selector: { matchLabels: {} }, strategy: { type: "Recreate" } } }
  ) as MkObjectBody & {
    spec: PodSetSpec;
  };
  const mine = pods.filter(
    (p) => p.ownerKind === "PodSet" && p.ownerName === o.name && p.deletionAt === null,
  );
  return {
    name: o.name,
    replicas: body.spec.replicas,
    current: mine.length,
    ready: mine.filter((p) => p.ready).length,
    upToDate: mine.filter((p) => p.templateHash === templateHash).length,
    available: mine.filter((p) => isAvailable(p, body.spec.minReadySeconds ?? 0, rollout.now)).length,
    revision: rollout.revision,
    paused: rollout.paused,
    images: body.spec.template?.spec?.containers?.map((c) => c.image) ?? [],
    templateHash,
    strategy: body.spec.strategy.type,
    selector: body.spec.selector.matchLabels,
    generation: o.generation,
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
    ...(parsed.ok ? {} : { invalidRow: parsed.reason }),
  };
}

export interface NodeView {
  name: string;
  docker: string;
  state: string;
  message: string | null;
  unschedulable: boolean;
  labels: Labels;
  taints: Taint[];
  capacity: { cpuMilli: number; memoryBytes: number };
  requested: { cpuMilli: number; memoryBytes: number };
  pods: number;
  dockerVersion: string | null;
  lastHeartbeatAt: string | null;
  readySince: string | null;
  stateSince: string | null;
  createdAt: string | null;
  /** Set when the stored row does not decode: what is wrong (column and field). */
  invalidRow?: string;
}

export function nodeView(
  n: NodeRow,
  pods: readonly PodRow[],
  requests: (spec: PodSpec) => { cpuMilli: number; memoryBytes: number },
): NodeView {
  const checkedNode = checkNode(n);
  const mine = pods.filter((p) => p.node === n.name && p.phase !== "Succeeded" && p.phase !== "Failed");
  const req = mine.reduce(
    (acc, p) => {
      const c = checkPod(p);
      const r = c.ok ? requests(c.value.spec) : { cpuMilli: 0, memoryBytes: 0 };
      return { cpuMilli: acc.cpuMilli + r.cpuMilli, memoryBytes: acc.memoryBytes + r.memoryBytes };
    },
    { cpuMilli: 0, memoryBytes: 0 },
  );
  return {
    name: n.name,
    docker: n.docker,
    state: n.state,
    message: n.message,
    unschedulable: n.unschedulable,
    labels: checkedNode.ok ? checkedNode.value.labels : {},
    taints: checkedNode.ok ? checkedNode.value.taints : [],
    capacity: { cpuMilli: n.cpuMilli, memoryBytes: n.memoryBytes },
    requested: req,
    pods: mine.length,
    dockerVersion: n.dockerVersion,
    lastHeartbeatAt: iso(n.lastHeartbeatAt),
    readySince: iso(n.readySince),
    stateSince: iso(n.stateSince),
    createdAt: iso(n.createdAt),
    ...(checkedNode.ok ? {} : { invalidRow: checkedNode.reason }),
  };
}

export interface EventView {
  id: number;
  type: string;
  reason: string;
  object: string;
  node: string | null;
  message: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

export function eventView(e: EventRow): EventView {
  return {
    id: e.id,
    type: e.type,
    reason: e.reason,
    object: `${e.objectKind.toLowerCase()}/${e.objectName}`,
    node: e.node,
    message: e.message,
    count: e.count,
    firstSeen: iso(e.firstSeen),
    lastSeen: iso(e.lastSeen),
  };
}
