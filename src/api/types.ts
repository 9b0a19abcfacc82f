// MkApi: every operation the CLI performs, implemented locally over the state file (local.ts) and
// remotely over the HTTP API of `mk server` (remote.ts), so each command works either way.
import type { Duplex, Readable } from "node:stream";
import type { ApplyResult, DiffResult } from "../ops/apply.ts";
import type { AutoscalerView } from "../ops/autoscaler-views.ts";
import type { DeleteOptions, DeleteResult, NodeAddOptions, ObjectRef } from "../ops/commands.ts";
import type { KubeObject } from "../ops/kube-objects.ts";
import type { ExecRequest } from "../ops/pod-exec.ts";
import type { LogRequest } from "../ops/pod-logs.ts";
import type { Described, SqlResult } from "../ops/queries.ts";
import type { RevisionView, RolloutActionResult, RolloutStatusView } from "../ops/rollout.ts";
import type { TopReport } from "../ops/top.ts";
import type { EventView, NodeView, PodSetView, PodView } from "../ops/views.ts";
import type { ExecSession } from "../runtime/runtime.ts";

/** A manifest as read by the client: its name for error messages, and its text. */
export interface ManifestSource {
  file: string;
  text: string;
}

export interface ServerStatus {
  version: string;
  cluster: string;
  identity: string;
  leader: boolean;
  state: string;
  /** Who holds the controller lease (or leads the HA control plane). */
  leaseHolder?: string;
  /** HA mode: this replica's role and the control plane's members. */
  ha?: {
    role: string;
    leader: string | null;
    term: number;
    appliedRevision: number;
    members: { id: string; url: string; role: string; appliedRevision: number }[];
  };
}

export interface MkApi {
  apply(sources: ManifestSource[], opts: { dryRun: boolean }): Promise<ApplyResult[]>;
  diff(sources: ManifestSource[]): Promise<DiffResult[]>;
  /** The objects named in manifests, for delete -f. */
  refs(sources: ManifestSource[]): Promise<ObjectRef[]>;
  delete(refs: ObjectRef[], opts?: DeleteOptions): Promise<DeleteResult[]>;
  /** Kubernetes-shaped objects of a kind (Pod, PodSet, Node, Event, Autoscaler): all, or the one named. */
  objects(kind: string, name?: string): Promise<KubeObject[]>;
  pods(): Promise<PodView[]>;
  pod(name: string): Promise<PodView>;
  podSets(): Promise<PodSetView[]>;
  podSet(name: string): Promise<PodSetView>;
  nodes(): Promise<NodeView[]>;
  node(name: string): Promise<NodeView>;
  autoscalers(): Promise<AutoscalerView[]>;
  autoscaler(name: string): Promise<AutoscalerView>;
  events(opts: { kind?: string; name?: string; limit?: number }): Promise<EventView[]>;
  describe(kind: string, name: string): Promise<Described>;
  scale(
    name: string,
    replicas: number,
  ): Promise<{ kind: string; name: string; replicas: number; previous: number }>;
  /** One read-only query; `limits` may lower the server's time limit and row cap, never raise them. */
  sql(query: string, limits?: { timeoutMs?: number; maxRows?: number }): Promise<SqlResult>;
  rolloutStatus(name: string): Promise<RolloutStatusView>;
  rolloutHistory(name: string, revision?: number): Promise<RevisionView[]>;
  rolloutUndo(name: string, toRevision?: number): Promise<RolloutActionResult>;
  rolloutPause(name: string, paused: boolean): Promise<RolloutActionResult>;
  rolloutRestart(name: string): Promise<RolloutActionResult>;
  setImage(name: string, images: Record<string, string>): Promise<RolloutActionResult>;
  nodeAdd(opts: NodeAddOptions): Promise<{ name: string; action: string }>;
  nodeRemove(name: string): Promise<{ name: string }>;
  cordon(name: string, unschedulable: boolean): Promise<{ name: string; unschedulable: boolean }>;
  drain(name: string): Promise<{ name: string; evicted: string[] }>;
  logs(pod: string, opts: LogRequest): Promise<Readable>;
  /** A command in the pod's container: streams, resize, exit code (mk exec). */
  exec(pod: string, req: ExecRequest): Promise<ExecSession>;
  /** CPU and memory of pods and nodes (mk top). */
  top(): Promise<TopReport>;
  /** A TCP connection to the pod's port, from its node (mk port-forward). */
  dial(pod: string, port: number): Promise<Duplex>;
  status(): Promise<ServerStatus>;
  close(): void;
}
