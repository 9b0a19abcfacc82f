// The autoscaler controller: every sync period (15 s, `mk server --autoscaler-sync`), for each
// Autoscaler object, fetch the pods' usage, decide (reconcile.ts) and write the result: the
// PodSet's replicas through the same journaled mutation as `mk scale`, the status row, and events.
// Level-triggered: each sync re-reads the object, its target, its pods and the stored status, so
// a restarted controller (or a new leader) continues from the tables. Runs on the leader only.

import { checkAutoscaler, checkPod, checkPodSet } from "../controller/row-check.ts";
import type { Clock } from "../lib/clock.ts";
import { sleep, systemClock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { PodSpec } from "../manifest/types.ts";
import type { Metrics } from "../metrics/registry.ts";
import { replicasMutation } from "../ops/commands.ts";
import type { Mutation } from "../store/mutations.ts";
import { orThrow } from "../store/row-decode.ts";
import type { AutoscalerStatusRow, ObjectRow, PodRow } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { BehaviorHistory } from "./behavior.ts";
import { type AutoscalerStatus, type MetricsResult, reconcileAutoscaler } from "./reconcile.ts";
import {
  DEFAULT_CPU_INITIALIZATION_MS,
  DEFAULT_TOLERANCE,
  type Resource,
  type ScalePod,
} from "./replicas.ts";
import { LocalSource, type MetricsSource, PrometheusSource, type UsageHistory } from "./sources.ts";

export const DEFAULT_AUTOSCALER_SYNC_MS = 15_000;

export interface AutoscalerControllerOptions {
  store: Store;
  log: Logger;
  source: MetricsSource;
  clock?: Clock;
  syncMs?: number;
  tolerance?: number;
  cpuInitializationMs?: number;
  metrics?: Metrics;
}

export function scalePodOf(p: PodRow, spec: PodSpec = orThrow(checkPod(p)).spec): ScalePod {
  return {
    name: p.name,
    phase: p.phase,
    deleting: p.deletionAt !== null,
    ready: p.ready,
    startedAt: p.startedAt,
    containers: spec.containers.map((c) => ({ name: c.name, requests: c.resources.requests })),
  };
}

/** The stored status; an unreadable row counts as none (the next sync writes a good one). */
export function statusOfRow(row: AutoscalerStatusRow | undefined): AutoscalerStatus | undefined {
  if (!row) return undefined;
  try {
    return parseStatusRow(row);
  } catch {
    return undefined;
  }
}

function parseStatusRow(row: AutoscalerStatusRow): AutoscalerStatus {
  const events = JSON.parse(row.scaleEvents) as {
    up: BehaviorHistory["scaleUpEvents"];
    down: BehaviorHistory["scaleDownEvents"];
  };
  return {
    currentReplicas: row.currentReplicas,
    desiredReplicas: row.desiredReplicas,
    currentMetrics: JSON.parse(row.currentMetrics) as AutoscalerStatus["currentMetrics"],
    lastScaleTime: row.lastScaleTime,
    conditions: JSON.parse(row.conditions) as AutoscalerStatus["conditions"],
    history: {
      recommendations: JSON.parse(row.recommendations) as BehaviorHistory["recommendations"],
      scaleUpEvents: events.up,
      scaleDownEvents: events.down,
    },
  };
}

function rowOfStatus(
  name: string,
  generation: number,
  s: AutoscalerStatus,
  now: number,
): AutoscalerStatusRow {
  return {
    name,
    observedGeneration: generation,
    currentReplicas: s.currentReplicas,
    desiredReplicas: s.desiredReplicas,
    currentMetrics: JSON.stringify(s.currentMetrics),
    lastScaleTime: s.lastScaleTime,
    conditions: JSON.stringify(s.conditions),
    recommendations: JSON.stringify(s.history.recommendations),
    scaleEvents: JSON.stringify({ up: s.history.scaleUpEvents, down: s.history.scaleDownEvents }),
    syncedAt: now,
  };
}

/** Target PodSet -> the autoscalers that name it (rows that do not decode are left out). */
export function autoscalersByTarget(objects: readonly ObjectRow[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const row of objects) {
    const c = checkAutoscaler(row);
    if (!c.ok) continue;
    const list = out.get(c.value.spec.target.name) ?? [];
    list.push(row.name);
    out.set(c.value.spec.target.name, list);
  }
  return out;
}

export class AutoscalerController {
  private readonly store: Store;
  private readonly log: Logger;
  private readonly clock: Clock;
  readonly syncMs: number;

  constructor(private readonly opts: AutoscalerControllerOptions) {
    this.store = opts.store;
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.syncMs = opts.syncMs ?? DEFAULT_AUTOSCALER_SYNC_MS;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.clock.now();
      await this.syncAll();
      await sleep(Math.max(0, this.syncMs - (this.clock.now() - started)), signal);
    }
  }

  /** One sync of every autoscaler; a failing one is logged and never stops the others. */
  async syncAll(): Promise<void> {
    let objects: ObjectRow[];
    try {
      objects = this.store.listObjects("Autoscaler");
      const names = new Set(objects.map((o) => o.name));
      const orphans = this.store.listAutoscalerStatus().filter((s) => !names.has(s.name));
      this.store.commit(orphans.map((s): Mutation => ({ op: "deleteAutoscalerStatus", name: s.name })));
    } catch (err) {
      this.log.error(`Autoscaler sync failed: ${errorMessage(err)}`, { event: "autoscaler" });
      return;
    }
    // One fetch per resource per sync, shared by every autoscaler.
    const fetched = new Map<Resource, Promise<MetricsResult>>();
    const now = this.clock.now();
    const metricsFor = (r: Resource) => {
      let p = fetched.get(r);
      if (!p) {
        p = this.opts.source.fetch(r, now).catch((err) => ({ ok: false as const, error: errorMessage(err) }));
        fetched.set(r, p);
      }
      return p;
    };
    const byTarget = autoscalersByTarget(objects);
    for (const row of objects) {
      try {
        const obj = orThrow(checkAutoscaler(row));
        const resources = [...new Set(obj.spec.metrics.map((m) => m.resource))];
        const results = new Map<Resource, MetricsResult>();
        for (const r of resources) results.set(r, await metricsFor(r));
        this.syncOne(
          row.name,
          (r) => results.get(r) ?? { ok: false, error: `no ${r} metrics fetched` },
          byTarget.get(obj.spec.target.name),
        );
      } catch (err) {
        this.log.error(`Autoscaler ${row.name} sync failed: ${errorMessage(err)}`, {
          event: "autoscaler",
          autoscaler: row.name,
        });
      }
    }
  }

  /** Read, decide and write one autoscaler in one transaction: a concurrent mk scale is seen. */
  syncOne(name: string, metrics: (r: Resource) => MetricsResult, rivals?: readonly string[]): void {
    this.store.transaction(() => {
      const row = this.store.getObject("Autoscaler", name);
      if (!row) return;
      // A row that does not decode fails this autoscaler's sync (logged), not the others'.
      const obj = orThrow(checkAutoscaler(row));
      const targetRow = this.store.getObject("PodSet", obj.spec.target.name);
      const target = targetRow ? orThrow(checkPodSet(targetRow)) : undefined;
      const pods = target
        ? this.store.listPods({ ownerKind: "PodSet", ownerName: target.metadata.name })
        : [];
      const now = this.clock.now();
      const d = reconcileAutoscaler({
        spec: obj.spec,
        targetReplicas: target?.spec.replicas,
        // A target pod whose row does not decode is left out, as a pod without metrics is.
        pods: pods.flatMap((p) => {
          const c = checkPod(p);
          return c.ok ? [scalePodOf(p, c.value.spec)] : [];
        }),
        metrics,
        ...(rivals ? { rivals } : {}),
        previous: statusOfRow(this.store.getAutoscalerStatus(name)),
        options: {
          now,
          tolerance: this.opts.tolerance ?? DEFAULT_TOLERANCE,
          cpuInitializationMs: this.opts.cpuInitializationMs ?? DEFAULT_CPU_INITIALIZATION_MS,
        },
      });
      const muts: Mutation[] = [];
      if (d.rescale && targetRow) {
        muts.push(replicasMutation(targetRow, d.rescale.to, now), {
          op: "recordEvent",
          type: "Normal",
          reason: "Scaled",
          objectKind: "PodSet",
          objectName: targetRow.name,
          node: null,
          message: `Scaled from ${d.rescale.from} to ${d.rescale.to} replicas by autoscaler ${name}`,
          at: now,
        });
        this.opts.metrics?.autoscalerRescales.inc({
          autoscaler: name,
          direction: d.rescale.to > d.rescale.from ? "up" : "down",
        });
        this.log.info(`Autoscaler ${name}: ${d.rescale.from} -> ${d.rescale.to} (${d.rescale.reason})`, {
          event: "SuccessfulRescale",
          autoscaler: name,
        });
      }
      muts.push({ op: "putAutoscalerStatus", status: rowOfStatus(name, row.generation, d.status, now) });
      for (const e of d.events) {
        muts.push({
          op: "recordEvent",
          type: e.type,
          reason: e.reason,
          objectKind: "Autoscaler",
          objectName: name,
          node: null,
          message: e.message,
          at: now,
        });
      }
      this.store.commit(muts);
    });
  }
}

