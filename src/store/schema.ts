// The state schema: desired objects, the pods derived from them, what the node agents observe,
// nodes, events, the controller lease and a journal of mutations. Migrations in migrations/ are
// generated from this file by drizzle-kit (`npm run db:generate`); docs/state.md documents it.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Desired objects as applied: one row per (kind, name). */
export const objects = sqliteTable(
  "objects",
  {
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    apiVersion: text("api_version").notNull(),
    generation: integer("generation").notNull(),
    /** The normalized object (metadata + spec) as JSON. */
    spec: text("spec").notNull(),
    specHash: text("spec_hash").notNull(),
    sourceFile: text("source_file"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.name] })],
);

/** Pods: the desired pods (from Pod objects and PodSets), their node binding and their status. */
export const pods = sqliteTable(
  "pods",
  {
    name: text("name").primaryKey(),
    uid: text("uid").notNull(),
    /** "Pod" for a standalone pod, "PodSet" for a replica. */
    ownerKind: text("owner_kind").notNull(),
    ownerName: text("owner_name").notNull(),
    templateHash: text("template_hash"),
    labels: text("labels").notNull(),
    annotations: text("annotations").notNull(),
    spec: text("spec").notNull(),
    specHash: text("spec_hash").notNull(),
    node: text("node"),
    phase: text("phase").notNull(),
    reason: text("reason"),
    message: text("message"),
    /** Unschedulable for now only (the scheduler's transient flag): some node will take it when up. */
    unschedulableTransient: integer("unschedulable_transient", { mode: "boolean" }).notNull().default(false),
    ready: integer("ready", { mode: "boolean" }).notNull().default(false),
    restartCount: integer("restart_count").notNull().default(0),
    ip: text("ip"),
    createdAt: integer("created_at").notNull(),
    scheduledAt: integer("scheduled_at"),
    startedAt: integer("started_at"),
    /** Since when the pod has been Ready without a break (null when not ready): minReadySeconds. */
    readySince: integer("ready_since"),
    /** Set when the pod is to be stopped and removed; the agent deletes the row when done. */
    deletionAt: integer("deletion_at"),
    deletionReason: text("deletion_reason"),
    /** `mk delete --grace-period N`: overrides the spec's terminationGracePeriodSeconds for the stop. */
    deletionGraceSeconds: integer("deletion_grace_seconds"),
  },
  (t) => [index("pods_node").on(t.node), index("pods_owner").on(t.ownerKind, t.ownerName)],
);

/**
 * Revisions of a PodSet: one per distinct pod template, numbered 1, 2, 3... A rollback makes an old
 * template the newest revision again (it gets the next number, like Kubernetes' ReplicaSets).
 */
export const podsetRevisions = sqliteTable(
  "podset_revisions",
  {
    podset: text("podset").notNull(),
    revision: integer("revision").notNull(),
    templateHash: text("template_hash").notNull(),
    /** The pod template (metadata + spec) as JSON. */
    template: text("template").notNull(),
    changeCause: text("change_cause"),
    createdAt: integer("created_at").notNull(),
    /** When this revision's rollout passed its progress deadline (it is not rolled back to by itself). */
    failedAt: integer("failed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.podset, t.revision] }),
    index("podset_revisions_hash").on(t.podset, t.templateHash),
  ],
);

/** Rollout status of a PodSet, written by the controller each pass; `paused` by rollout pause/resume. */
export const podsetStatus = sqliteTable("podset_status", {
  podset: text("podset").primaryKey(),
  paused: integer("paused", { mode: "boolean" }).notNull().default(false),
  observedGeneration: integer("observed_generation").notNull().default(0),
  /** The revision being rolled out (the newest). */
  revision: integer("revision").notNull().default(0),
  replicas: integer("replicas").notNull().default(0),
  updatedReplicas: integer("updated_replicas").notNull().default(0),
  readyReplicas: integer("ready_replicas").notNull().default(0),
  availableReplicas: integer("available_replicas").notNull().default(0),
  /** Conditions as JSON: [{type, status, reason, message, lastUpdateTime, lastTransitionTime}]. */
  conditions: text("conditions").notNull().default("[]"),
  updatedAt: integer("updated_at").notNull().default(0),
});

/** Per-container status written by the node agent: restarts, back-off, last termination, probes. */
export const containerStatus = sqliteTable(
  "container_status",
  {
    pod: text("pod").notNull(),
    podUid: text("pod_uid").notNull(),
    container: text("container").notNull(),
    containerId: text("container_id"),
    state: text("state").notNull(),
    reason: text("reason"),
    message: text("message"),
    ready: integer("ready", { mode: "boolean" }).notNull().default(false),
    started: integer("started", { mode: "boolean" }).notNull().default(false),
    restartCount: integer("restart_count").notNull().default(0),
    backoffStep: integer("backoff_step").notNull().default(0),
    nextRestartAt: integer("next_restart_at"),
    lastRestartAt: integer("last_restart_at"),
    startedAt: integer("started_at"),
    lastExitCode: integer("last_exit_code"),
    lastReason: text("last_reason"),
    lastFinishedAt: integer("last_finished_at"),
    lastOomKilled: integer("last_oom_killed", { mode: "boolean" }),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.pod, t.container] })],
);

