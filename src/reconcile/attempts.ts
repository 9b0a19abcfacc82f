// Which of a pod container's Docker containers is the current one. A restart creates a new
// container (as the kubelet does), numbered by the `mk.restart` label and the name's suffix; the
// newest attempt is the current container, the one before it is kept as "previous" (for
// `mk logs -p`) until the next restart, and anything older is removed.
import { LABEL } from "../runtime/labels.ts";
import type { RuntimeContainer } from "../runtime/runtime.ts";

const ACTIVE = new Set(["running", "paused", "restarting", "created"]);

export function isActive(c: RuntimeContainer): boolean {
  return ACTIVE.has(c.state);
}

/** The attempt number a container carries; containers from before numbering count as 0. */
export function attemptOf(c: RuntimeContainer): number {
  const n = Number(c.labels[LABEL.restart]);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Newest attempt first; equal attempts (only from outside meddling) by start time, then id. */
export function newestFirst(a: RuntimeContainer, b: RuntimeContainer): number {
  return (
    attemptOf(b) - attemptOf(a) ||
    (b.startedAt ?? 0) - (a.startedAt ?? 0) ||
    (ACTIVE.has(b.state) ? 1 : 0) - (ACTIVE.has(a.state) ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export interface Attempts {
  current: RuntimeContainer | undefined;
  /** The previous run's container, exited: kept until the next restart. */
  previous: RuntimeContainer | undefined;
  /** Everything else: older attempts, and an older attempt that still runs. */
  extra: RuntimeContainer[];
}

export function sortAttempts(list: readonly RuntimeContainer[]): Attempts {
  const [current, ...rest] = [...list].sort(newestFirst);
  const previous = rest[0] && !isActive(rest[0]) ? rest[0] : undefined;
  return { current, previous, extra: previous ? rest.slice(1) : rest };
}