/** `mk server`'s autoscaler flags. */
export interface AutoscalerSettings {
  syncMs: number;
  /** The usage window: Prometheus' rate() range, or the span of mk's own samples. */
  windowMs: number;
  tolerance: number;
  cpuInitializationMs: number;
  prometheus?: { url: string; timeoutMs: number };
}

/** Builds the metrics source the settings ask for and runs the controller until `signal` aborts. */
export function runAutoscaler(
  settings: AutoscalerSettings,
  deps: { store: Store; log: Logger; clock: Clock; history: UsageHistory; metrics?: Metrics },
  signal: AbortSignal,
): Promise<void> {
  const source: MetricsSource = settings.prometheus
    ? new PrometheusSource({
        url: settings.prometheus.url,
        windowMs: settings.windowMs,
        timeoutMs: settings.prometheus.timeoutMs,
      })
    : new LocalSource(deps.history, settings.windowMs);
  deps.log.info(`Autoscaler syncing every ${settings.syncMs} ms from ${source.name}`, {
    event: "autoscaler",
  });
  return new AutoscalerController({
    store: deps.store,
    log: deps.log,
    clock: deps.clock,
    source,
    syncMs: settings.syncMs,
    tolerance: settings.tolerance,
    cpuInitializationMs: settings.cpuInitializationMs,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  }).run(signal);
}
