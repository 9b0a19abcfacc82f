// The node agent: everything that happens on one node. It watches the node's containers (Docker
// events, plus a periodic resync), derives container and pod status, plans and executes the
// actions that make the node match the pods bound to it, and reports into the store. It talks to
// the controller only through the store's tables: pods bound to its node in, status out.
import pLimit, { type LimitFunction } from "p-limit";
import { BadRowReporter, checkPod, partitionRows } from "../controller/row-check.ts";
import type { Clock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { PodSpec } from "../manifest/types.ts";
import { type Action, actionKey, actionPod, containerKey, type DesiredPod } from "../reconcile/actions.ts";
import { sortAttempts } from "../reconcile/attempts.ts";
import { type BackoffConfig, effectiveBackoff } from "../reconcile/backoff.ts";
import { type ActionResult, executeActions } from "../reconcile/execute.ts";
import { plan } from "../reconcile/plan.ts";
import {
  type ContainerStatus,
  derivePodStatus,
  observeContainer,
  type ProbeView,
} from "../reconcile/status.ts";
import { identityOf, LABEL } from "../runtime/labels.ts";
import type { ContainerRuntime, RuntimeContainer } from "../runtime/runtime.ts";
import type { Mutation } from "../store/mutations.ts";
import type { ContainerStatusRow, ObservedContainerRow, PodRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { ownContainers } from "./own-containers.ts";

/** What the agent asks of the probe workers (probes/); absent probes mean ready and started. */
export interface ProbeSource {
  view(pod: string, uid: string, container: string): ProbeView;
  livenessFailures(): ReadonlyMap<string, string>;
  /** Tells the probe workers which containers run where, after each pass. */
  sync(running: readonly ProbeTarget[]): void;
}

export interface ProbeTarget {
  pod: string;
  uid: string;
  container: string;
  containerId: string;
  ip: string | null;
  spec: PodSpec["containers"][number];
  startedAt: number;
  /** What the store last recorded for this very container (after a restart of mk). */
  resume?: { ready: boolean; started: boolean };
}

export interface AgentOptions {
  store: Store;
  runtime: ContainerRuntime;
  node: string;
  cluster: string;
  clock: Clock;
  backoff: BackoffConfig;
  concurrency?: number;
  log: Logger;
  probes?: ProbeSource;
  transferImage?: (ref: string) => Promise<string | undefined>;
  onResults?: (results: readonly ActionResult[], durationMs: number) => void;
  /** Background actions of a pod finished (committed): the loop should look again. */
  onSettled?: () => void;
  /** A pod's containers all run for the first time: latency from its creation. */
  onPodStarted?: (pod: string, latencyMs: number) => void;
}

export interface PassSummary {
  actions: number;
  failed: number;
  /** The soonest time a back-off expires: the agent wakes up then. */
  nextWakeAt: number | null;
}

export function toDesiredPod(row: PodRow, spec: PodSpec = JSON.parse(row.spec) as PodSpec): DesiredPod {
  return {
    name: row.name,
    uid: row.uid,
    ownerKind: row.ownerKind,
    ownerName: row.ownerName,
    // delete --grace-period: the stop uses the grace stored with the deletion request.
    spec:
      row.deletionAt !== null && row.deletionGraceSeconds !== null
        ? { ...spec, terminationGracePeriodSeconds: row.deletionGraceSeconds }
        : spec,
    deleting: row.deletionAt !== null,
  };
}

function sameStatus(a: ContainerStatus | undefined, b: ContainerStatus): boolean {
  if (!a) return false;
  return JSON.stringify({ ...a, updatedAt: 0 }) === JSON.stringify({ ...b, updatedAt: 0 });
}

export class NodeAgent {
  /**
   * Pods whose actions are running. A slow action (a 30 s stop, an image copy) must not hold up
   * the other pods of the node: each pod's actions run on their own, and a pass skips pods that
   * are busy (their status is left alone until the actions are done).
   */
  private readonly inFlight = new Map<string, Promise<ActionResult[]>>();
  /** At most `concurrency` pods' actions at a time (p-limit: see docs/architecture.md). */
  private readonly limit: LimitFunction;
  private readonly badRows = new BadRowReporter();

  constructor(readonly opts: AgentOptions) {
    this.limit = pLimit(opts.concurrency ?? 8);
  }

  /** How many pods have actions running (for tests and shutdown). */
  busy(): number {
    return this.inFlight.size;
  }

  private slot<T>(fn: () => Promise<T>): Promise<T> {
    return this.limit(fn);
  }

  get node(): string {
    return this.opts.node;
  }

  /** One level-triggered pass: observe, derive status, plan, execute, report. */
  /** With `wait: false` (the server) actions run in the background; tests and apply wait for them. */
  async pass(opts: { wait?: boolean } = {}): Promise<PassSummary> {
    const wait = opts.wait ?? true;
    const { store, runtime, node, cluster, clock, log } = this.opts;
    // Pods busy when the containers were listed stay busy for this pass: an action that finishes
    // while the list is in flight commits a container the list does not show, and taking it for
    // one that disappeared would start a second container for the pod.
    const busyAtList = new Set(this.inFlight.keys());
    const all = ownContainers(
      await runtime.list({ [LABEL.managed]: "true", [LABEL.cluster]: cluster }),
      node,
      () => new Set(store.listNodes().map((n) => n.name)),
    );
    // Pods are read after the containers, so a container is never newer than the pods we know.
    // A pod row that does not parse is skipped, and so are its containers (left as they are, not
    // taken for orphans): one bad row never stops the node's pass.
    const checked = partitionRows(store.listPods({ node }), "Pod", checkPod);
    const rows = checked.good.map((c) => c.row);
    const pods = checked.good.map((c) => toDesiredPod(c.row, c.spec));
    const skipped = new Set(checked.bad.map((b) => b.name));
    const prevStatuses = new Map(
      store.containerStatusesOnNode(node).map((s) => [containerKey(s.pod, s.container), s]),
    );
    const rowsByName = new Map(rows.map((r) => [r.name, r]));
    const now = clock.now();

    // The current container of each pod's container: the newest run of this pod uid (a restart
    // is a new container; the previous run's stays until the next restart).
    const runs = new Map<string, RuntimeContainer[]>();
    for (const c of all) {
      const id = identityOf(c.labels);
      if (!id || rowsByName.get(id.pod)?.uid !== id.podUid) continue;
      const key = containerKey(id.pod, id.container);
      const list = runs.get(key);
      if (list) list.push(c);
      else runs.set(key, [c]);
    }
    const byKey = new Map<string, RuntimeContainer>();
    for (const [key, list] of runs) {
      const { current } = sortAttempts(list);
      if (current) byKey.set(key, current);
    }

    // Probe workers first: one made for a container that was ready before an mk restart starts
    // ready, so this pass does not report every pod unready.
    this.opts.probes?.sync(
      pods.flatMap((p) =>
        p.deleting
          ? []
          : p.spec.containers.flatMap((c) => {
              const obs = byKey.get(containerKey(p.name, c.name));
              return obs && obs.state === "running" && identityOf(obs.labels)?.podUid === p.uid
                ? [
                    {
                      pod: p.name,
                      uid: p.uid,
                      container: c.name,
                      containerId: obs.id,
                      ip: obs.ip,
                      spec: c,
                      startedAt: obs.startedAt ?? now,
                      ...resumeOf(prevStatuses.get(containerKey(p.name, c.name)), obs.id),
                    },
                  ]
                : [];
            }),
      ),
    );

    const observed = skipped.size ? all.filter((c) => !skipped.has(identityOf(c.labels)?.pod ?? "")) : all;
    const muts: Mutation[] = this.badRows.report(checked.bad, now, node);
    for (const e of muts)
      if (e.op === "recordEvent") log.warn(e.message, { pod: e.objectName, node, event: "InvalidRow" });
    const statuses = new Map<string, ContainerStatus>();
    const backoffOf = (pod: DesiredPod) => effectiveBackoff(this.opts.backoff, pod.spec.restartBackoff);
    for (const pod of pods) {
      if (this.inFlight.has(pod.name) || busyAtList.has(pod.name)) {
        for (const c of pod.spec.containers) {
          const prev = prevStatuses.get(containerKey(pod.name, c.name));
          if (prev) statuses.set(containerKey(pod.name, c.name), prev);
        }
        continue;
      }
      const podContainers: RuntimeContainer[] = [];
      const podStatuses: ContainerStatus[] = [];
      for (const c of pod.spec.containers) {
        const key = containerKey(pod.name, c.name);
        const obs = byKey.get(key);
        const obsMine = obs && identityOf(obs.labels)?.podUid === pod.uid ? obs : undefined;
        if (obsMine) podContainers.push(obsMine);
        const prev = prevStatuses.get(key);
        const { status, events } = observeContainer({
          pod,
          container: c,
          observed: obsMine,
          prev,
          backoff: backoffOf(pod),
          probe:
            this.opts.probes && (c.livenessProbe || c.readinessProbe || c.startupProbe)
              ? this.opts.probes.view(pod.name, pod.uid, c.name)
              : { ready: true, started: true },
          now,
        });
        statuses.set(key, status);
        podStatuses.push(status);
        if (!sameStatus(prev, status)) muts.push({ op: "putContainerStatus", status, node });
        for (const e of events) {
          muts.push({ op: "recordEvent", ...e, objectKind: "Pod", objectName: pod.name, node, at: now });
          log.info(e.message, { pod: pod.name, node, event: e.reason });
        }
      }
      const row = rowsByName.get(pod.name);
      const ps = derivePodStatus(pod, podStatuses, podContainers);
      if (
        row &&
        (row.phase !== ps.phase ||
          row.reason !== ps.reason ||
          row.message !== ps.message ||
          row.ready !== ps.ready ||
          row.restartCount !== ps.restartCount ||
          row.ip !== ps.ip ||
          row.startedAt !== ps.startedAt)
      ) {
        muts.push({ op: "setPodStatus", name: pod.name, guard: { uid: pod.uid, node }, ...ps, at: now });
        if (ps.phase === "Running" && row.startedAt === null && ps.startedAt !== null) {
          this.opts.onPodStarted?.(pod.name, now - row.createdAt);
        }
      }
    }
    muts.push({
      op: "replaceObservedContainers",
      node,
      rows: all.flatMap((c) => observedRow(c, node, now)),
    });
    store.commit(muts);

    const images = new Set<string>();
    const missingImages = new Set<string>();
    for (const pod of pods) {
      for (const c of pod.spec.containers)
        if (!byKey.has(containerKey(pod.name, c.name))) missingImages.add(c.image);
    }
    await Promise.all(
      [...missingImages].map(async (img) => {
        if (await runtime.hasImage(img).catch(() => false)) images.add(img);
      }),
    );

    const actions = plan({
      node,
      now,
      pods,
      observed,
      statuses,
      images,
      livenessFailures: this.opts.probes?.livenessFailures(),
    }).filter((a) => !this.inFlight.has(actionKey(a)) && !busyAtList.has(actionKey(a)));
    const groups = new Map<string, Action[]>();
    for (const a of actions) {
      const list = groups.get(actionKey(a));
      if (list) list.push(a);
      else groups.set(actionKey(a), [a]);
    }
    const deps = {
      runtime,
      node,
      cluster,
      now: () => clock.now(),
      concurrency: 1,
      statuses,
      ...(this.opts.transferImage ? { transferImage: this.opts.transferImage } : {}),
      stillBound: (p: DesiredPod) => {
        const row = store.getPod(p.name);
        return row !== undefined && row.uid === p.uid && row.node === node && row.deletionAt === null;
      },
      backoffFor: (a: Action) => (a.type === "remove-orphan" ? this.opts.backoff : backoffOf(a.pod)),
      limit: <T>(fn: () => Promise<T>) => this.slot(fn),
    };
    const started: Promise<ActionResult[]>[] = [];
    for (const [key, group] of groups) {
      // Each action takes a slot only for the work that needs one (execute.ts): a pod waiting out
      // its grace period holds none, so N deletions end after one grace period, not N/8 of them.
      const p = (async () => {
        const t1 = performance.now();
        const results = await executeActions(group, deps);
        this.report(results, performance.now() - t1);
        return results;
      })()
        .catch((err: unknown): ActionResult[] => {
          log.error(`Actions for ${key} failed: ${errorMessage(err)}`, { node, event: "execute" });
          return [];
        })
        .finally(() => {
          this.inFlight.delete(key);
          this.opts.onSettled?.();
        });
      this.inFlight.set(key, p);
      started.push(p);
    }
    let failed = 0;
    if (wait) {
      for (const results of await Promise.all(started)) failed += results.filter((r) => !r.ok).length;
    }

    let nextWakeAt: number | null = null;
    for (const s of statuses.values()) {
      if (
        s.nextRestartAt !== null &&
        s.nextRestartAt > now &&
        (nextWakeAt === null || s.nextRestartAt < nextWakeAt)
      ) {
        nextWakeAt = s.nextRestartAt;
      }
    }
    return { actions: actions.length, failed, nextWakeAt };
  }

  /** Commits what a batch of actions did, and logs it. */
  private report(results: readonly ActionResult[], durationMs: number): void {
    const { store, node, log } = this.opts;
    const out: Mutation[] = [];
    for (const r of results) {
      out.push(...r.mutations);
      const podName = actionPod(r.action);
      log[r.ok ? "info" : "warn"](
        `${r.action.type} ${r.ok ? "done" : "failed"}: ${r.action.reason}${r.error ? `: ${r.error}` : ""}`,
        {
          pod: podName,
          node,
          event: r.action.type,
        },
      );
    }
    try {
      store.commit(out);
    } catch (err) {
      log.error(`Cannot record action results: ${errorMessage(err)}`, { node, event: "execute" });
    }
    this.opts.onResults?.(results, durationMs);
  }

  /** Watches Docker events and calls `onChange` for each relevant one, reconnecting on failure. */
  async watch(onChange: () => void, signal: AbortSignal): Promise<void> {
    const { runtime, cluster, log, node } = this.opts;
    let delay = 500;
    while (!signal.aborted) {
      try {
        await runtime.events(
          { [LABEL.managed]: "true", [LABEL.cluster]: cluster },
          (e) => {
            if (["die", "start", "destroy", "create", "stop", "kill", "oom"].includes(e.action)) onChange();
          },
          signal,
        );
        delay = 500;
      } catch (err) {
        if (signal.aborted) return;
        log.warn(`Docker event stream failed: ${errorMessage(err)}; retrying`, { node, event: "watch" });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
        onChange(); // something may have happened meanwhile
      }
    }
  }
}

/** The last recorded probe state of a still-running container, for its new probe worker. */
function resumeOf(prev: ContainerStatusRow | undefined, id: string): Pick<ProbeTarget, "resume"> {
  return prev && prev.containerId === id && prev.state === "running"
    ? { resume: { ready: prev.ready, started: prev.started } }
    : {};
}

function observedRow(c: RuntimeContainer, node: string, now: number): ObservedContainerRow[] {
  const id = identityOf(c.labels);
  if (!id) return [];
  return [
    {
      id: c.id,
      node,
      name: c.name,
      pod: id.pod,
      podUid: id.podUid,
      container: id.container,
      specHash: id.specHash,
      image: c.image,
      state: c.state,
      exitCode: c.exitCode,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      ip: c.ip,
      observedAt: now,
    },
  ];
}
