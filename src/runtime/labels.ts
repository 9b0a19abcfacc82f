// The mk.* labels every managed container carries: enough to rebuild observed state from Docker alone.

export const LABEL = {
  managed: "mk.managed",
  pod: "mk.pod",
  podUid: "mk.pod-uid",
  container: "mk.container",
  node: "mk.node",
  specHash: "mk.spec-hash",
  owner: "mk.owner",
  /** The run number of a pod's container: 0 first, +1 for each restart (a new container each time). */
  restart: "mk.restart",
  /** Scopes containers to one state database, so two mk installations on one engine never collide. */
  cluster: "mk.cluster",
} as const;

export interface ContainerIdentity {
  cluster: string;
  pod: string;
  podUid: string;
  container: string;
  node: string;
  specHash: string;
  owner?: string;
  /** The run number (LABEL.restart); absent on containers from before numbering. */
  attempt?: number;
}

export function containerLabels(
  id: ContainerIdentity,
  extra: Record<string, string> = {},
): Record<string, string> {
  const labels: Record<string, string> = {
    ...extra,
    [LABEL.managed]: "true",
    [LABEL.cluster]: id.cluster,
    [LABEL.pod]: id.pod,
    [LABEL.podUid]: id.podUid,
    [LABEL.container]: id.container,
    [LABEL.node]: id.node,
    [LABEL.specHash]: id.specHash,
  };
  if (id.owner) labels[LABEL.owner] = id.owner;
  if (id.attempt !== undefined) labels[LABEL.restart] = String(id.attempt);
  return labels;
}

/** Reads mk's identity back from a container's labels; undefined when it is not mk-managed. */
export function identityOf(labels: Record<string, string>): ContainerIdentity | undefined {
  if (labels[LABEL.managed] !== "true") return undefined;
  const pod = labels[LABEL.pod];
  const podUid = labels[LABEL.podUid];
  const container = labels[LABEL.container];
  if (!pod || !podUid || !container) return undefined;
  return {
    cluster: labels[LABEL.cluster] ?? "",
    pod,
    podUid,
    container,
    node: labels[LABEL.node] ?? "",
    specHash: labels[LABEL.specHash] ?? "",
    owner: labels[LABEL.owner],
    ...(labels[LABEL.restart] !== undefined ? { attempt: Number(labels[LABEL.restart]) } : {}),
  };
}

/**
 * Readable, unique and derived: mk_<pod>_<container>_<first 8 of the pod uid>_<attempt>. Derived,
 * never random, so a create retried after a crash conflicts instead of starting a second container.
 */
export function containerName(pod: string, container: string, podUid: string, attempt = 0): string {
  return `mk_${pod}_${container}_${podUid.replace(/-/g, "").slice(0, 8)}_${attempt}`;
}