/** The containers a node agent saw on its Docker engine at its last pass (mk-labelled ones only). */
export const observedContainers = sqliteTable(
  "observed_containers",
  {
    id: text("id").primaryKey(),
    node: text("node").notNull(),
    name: text("name").notNull(),
    pod: text("pod").notNull(),
    podUid: text("pod_uid").notNull(),
    container: text("container").notNull(),
    specHash: text("spec_hash").notNull(),
    image: text("image").notNull(),
    state: text("state").notNull(),
    exitCode: integer("exit_code"),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    ip: text("ip"),
    observedAt: integer("observed_at").notNull(),
  },
  (t) => [index("observed_node").on(t.node), index("observed_pod").on(t.pod)],
);

/** Docker hosts. `docker` is unix:///path or ssh://user@host[:port]. */
export const nodes = sqliteTable("nodes", {
  name: text("name").primaryKey(),
  docker: text("docker").notNull(),
  identityFile: text("identity_file"),
  socketPath: text("socket_path"),
  labels: text("labels").notNull(),
  taints: text("taints").notNull(),
  unschedulable: integer("unschedulable", { mode: "boolean" }).notNull().default(false),
  /** Ready | NotReady | Unknown */
  state: text("state").notNull(),
  message: text("message"),
  cpuMilli: integer("cpu_milli").notNull().default(0),
  memoryBytes: integer("memory_bytes").notNull().default(0),
  dockerVersion: text("docker_version"),
  lastHeartbeatAt: integer("last_heartbeat_at"),
  readySince: integer("ready_since"),
  /** When the controller last declared the node lost (Unknown); a returning node settles first. */
  lostAt: integer("lost_at"),
  stateSince: integer("state_since").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Events, aggregated like Kubernetes': a repeat of the same event bumps count and last_seen. */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    reason: text("reason").notNull(),
    objectKind: text("object_kind").notNull(),
    objectName: text("object_name").notNull(),
    node: text("node"),
    message: text("message").notNull(),
    count: integer("count").notNull().default(1),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
  },
  (t) => [
    index("events_object").on(t.objectKind, t.objectName),
    index("events_last_seen").on(t.lastSeen),
    index("events_key").on(t.objectKind, t.objectName, t.reason),
  ],
);

/** Leases: the controller lease keeps two controllers from reconciling one state at once. */
export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  acquiredAt: integer("acquired_at").notNull(),
  renewedAt: integer("renewed_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  /** Bumped each time the holder changes: a fencing token. */
  epoch: integer("epoch").notNull(),
});

/** Facts about this state: its cluster id (the mk.cluster label that scopes its containers). */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** Every mutation of desired state, in order: what an HA mode replicates through etcd. */
export const journal = sqliteTable("journal", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  at: integer("at").notNull(),
  op: text("op").notNull(),
  args: text("args").notNull(),
});

/**
 * What the autoscaler controller last decided for each Autoscaler object: Kubernetes' HPA status,
 * plus the history its behavior needs (recommendations of the stabilization window, recent scale
 * events for the policies), so a restarted controller continues where the last one stopped.
 */
export const autoscalerStatus = sqliteTable("autoscaler_status", {
  name: text("name").primaryKey(),
  /** The objects row's generation this status was computed for. */
  observedGeneration: integer("observed_generation").notNull(),
  currentReplicas: integer("current_replicas").notNull(),
  desiredReplicas: integer("desired_replicas").notNull(),
  /** JSON [{resource, utilization?, averageValue}]. */
  currentMetrics: text("current_metrics").notNull(),
  lastScaleTime: integer("last_scale_time"),
  /** JSON [{type, status, reason, message, lastTransitionTime}]. */
  conditions: text("conditions").notNull(),
  /** JSON [{replicas, at}]: unstabilized recommendations still inside a stabilization window. */
  recommendations: text("recommendations").notNull(),
  /** JSON {up: [{change, at}], down: [...]}: rescales still inside a policy period. */
  scaleEvents: text("scale_events").notNull(),
  syncedAt: integer("synced_at").notNull(),
});
