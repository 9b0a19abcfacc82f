// The HA control plane's metrics: who leads, how often that changed, and the log's traffic and lag.
import { Counter, Gauge, type Registry } from "prom-client";

export class HaMetrics {
  readonly leader: Gauge;
  readonly leaderChanges: Counter;
  readonly applyLag: Gauge;
  readonly entries: Counter<"source">;
  readonly logLost: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.leader = new Gauge({ name: "mk_leader", help: "1 while this controller leads, else 0", registers });
    this.leaderChanges = new Counter({
      name: "mk_leader_changes_total",
      help: "Times the leader seen by this controller changed",
      registers,
    });
    this.applyLag = new Gauge({
      name: "mk_ha_log_apply_lag_seconds",
      help: "Time from the leader writing the last applied log entry to this replica applying it",
      registers,
    });
    this.entries = new Counter({
      name: "mk_ha_log_entries_total",
      help: "Log entries written by this controller as leader (appended) or applied from the log (applied)",
      labelNames: ["source"],
      registers,
    });
    this.logLost = new Gauge({
      name: "mk_ha_log_lost",
      help: "1 while the etcd prefix does not hold this replica's log (wiped, replaced, rolled back): nothing is applied or written",
      registers,
    });
    this.logLost.set(0);
    this.leader.set(0);
    this.applyLag.set(0);
    for (const source of ["appended", "applied"]) this.entries.inc({ source }, 0);
  }
}
