// executeActions(): performs a plan on one node's runtime with bounded concurrency. Actions on one
// pod run in order; different pods run in parallel. A failed action is reported and recorded,
// never thrown: the next pass plans it again (after a back-off where one applies).
import pLimit from "p-limit";
import { errorMessage } from "../lib/errors.ts";
import { identityOf, LABEL } from "../runtime/labels.ts";
import type { ContainerRuntime, RuntimeContainer } from "../runtime/runtime.ts";
import type { Mutation } from "../store/mutations.ts";
import {
  type Action,
  actionKey,
  actionPod,
  containerKey,
  type DesiredPod,
  describeAction,
} from "./actions.ts";
import { attemptOf, isActive } from "./attempts.ts";
import { type BackoffConfig, backoffDelay } from "./backoff.ts";
import { toCreateSpec } from "./container-spec.ts";
import { type ContainerStatus, formatSeconds, freshStatus } from "./status.ts";

export interface ExecuteDeps {
  runtime: ContainerRuntime;
  node: string;
  cluster: string;
  now: () => number;
  concurrency: number;
  statuses: ReadonlyMap<string, ContainerStatus>;
  backoffFor: (action: Action) => BackoffConfig;
  /**
   * Copies an image from the controller's engine to this node (docker save | docker load over
   * the tunnel): image distribution without a registry. Resolves with a progress message, or
   * undefined when the controller does not have the image.
   */
  transferImage?: (ref: string) => Promise<string | undefined>;
  /** Re-checked before starting anything: the pod may have been deleted or moved since the plan. */
  stillBound?: (pod: DesiredPod) => boolean;
  /**
   * The node's limit on concurrent work (starts, creates, image copies). Waiting out a graceful
   * stop runs outside it: a container that ignores SIGTERM for 30 s must not hold a slot that a
   * restart elsewhere on the node needs. Absent: no limit beyond `concurrency`.
   */
  limit?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface ActionResult {
  action: Action;
  ok: boolean;
  error?: string;
  durationMs: number;
  /** Status updates and events to commit. */
  mutations: Mutation[];
}

export async function executeActions(actions: readonly Action[], deps: ExecuteDeps): Promise<ActionResult[]> {
  const byPod = new Map<string, Action[]>();
  for (const a of actions) {
    const k = actionKey(a);
    const list = byPod.get(k);
    if (list) list.push(a);
    else byPod.set(k, [a]);
  }
  const results: ActionResult[] = [];
  const limit = pLimit(Math.max(1, deps.concurrency));
  await Promise.all(
    [...byPod.values()].map((queue) =>
      limit(async () => {
        // One pod's actions run in order, and stop at the first failure (no finalize after a
        // failed removal): the next pass plans the rest again.
        for (const a of queue) {
          const r = await executeOne(a, deps);
          results.push(r);
          if (!r.ok) break;
        }
      }),
    ),
  );
  return results;
}

function event(
  deps: ExecuteDeps,
  pod: string,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
): Mutation {
  return {
    op: "recordEvent",
    type,
    reason,
    objectKind: "Pod",
    objectName: pod,
    node: deps.node,
    message,
    at: deps.now(),
  };
}

/** Stops and removals wait outside the node's limit; everything else inside. */
function executeOne(a: Action, deps: ExecuteDeps): Promise<ActionResult> {
  const limit = deps.limit;
  if (
    !limit ||
    a.type === "stop" ||
    a.type === "remove" ||
    a.type === "remove-orphan" ||
    a.type === "finalize" ||
    a.type === "replace" // takes the limit itself, around all but its stop
  )
    return runOne(a, deps);
  return limit(() => runOne(a, deps));
}

async function runOne(a: Action, deps: ExecuteDeps): Promise<ActionResult> {
  const t0 = performance.now();
  const muts: Mutation[] = [];
  const done = (ok: boolean, error?: string): ActionResult => ({
    action: a,
    ok,
    ...(error !== undefined ? { error } : {}),
    durationMs: performance.now() - t0,
    mutations: muts,
  });
  const rt = deps.runtime;
  if (
    (a.type === "create" || a.type === "start" || a.type === "replace") &&
    deps.stillBound &&
    !deps.stillBound(a.pod)
  ) {
    return done(true); // moved or deleted meanwhile: the next pass sees the new truth
  }
  try {
    switch (a.type) {
      case "create": {
        const key = containerKey(a.pod.name, a.container.name);
        const prev = deps.statuses.get(key) ?? freshStatus(a.pod, a.container.name, deps.now());
        const failed = await ensureImage(a, a.pull, deps, muts, prev, done);
        if (failed) return failed;
        const other = await otherRun(a, deps, (c) => isActive(c) || attemptOf(c) >= a.attempt);
        if (other) return stale(a, other, `run ${a.attempt}`, deps, muts, done);
        let id: string;
        try {
          id = await rt.create(toCreateSpec(a.pod, a.container, deps.node, deps.cluster, a.attempt));
        } catch (err) {
          const reason = /No such image/i.test(errorMessage(err))
            ? a.container.imagePullPolicy === "Never"
              ? "ErrImageNeverPull"
              : "ErrImagePull"
            : "CreateContainerError";
          return failWithBackoff(a, deps, muts, prev, reason, reason, err, done);
        }
        muts.push(event(deps, a.pod.name, "Normal", "Created", `Created container ${a.container.name}`));
        await rt.start(id);
        const now = deps.now();
        muts.push(event(deps, a.pod.name, "Normal", "Started", `Started container ${a.container.name}`));
        muts.push({
          op: "putContainerStatus",
          node: deps.node,
          status: runningStatus(prev, id, now, a.restart),
        });
        return done(true);
      }
      case "start": {
        const other = await otherRun(a, deps, (c) => c.id !== a.id && isActive(c));
        if (other) return stale(a, other, a.id.slice(0, 12), deps, muts, done);
        await rt.start(a.id);
        const now = deps.now();
        const key = containerKey(a.pod.name, a.container.name);
        const prev = deps.statuses.get(key) ?? freshStatus(a.pod, a.container.name, now);
        muts.push(
          event(
            deps,
            a.pod.name,
            "Normal",
            a.restart ? "Restarted" : "Started",
            `${a.restart ? "Restarted" : "Started"} container ${a.container.name}`,
          ),
        );
        muts.push({
          op: "putContainerStatus",
          node: deps.node,
          status: runningStatus(prev, a.id, now, a.restart),
        });
        return done(true);
      }
      case "stop":
        muts.push(event(deps, a.pod.name, "Normal", "Killing", a.reason));
        await rt.stop(a.id, a.graceSeconds);
        return done(true);
      case "replace": {
        muts.push(
          event(
            deps,
            a.pod.name,
            "Normal",
            "Replacing",
            `Replacing container ${a.container.name}: ${a.reason}`,
          ),
        );
        // The new image first: a replacement that cannot start must not cost the running container.
        const current =
          deps.statuses.get(containerKey(a.pod.name, a.container.name)) ??
          freshStatus(a.pod, a.container.name, deps.now());
        const policy = a.container.imagePullPolicy;
        const limited = deps.limit ?? (<T>(fn: () => Promise<T>) => fn());
        const failed = await limited(async () =>
          ensureImage(
            a,
            policy === "Always" || (policy === "IfNotPresent" && !(await rt.hasImage(a.container.image))),
            deps,
            muts,
            current,
            done,
          ),
        );
        if (failed) return failed;
        await rt.stop(a.id, a.pod.spec.terminationGracePeriodSeconds);
        const id = await limited(async () => {
          await rt.remove(a.id, { force: true });
          const created = await rt.create(
            toCreateSpec(a.pod, a.container, deps.node, deps.cluster, a.attempt),
          );
          await rt.start(created);
          return created;
        });
        const now = deps.now();
        const key = containerKey(a.pod.name, a.container.name);
        const prev = deps.statuses.get(key) ?? freshStatus(a.pod, a.container.name, now);
        muts.push(event(deps, a.pod.name, "Normal", "Started", `Started container ${a.container.name}`));
        muts.push({
          op: "putContainerStatus",
          node: deps.node,
          status: { ...runningStatus(prev, id, now, false), backoffStep: 0 },
        });
        return done(true);
      }
      case "remove":
        await rt.stop(a.id, a.graceSeconds);
        await rt.remove(a.id, { force: true });
        if (!a.quiet) {
          muts.push(
            event(deps, a.pod.name, "Normal", "Removed", `Removed container ${a.container}: ${a.reason}`),
          );
        }
        return done(true);
      case "remove-orphan":
        await rt.stop(a.id, a.graceSeconds);
        await rt.remove(a.id, { force: true });
        muts.push(event(deps, a.pod, "Normal", "RemovedOrphan", `Removed container ${a.name}: ${a.reason}`));
        return done(true);
      case "finalize":
        muts.push({ op: "deletePod", name: a.pod.name, uid: a.pod.uid });
        muts.push(event(deps, a.pod.name, "Normal", "Deleted", `Deleted pod ${a.pod.name}`));
        return done(true);
    }
  } catch (err) {
    muts.push(
      event(deps, actionPod(a), "Warning", "Failed", `${describeAction(a)} failed: ${errorMessage(err)}`),
    );
    // A container that will not start (bad command, port taken) waits in back-off like a crash,
    // instead of being retried on every pass.
    if (a.type === "create" || a.type === "start" || a.type === "replace") {
      const prev =
        deps.statuses.get(containerKey(a.pod.name, a.container.name)) ??
        freshStatus(a.pod, a.container.name, deps.now());
      return failWithBackoff(a, deps, muts, prev, "RunContainerError", "RunContainerError", err, done);
    }
    return done(false, errorMessage(err));
  }
}

/**
 * Never two running containers for one pod container. The plan was made from a list that may be
 * stale by now (an action that finished while it was taken, another agent's action after a change
 * of term, a start whose outcome was unknown), so the node is asked again, in the action's slot,
 * right before a run is created or started. A run that matches `conflicts` (one still active, or
 * one at least as new as the run about to be created) means the plan's view was old.
 */
async function otherRun(
  a: Extract<Action, { type: "create" | "start" }>,
  deps: ExecuteDeps,
  conflicts: (c: RuntimeContainer) => boolean,
): Promise<RuntimeContainer | undefined> {
  const list = await deps.runtime.list({
    [LABEL.managed]: "true",
    [LABEL.cluster]: deps.cluster,
    [LABEL.pod]: a.pod.name,
    [LABEL.container]: a.container.name,
  });
  return list.find((c) => identityOf(c.labels)?.podUid === a.pod.uid && conflicts(c));
}

/** Nothing is created or started on a stale view: the next pass plans from the node as it is. */
function stale(
  a: Extract<Action, { type: "create" | "start" }>,
  other: RuntimeContainer,
  what: string,
  deps: ExecuteDeps,
  muts: Mutation[],
  done: (ok: boolean, error?: string) => ActionResult,
): ActionResult {
  muts.push(
    event(
      deps,
      a.pod.name,
      "Normal",
      "StaleView",
      `Not starting ${what} of container ${a.container.name}: ${other.name} is ${other.state} (the plan saw an older view of the node)`,
    ),
  );
  return done(true);
}

/**
 * Gets the image onto the node before a container is created: copied from the controller's
 * engine when it has it (no registry needed), else pulled. Resolves with a failed result when
 * the image cannot be had (ErrImagePull, then ImagePullBackOff), else undefined.
 */
async function ensureImage(
  a: Extract<Action, { type: "create" | "replace" }>,
  wantPull: boolean,
  deps: ExecuteDeps,
  muts: Mutation[],
  prev: ContainerStatus,
  done: (ok: boolean, error?: string) => ActionResult,
): Promise<ActionResult | undefined> {
  const rt = deps.runtime;
  let pull = wantPull;
  if (pull && deps.transferImage && !(await rt.hasImage(a.container.image))) {
    try {
      muts.push(
        event(
          deps,
          a.pod.name,
          "Normal",
          "Transferring",
          `Copying image "${a.container.image}" from the controller's engine (no registry needed)`,
        ),
      );
      const copied = await deps.transferImage(a.container.image);
      if (copied) {
        muts.push(event(deps, a.pod.name, "Normal", "Transferred", copied));
        pull = false;
      }
    } catch (err) {
      muts.push(
        event(
          deps,
          a.pod.name,
          "Warning",
          "TransferFailed",
          `Copying image "${a.container.image}" from the controller failed: ${errorMessage(err)}`,
        ),
      );
    }
  }
  if (pull) {
    muts.push(event(deps, a.pod.name, "Normal", "Pulling", `Pulling image "${a.container.image}"`));
    try {
      await rt.pullImage(a.container.image);
      muts.push(
        event(deps, a.pod.name, "Normal", "Pulled", `Successfully pulled image "${a.container.image}"`),
      );
    } catch (err) {
      const present = await rt.hasImage(a.container.image).catch(() => false);
      if (!present)
        return failWithBackoff(a, deps, muts, prev, "ErrImagePull", "ImagePullBackOff", err, done);
      // Always-pull with no registry in reach: the local copy is used, and the user told.
      muts.push(
        event(
          deps,
          a.pod.name,
          "Warning",
          "PullFailed",
          `${errorMessage(err)}; using the image present on the node`,
        ),
      );
    }
  }
  return undefined;
}

/** The status of a container mk just started; a restart counts and starts the reset window. */
function runningStatus(prev: ContainerStatus, id: string, now: number, restart: boolean): ContainerStatus {
  return {
    ...prev,
    containerId: id,
    state: "running",
    reason: null,
    message: null,
    nextRestartAt: null,
    startedAt: now,
    restartCount: prev.restartCount + (restart ? 1 : 0),
    lastRestartAt: restart ? now : prev.lastRestartAt,
    updatedAt: now,
  };
}

/** A failed create: the container waits in back-off (ErrImagePull -> ImagePullBackOff, ...). */
function failWithBackoff(
  a: Extract<Action, { type: "create" | "start" | "replace" }>,
  deps: ExecuteDeps,
  muts: Mutation[],
  prev: ContainerStatus,
  reason: string,
  waitingReason: string,
  err: unknown,
  done: (ok: boolean, error?: string) => ActionResult,
): ActionResult {
  const now = deps.now();
  const step = prev.reason === reason || prev.reason === waitingReason ? prev.backoffStep + 1 : 1;
  const delay = backoffDelay(step, deps.backoffFor(a));
  const msg = errorMessage(err);
  muts.push(event(deps, a.pod.name, "Warning", reason, msg));
  muts.push(
    event(
      deps,
      a.pod.name,
      "Normal",
      "BackOff",
      `Back-off ${formatSeconds(delay)} before retrying ${a.container.name}`,
    ),
  );
  muts.push({
    op: "putContainerStatus",
    node: deps.node,
    status: {
      ...prev,
      state: "waiting",
      reason: waitingReason,
      message: msg,
      backoffStep: step,
      nextRestartAt: now + delay,
      updatedAt: now,
    },
  });
  return done(false, msg);
}
