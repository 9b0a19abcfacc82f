// plan(): what to do on one node so its Docker containers match the pods bound to it. Pure: it
// sees desired pods, observed containers, container statuses and probe verdicts, and returns
// actions, each with its reason. execute.ts performs them.
import type { ContainerSpec } from "../manifest/types.ts";
import { identityOf } from "../runtime/labels.ts";
import type { RuntimeContainer } from "../runtime/runtime.ts";
import { type Action, containerKey, type DesiredPod } from "./actions.ts";
import { attemptOf, sortAttempts } from "./attempts.ts";
import { containerHash } from "./spec-hash.ts";
import type { ContainerStatus } from "./status.ts";

export interface PlanInput {
  node: string;
  now: number;
  pods: readonly DesiredPod[];
  observed: readonly RuntimeContainer[];
  /** Keyed by containerKey(pod, container). */
  statuses: ReadonlyMap<string, ContainerStatus>;
  /** Images present on the node. */
  images: ReadonlySet<string>;
  /** Containers whose liveness probe crossed its failure threshold, with the probe's last error. */
  livenessFailures?: ReadonlyMap<string, string>;
}

/** Grace period for containers that belong to no pod: they are not ours to be patient with. */
const ORPHAN_GRACE_SECONDS = 2;

export function plan(input: PlanInput): Action[] {
  const { pods, observed, statuses, images, now } = input;
  const actions: Action[] = [];
  const podsByName = new Map(pods.map((p) => [p.name, p]));
  const mine = new Map<string, RuntimeContainer[]>();

  for (const c of observed) {
    const id = identityOf(c.labels);
    if (!id) continue; // not mk's: never touched
    const pod = podsByName.get(id.pod);
    const spec = pod?.spec.containers.find((s) => s.name === id.container);
    if (!pod || pod.uid !== id.podUid) {
      if (c.state !== "removing") {
        actions.push({
          type: "remove-orphan",
          id: c.id,
          name: c.name,
          pod: id.pod,
          graceSeconds: ORPHAN_GRACE_SECONDS,
          reason: pod
            ? `pod ${id.pod} was recreated with another uid`
            : `no pod ${id.pod} is bound to node ${input.node}`,
        });
      }
      continue;
    }
    if (!spec) {
      actions.push({
        type: "remove",
        pod,
        container: id.container,
        id: c.id,
        graceSeconds: pod.spec.terminationGracePeriodSeconds,
        reason: `container ${id.container} is no longer in the pod's spec`,
      });
      continue;
    }
    const key = containerKey(pod.name, spec.name);
    const list = mine.get(key);
    if (list) list.push(c);
    else mine.set(key, [c]);
  }

  for (const pod of pods) {
    if (pod.deleting) {
      planDeletion(pod, mine, actions);
      continue;
    }
    for (const spec of pod.spec.containers) {
      const key = containerKey(pod.name, spec.name);
      const { current, previous, extra } = sortAttempts(mine.get(key) ?? []);
      for (const old of extra) {
        if (old.state === "removing") continue;
        actions.push({
          type: "remove",
          pod,
          container: spec.name,
          id: old.id,
          graceSeconds: pod.spec.terminationGracePeriodSeconds,
          reason: `an older run of ${key} (keeping ${current?.name} and the previous run)`,
          quiet: true,
        });
      }
      const planned = planContainer(
        pod,
        spec,
        current,
        statuses.get(key),
        images,
        now,
        input.livenessFailures,
      );
      if (planned) actions.push(planned);
      if (planned?.type === "create" && planned.restart && previous && previous.state !== "removing") {
        // A restart: the container that just exited becomes "previous"; the one before it goes,
        // after the new run started (its removal must not delay the restart).
        actions.push({
          type: "remove",
          pod,
          container: spec.name,
          id: previous.id,
          graceSeconds: pod.spec.terminationGracePeriodSeconds,
          reason: `the run before ${current?.name} is no longer the previous one`,
          quiet: true,
        });
      }
    }
  }
  return actions;
}

