// The actions a plan returns: data with a reason, executed by execute.ts.
import type { ContainerSpec, PodSpec } from "../manifest/types.ts";

/** A pod as the node agent sees it: bound to this node, maybe being deleted. */
export interface DesiredPod {
  name: string;
  uid: string;
  ownerKind: string;
  ownerName: string;
  spec: PodSpec;
  deleting: boolean;
}

export type Action =
  | {
      type: "create";
      pod: DesiredPod;
      container: ContainerSpec;
      /** Pull the image first (policy Always, or IfNotPresent and missing). */
      pull: boolean;
      /** Counts as a restart: the container ran before (it exited, or vanished). */
      restart: boolean;
      /** The run number, part of the container's name (a retried create conflicts). */
      attempt: number;
      reason: string;
    }
  | { type: "start"; pod: DesiredPod; container: ContainerSpec; id: string; restart: boolean; reason: string }
  | {
      type: "stop";
      pod: DesiredPod;
      container: ContainerSpec;
      id: string;
      graceSeconds: number;
      reason: string;
    }
  | {
      type: "replace";
      pod: DesiredPod;
      container: ContainerSpec;
      id: string;
      /** The new container's run number. */
      attempt: number;
      reason: string;
    }
  | {
      type: "remove";
      pod: DesiredPod;
      container: string;
      id: string;
      graceSeconds: number;
      reason: string;
      /** Routine housekeeping (an older run's container): logged, no event. */
      quiet?: boolean;
    }
  | { type: "remove-orphan"; id: string; name: string; pod: string; graceSeconds: number; reason: string }
  | { type: "finalize"; pod: DesiredPod; reason: string };

export type ActionType = Action["type"];

export function describeAction(a: Action): string {
  switch (a.type) {
    case "remove-orphan":
      return `remove-orphan ${a.name}: ${a.reason}`;
    case "finalize":
      return `finalize pod/${a.pod.name}: ${a.reason}`;
    case "remove":
      return `remove ${a.pod.name}/${a.container}: ${a.reason}`;
    default:
      return `${a.type} ${a.pod.name}/${a.container.name}: ${a.reason}`;
  }
}

/** Which pod an action is about (for an orphan, the pod its labels name). */
export function actionPod(a: Action): string {
  return a.type === "remove-orphan" ? a.pod : a.pod.name;
}

/** Actions with the same key run in order, one at a time; an orphan container is its own key. */
export function actionKey(a: Action): string {
  return a.type === "remove-orphan" ? `orphan:${a.id}` : a.pod.name;
}

export function containerKey(pod: string, container: string): string {
  return `${pod}/${container}`;
}
