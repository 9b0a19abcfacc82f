// The container runtime seam: what mk needs from a Docker engine, and nothing else. The Docker
// implementation is docker.ts; fake.ts is an in-memory one for unit tests only.
import type { Readable, Writable } from "node:stream";

export interface ContainerCreateSpec {
  /** Docker container name, e.g. mk_web_nginx_1a2b3c4d. */
  name: string;
  image: string;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  env: string[];
  labels: Record<string, string>;
  hostname?: string;
  /** "80/tcp" -> host bindings. */
  ports: { containerPort: number; protocol: "tcp" | "udp"; hostPort?: number; hostIp?: string }[];
  nanoCpus?: number;
  memoryBytes?: number;
}

export type ContainerState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface RuntimeContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  exitCode: number | null;
  /** ms since epoch, null when never started. */
  startedAt: number | null;
  finishedAt: number | null;
  oomKilled: boolean;
  /** The container's address on the node's bridge network. */
  ip: string | null;
  error: string | null;
}

export interface EngineInfo {
  name: string;
  cpus: number;
  memoryBytes: number;
  serverVersion: string;
  apiVersion: string;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface ExecStreamOptions {
  cmd: string[];
  /** A terminal: output is one raw stream (stdout), input is the terminal's keys. */
  tty: boolean;
  /** Attach stdin (kubectl -i). */
  stdin: boolean;
}

/** An interactive `docker exec`: streams in and out, resize, and the command's exit code. */
export interface ExecSession {
  stdout: Readable;
  /** Without a TTY only; with one, everything arrives on stdout. */
  stderr: Readable;
  /** Present when stdin was asked for; end() closes the command's stdin. */
  stdin: Writable | undefined;
  resize(rows: number, cols: number): Promise<void>;
  /** The command's exit code, once it ended (or the connection dropped: then it rejects). */
  exitCode: Promise<number>;
  /** Drops the connection (the command may keep running, as with docker exec). */
  close(): void;
}

export interface ContainerStats {
  /** Cumulative CPU time in nanoseconds. */
  cpuTotalNs: number;
  memoryBytes: number;
  /** CPU use over Docker's last sampling interval (about 1 s), in millicores; absent when unknown. */
  cpuMilli?: number;
}

export interface RuntimeEvent {
  id: string;
  action: string;
  labels: Record<string, string>;
  time: number;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  /** Only lines after this time: seconds since the epoch (fractions allowed). */
  since?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface ContainerRuntime {
  ping(): Promise<void>;
  info(): Promise<EngineInfo>;
  hasImage(ref: string): Promise<boolean>;
  pullImage(ref: string): Promise<void>;
  create(spec: ContainerCreateSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after graceSeconds. */
  stop(id: string, graceSeconds: number): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  remove(id: string, opts?: { force?: boolean }): Promise<void>;
  inspect(id: string): Promise<RuntimeContainer | undefined>;
  /** Containers (running or not) carrying all the given labels. */
  list(labels: Record<string, string>): Promise<RuntimeContainer[]>;
  /** stdout and stderr demultiplexed into one text stream. */
  logs(id: string, opts?: LogOptions): Promise<Readable>;
  exec(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult>;
  /** An interactive exec (mk exec): stdin, a TTY, the exit code. */
  execStream(id: string, opts: ExecStreamOptions): Promise<ExecSession>;
  stats(id: string): Promise<ContainerStats>;
  /** Container events for containers with the given labels, until the signal aborts or the stream fails. */
  events(
    labels: Record<string, string>,
    onEvent: (e: RuntimeEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** `docker save` of one image, as a tar stream. */
  saveImage(ref: string): Promise<Readable>;
  /** `docker load` of a tar stream; an aborted `signal` ends the upload at once (and rejects). */
  loadImage(tar: Readable, opts?: { signal?: AbortSignal }): Promise<void>;
}
