// Probe workers: one per running container, with a timer loop per probe kind. Results land in a
// cache that the node agent reads (ProbeSource); only the agent acts on them (kills, readiness).
import type { Logger } from "../lib/log.ts";
import type { Probe } from "../manifest/types.ts";
import type { ProbeSource, ProbeTarget } from "../node/agent.ts";
import { containerKey } from "../reconcile/actions.ts";
import type { ProbeView } from "../reconcile/status.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import { countResult, INITIAL_THRESHOLD_STATE, type ThresholdState } from "./results.ts";
import { type Dialer, type ProbeResult, runProbe } from "./runners.ts";

export type ProbeKind = "liveness" | "readiness" | "startup";

export interface ProbeFailure {
  pod: string;
  container: string;
  kind: ProbeKind;
  message: string;
}

export interface ProbeManagerOptions {
  runtime: ContainerRuntime;
  dial: Dialer;
  log: Logger;
  /** A verdict changed: the agent should look again. */
  onChange: () => void;
  /** Every failed attempt (for events and mk_probe_failures_total). */
  onFailure: (f: ProbeFailure) => void;
  run?: (probe: Probe, target: ProbeTarget) => Promise<ProbeResult>;
}

class ContainerProbes {
  started: boolean;
  ready: boolean;
  livenessFailure: string | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    readonly target: ProbeTarget,
    private readonly m: ProbeManagerOptions,
  ) {
    const s = target.spec;
    // A container the store last saw started and ready (a restarted mk server) keeps that until
    // its probes say otherwise, so a controller restart does not make every pod unavailable.
    this.started = !s.startupProbe || target.resume?.started === true;
    this.ready = !s.readinessProbe || target.resume?.ready === true;
    if (!this.started && s.startupProbe) this.loop("startup", s.startupProbe);
    else this.startAfterStartup();
  }

  private startAfterStartup(): void {
    const s = this.target.spec;
    if (s.livenessProbe) this.loop("liveness", s.livenessProbe);
    if (s.readinessProbe) this.loop("readiness", s.readinessProbe);
  }

  private loop(kind: ProbeKind, probe: Probe): void {
    let state: ThresholdState =
      kind === "readiness" && this.target.resume?.ready
        ? { ...INITIAL_THRESHOLD_STATE, verdict: true }
        : INITIAL_THRESHOLD_STATE;
    const run =
      this.m.run ??
      ((p: Probe, t: ProbeTarget) =>
        runProbe(p.handler, t, p.timeoutSeconds * 1000, { runtime: this.m.runtime, dial: this.m.dial }));
    const tick = async () => {
      if (this.stopped) return;
      const r = await run(probe, this.target).catch(
        (err: Error): ProbeResult => ({ ok: false, message: err.message }),
      );
      if (this.stopped) return;
      if (r.unreachable) {
        // The node is down, not the container: no verdict; try again next period.
        this.schedule(tick, probe.periodSeconds * 1000);
        return;
      }
      if (!r.ok)
        this.m.onFailure({
          pod: this.target.pod,
          container: this.target.container,
          kind,
          message: r.message,
        });
      const before = state.verdict;
      state = countResult(state, r.ok, probe);
      if (state.verdict !== before) this.verdict(kind, state.verdict === true, r.message);
      // startup stops once it succeeded; liveness stops once it condemned the container.
      if (kind === "startup" && state.verdict !== undefined) return;
      if (kind === "liveness" && state.verdict === false) return;
      this.schedule(tick, probe.periodSeconds * 1000);
    };
    this.schedule(tick, probe.initialDelaySeconds * 1000);
  }

  private verdict(kind: ProbeKind, ok: boolean, message: string): void {
    const where = { pod: this.target.pod, node: undefined, event: `${kind}-probe` };
    if (kind === "startup") {
      if (ok) {
        this.started = true;
        this.startAfterStartup();
      } else {
        this.livenessFailure = `startup probe failed: ${message}`;
        this.m.log.warn(`Startup probe of ${this.target.container} failed: ${message}`, where);
      }
    } else if (kind === "liveness") {
      if (!ok) {
        this.livenessFailure = message;
        this.m.log.warn(`Liveness probe of ${this.target.container} failed: ${message}`, where);
      }
    } else {
      this.ready = ok;
      this.m.log.info(
        `Container ${this.target.container} is ${ok ? "ready" : "not ready"}: ${message}`,
        where,
      );
    }
    this.m.onChange();
  }

  private schedule(fn: () => Promise<void>, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void fn();
    }, ms);
    this.timers.add(t);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

function instanceKey(t: ProbeTarget): string {
  // A restart (same container id, new start time) gets fresh workers, as in the kubelet.
  return `${t.uid}/${t.container}/${t.containerId}/${t.startedAt}`;
}

export class ProbeManager implements ProbeSource {
  private readonly workers = new Map<string, ContainerProbes>();

  constructor(private readonly opts: ProbeManagerOptions) {}

  /** The current worker of each container (by uid/container), so view() is a lookup, not a scan. */
  private readonly byContainer = new Map<string, ContainerProbes>();

  view(_pod: string, uid: string, container: string): ProbeView {
    const w = this.byContainer.get(`${uid}/${container}`);
    if (!w) return { ready: false, started: false };
    return { ready: w.ready, started: w.started };
  }

  livenessFailures(): ReadonlyMap<string, string> {
    const out = new Map<string, string>();
    for (const w of this.workers.values()) {
      if (w.livenessFailure !== undefined)
        out.set(containerKey(w.target.pod, w.target.container), w.livenessFailure);
    }
    return out;
  }

  sync(running: readonly ProbeTarget[]): void {
    const want = new Map(running.map((t) => [instanceKey(t), t]));
    for (const [k, w] of this.workers) {
      if (!want.has(k)) {
        w.stop();
        this.workers.delete(k);
        const ck = `${w.target.uid}/${w.target.container}`;
        if (this.byContainer.get(ck) === w) this.byContainer.delete(ck);
      }
    }
    for (const [k, t] of want) {
      if (this.workers.has(k)) continue;
      const w = new ContainerProbes(t, this.opts);
      this.workers.set(k, w);
      this.byContainer.set(`${t.uid}/${t.container}`, w);
    }
  }

  stop(): void {
    for (const w of this.workers.values()) w.stop();
    this.workers.clear();
    this.byContainer.clear();
  }
}
