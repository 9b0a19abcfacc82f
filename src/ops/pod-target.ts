// Finding a pod's container on its node, for logs, exec and port-forward: the pod row, the
// container (named with -c, or the only one), the node's Docker connection, and the container's
// runs (current and previous). Every "not there" case says why, in kubectl's words.
import { checkPod } from "../controller/row-check.ts";
import { InvalidInputError, NotFoundError } from "../lib/errors.ts";
import type { PodSpec } from "../manifest/types.ts";
import type { NodeConnection, SshConnector } from "../node/connect.ts";
import { type Attempts, sortAttempts } from "../reconcile/attempts.ts";
import { LABEL } from "../runtime/labels.ts";
import { orThrow } from "../store/row-decode.ts";
import type { NodeRow, PodRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

/** A node's Docker connection for one operation; `release` closes it unless it is shared. */
export interface NodeLease {
  conn: NodeConnection;
  release(): void;
}

export type NodeOpener = (node: NodeRow) => Promise<NodeLease>;

/** A fresh connection per operation (the CLI without a server). */
export function openNodeFresh(ssh?: SshConnector): NodeOpener {
  return async (node) => {
    // Docker and SSH clients load only here: other commands start faster without them.
    const { connectNode } = await import("../node/connect.ts");
    const { defaultSshOptions, sshConnector } = await import("../node/ssh-docker.ts");
    const { silentLogger } = await import("../lib/log.ts");
    const conn = connectNode(node, ssh ?? sshConnector(defaultSshOptions(silentLogger)));
    return { conn, release: () => conn.close() };
  };
}

export interface PodTarget {
  row: PodRow;
  spec: PodSpec;
  node: NodeRow;
}

/**
 * The pod, scheduled on a known node; else an error saying why there is nothing to reach:
 * "Pod web has no logs: it is Pending, not scheduled yet (0/3 nodes are available: ...)".
 */
export function findScheduledPod(store: Store, pod: string, what = "has no containers"): PodTarget {
  const row = store.getPod(pod);
  if (!row) throw new NotFoundError("pod", pod);
  if (!row.node) {
    const why = row.message ?? row.reason ?? "waiting for the scheduler";
    throw new InvalidInputError(`Pod ${pod} ${what}: it is ${row.phase}, not scheduled yet (${why})`);
  }
  const node = store.getNode(row.node);
  if (!node) throw new NotFoundError("node", row.node);
  return { row, spec: orThrow(checkPod(row)).spec, node };
}

/** The container named with -c, or the pod's only one. */
export function chooseContainer(t: PodTarget, name: string | undefined): string {
  const names = t.spec.containers.map((c) => c.name);
  if (name === undefined) {
    if (names.length === 1 && names[0]) return names[0];
    throw new InvalidInputError(
      `pod "${t.row.name}" has several containers: choose one with -c (${names.join(", ")})`,
    );
  }
  if (!names.includes(name)) {
    throw new InvalidInputError(
      `container "${name}" is not valid for pod "${t.row.name}": choose one of ${names.join(", ")}`,
    );
  }
  return name;
}

/** The runs of one container of the pod on its node (newest first). */
export async function containerRuns(
  conn: NodeConnection,
  t: PodTarget,
  container: string,
): Promise<Attempts> {
  const list = await conn.runtime.list({ [LABEL.podUid]: t.row.uid, [LABEL.container]: container });
  return sortAttempts(list);
}

/** Why a container has nothing to show yet, from its recorded status: "waiting to start: ...". */
export function waitingReason(store: Store, t: PodTarget, container: string): string {
  const st = store
    .containerStatuses(t.row.name)
    .find((s) => s.podUid === t.row.uid && s.container === container);
  const reason = st?.reason ?? "ContainerCreating";
  const detail =
    reason === "ImagePullBackOff" || reason === "ErrImagePull"
      ? `trying and failing to pull image${st?.message ? `: ${st.message}` : ""}`
      : st?.message
        ? `${reason}: ${st.message}`
        : reason;
  return `container "${container}" in pod "${t.row.name}" is waiting to start: ${detail}`;
}