/** Removes every container of the pod, then the pod; the executor stops at the first failure. */
function planDeletion(pod: DesiredPod, mine: Map<string, RuntimeContainer[]>, actions: Action[]): void {
  for (const [key, list] of mine) {
    if (!key.startsWith(`${pod.name}/`)) continue;
    for (const c of list) {
      actions.push({
        type: "remove",
        pod,
        container: key.slice(pod.name.length + 1),
        id: c.id,
        graceSeconds: pod.spec.terminationGracePeriodSeconds,
        reason: "pod is being deleted",
      });
    }
  }
  actions.push({ type: "finalize", pod, reason: "all containers are gone" });
}

function planContainer(
  pod: DesiredPod,
  spec: ContainerSpec,
  current: RuntimeContainer | undefined,
  st: ContainerStatus | undefined,
  images: ReadonlySet<string>,
  now: number,
  liveness: ReadonlyMap<string, string> | undefined,
): Action | undefined {
  const waitingForBackoff = st?.nextRestartAt != null && st.nextRestartAt > now;
  if (!current) {
    if (st?.state === "terminated") return undefined; // finished for good (policy said no restart)
    if (waitingForBackoff) return undefined;
    const ranBefore = st !== undefined && (st.startedAt !== null || st.lastFinishedAt !== null);
    return {
      type: "create",
      pod,
      container: spec,
      pull: wantsPull(spec, images),
      restart: ranBefore,
      // Nothing of this pod's container is on the node, so any number is free; the restart count
      // keeps it growing.
      attempt: (st?.restartCount ?? 0) + (ranBefore ? 1 : 0),
      reason: ranBefore ? "container is gone; recreating it" : "pod has no container yet",
    };
  }
  if (current.labels["mk.spec-hash"] !== containerHash(spec)) {
    if (current.state === "removing") return undefined;
    return {
      type: "replace",
      pod,
      container: spec,
      id: current.id,
      attempt: attemptOf(current) + 1,
      reason: "container spec changed",
    };
  }
  switch (current.state) {
    case "created":
      if (waitingForBackoff) return undefined;
      // Created by a restart that did not get to start it (a crash, a port taken): still a restart.
      return {
        type: "start",
        pod,
        container: spec,
        id: current.id,
        restart: attemptOf(current) > 0 && st !== undefined && st.restartCount < attemptOf(current),
        reason: "container is created",
      };
    case "running": {
      const failure = liveness?.get(containerKey(pod.name, spec.name));
      if (failure === undefined) return undefined;
      return {
        type: "stop",
        pod,
        container: spec,
        id: current.id,
        graceSeconds: pod.spec.terminationGracePeriodSeconds,
        reason: `Container ${spec.name} failed liveness probe, will be restarted: ${failure}`,
      };
    }
    case "exited":
    case "dead": {
      if (st?.state !== "waiting" || waitingForBackoff) return undefined;
      if (st.lastFinishedAt !== (current.finishedAt ?? st.lastFinishedAt)) return undefined; // status not caught up
      // A restart is a new container, as the kubelet does: the crashed run's writable layer does
      // not leak into the next, and its logs stay readable (`mk logs -p`) until the next restart.
      // The exited run still holds its image, so only policy Always pulls (no lookup first).
      return {
        type: "create",
        pod,
        container: spec,
        pull: spec.imagePullPolicy === "Always",
        restart: true,
        attempt: attemptOf(current) + 1,
        reason:
          st.backoffStep > 0 ? `restarting after back-off (step ${st.backoffStep})` : "container exited",
      };
    }
    default:
      return undefined; // paused, restarting, removing: wait and see
  }
}

function wantsPull(spec: ContainerSpec, images: ReadonlySet<string>): boolean {
  return (
    spec.imagePullPolicy === "Always" || (spec.imagePullPolicy === "IfNotPresent" && !images.has(spec.image))
  );
}
