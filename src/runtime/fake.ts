// An in-memory ContainerRuntime for unit tests only: containers are records whose state changes
// when told to. The same behaviour is proven against real Docker in test/integration/.
import { randomUUID } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import type { Clock } from "../lib/clock.ts";
import { systemClock } from "../lib/clock.ts";
import { RuntimeError } from "../lib/errors.ts";
import type {
  ContainerCreateSpec,
  ContainerRuntime,
  ContainerStats,
  EngineInfo,
  ExecResult,
  ExecSession,
  ExecStreamOptions,
  RuntimeContainer,
  RuntimeEvent,
} from "./runtime.ts";

/**
 * What the fake's "process" does, read from the container's command the way Docker would run it:
 * PID 1 has no default signal handlers, so it ignores SIGTERM unless the script traps it
 * (`trap 'exit 0' TERM`); `sh -c "exit 3"` exits 3 as soon as it starts.
 */
interface Program {
  /** Exit code on SIGTERM, or null: SIGTERM is ignored (only SIGKILL after the grace period ends it). */
  onTerm: number | null;
  /** Exits by itself with this code right after starting. */
  exitOnStart: number | null;
}

export function programOf(spec: Pick<ContainerCreateSpec, "entrypoint" | "cmd">): Program {
  const script = [...(spec.entrypoint ?? []), ...(spec.cmd ?? [])].join(" ");
  const trap = /trap\s+(['"])exit (\d+)\1\s+(?:SIG)?(?:TERM|15)\b/.exec(script);
  const exit = /(?:^|[;&|]\s*|-c\s+)exit (\d+)\s*$/.exec(script);
  const runs = /\b(sleep|while|tail|httpd|nc)\b/.test(script.replace(trap?.[0] ?? "", ""));
  return {
    onTerm: trap ? Number(trap[2]) : null,
    exitOnStart: exit && !runs ? Number(exit[1]) : null,
  };
}

export interface FakeRuntimeOptions {
  /** How the fake waits out a stop's grace period; real timers by default. */
  wait?: (ms: number) => Promise<void>;
}

export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, RuntimeContainer>();
  private readonly programs = new Map<string, Program>();
  readonly images = new Set<string>();
  readonly calls: string[] = [];
  /** Set to make the next calls of one kind fail, e.g. fail.set("create", "boom"). */
  readonly fail = new Map<string, string>();
  private ipSeq = 2;
  private listeners = new Set<(e: RuntimeEvent) => void>();

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly options: FakeRuntimeOptions = {},
  ) {}

  private check(op: string): void {
    this.calls.push(op);
    const msg = this.fail.get(op);
    if (msg) throw new RuntimeError(msg);
  }

  private emit(id: string, action: string): void {
    const c = this.containers.get(id);
    for (const l of this.listeners) l({ id, action, labels: c?.labels ?? {}, time: this.clock.now() });
  }

  async ping(): Promise<void> {
    this.check("ping");
  }
  async info(): Promise<EngineInfo> {
    this.check("info");
    return { name: "fake", cpus: 4, memoryBytes: 8 * 2 ** 30, serverVersion: "fake", apiVersion: "1.41" };
  }
  async hasImage(ref: string): Promise<boolean> {
    return this.images.has(ref);
  }
  async pullImage(ref: string): Promise<void> {
    this.check("pull");
    this.images.add(ref);
  }
  async create(spec: ContainerCreateSpec): Promise<string> {
    this.check("create");
    if (!this.images.has(spec.image)) throw new RuntimeError(`No such image: ${spec.image}`);
    for (const c of this.containers.values()) {
      if (c.name === spec.name)
        throw new RuntimeError(`Conflict. The container name "/${spec.name}" is already in use`);
    }
    const id = randomUUID().replace(/-/g, "") + randomUUID().replace(/-/g, "");
    this.containers.set(id, {
      id,
      name: spec.name,
      image: spec.image,
      labels: { ...spec.labels },
      state: "created",
      exitCode: null,
      startedAt: null,
      finishedAt: null,
      oomKilled: false,
      ip: null,
      error: null,
    });
    this.programs.set(id, programOf(spec));
    this.emit(id, "create");
    return id;
  }
  async start(id: string): Promise<void> {
    this.check("start");
    const c = this.get(id);
    if (c.state === "running") return; // like Docker (304): a running container keeps its start time
    c.state = "running";
    c.exitCode = null;
    c.startedAt = this.clock.now();
    c.ip = `172.17.0.${this.ipSeq++ % 250}`;
    this.emit(id, "start");
    const code = this.programs.get(id)?.exitOnStart;
    if (code !== null && code !== undefined) queueMicrotask(() => this.exitIfRunning(id, code));
  }
  /** SIGTERM; a process that ignores it is killed (137) once the grace period is over, like Docker. */
  async stop(id: string, graceSeconds: number): Promise<void> {
    this.check("stop");
    const c = this.containers.get(id);
    if (c?.state !== "running") return;
    const onTerm = this.programs.get(id)?.onTerm ?? null;
    if (onTerm !== null) return this.exit(id, onTerm);
    const startedAt = c.startedAt;
    const ms = Math.max(0, Math.round(graceSeconds)) * 1000;
    if (ms > 0) await (this.options.wait ?? ((t) => new Promise((r) => setTimeout(r, t))))(ms);
    // Still the same run (not stopped, killed or restarted meanwhile): SIGKILL.
    if (c.state === "running" && c.startedAt === startedAt) this.exit(id, 137);
  }
  async kill(id: string, signal = "SIGKILL"): Promise<void> {
    this.check("kill");
    const c = this.containers.get(id);
    if (c?.state !== "running") return;
    if (signal === "SIGKILL" || signal === "KILL" || signal === "9") return this.exit(id, 137);
    const onTerm = this.programs.get(id)?.onTerm ?? null;
    if ((signal === "SIGTERM" || signal === "TERM" || signal === "15") && onTerm !== null)
      this.exit(id, onTerm);
  }
  async remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    this.check("remove");
    const c = this.containers.get(id);
    if (!c) return;
    if (c.state === "running" && !opts.force)
      throw new RuntimeError(
        `Cannot remove container ${id.slice(0, 12)}: You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`,
      );
    if (c.state === "running") this.exit(id, 137);
    this.containers.delete(id);
    this.programs.delete(id);
    this.emit(id, "destroy");
  }
  async inspect(id: string): Promise<RuntimeContainer | undefined> {
    const c = this.containers.get(id);
    return c ? { ...c, labels: { ...c.labels } } : undefined;
  }
  async list(labels: Record<string, string>): Promise<RuntimeContainer[]> {
    this.check("list");
    return [...this.containers.values()]
      .filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v))
      .map((c) => ({ ...c, labels: { ...c.labels } }));
  }
  async logs(): Promise<Readable> {
    return Readable.from(["fake log line\n"]);
  }
  async exec(): Promise<ExecResult> {
    return { exitCode: 0, output: "" };
  }
  /** Echoes stdin to stdout (or prints the command when there is no stdin) and exits 0. */
  async execStream(id: string, opts: ExecStreamOptions): Promise<ExecSession> {
    this.check("execStream");
    const c = this.get(id);
    if (c.state !== "running") throw new RuntimeError(`Container ${id} is not running`);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const stdin = opts.stdin ? new PassThrough() : undefined;
    const exitCode = new Promise<number>((resolve) => {
      if (stdin) {
        stdin.pipe(stdout);
        stdin.on("end", () => resolve(0));
      } else {
        stdout.end(`${opts.cmd.join(" ")}\n`);
        resolve(0);
      }
    });
    void exitCode.then(() => stderr.end());
    return { stdout, stderr, stdin, resize: async () => {}, exitCode, close: () => stdin?.destroy() };
  }
  async stats(): Promise<ContainerStats> {
    return { cpuTotalNs: 0, memoryBytes: 0 };
  }
  async events(
    _labels: Record<string, string>,
    onEvent: (e: RuntimeEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.listeners.add(onEvent);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    this.listeners.delete(onEvent);
  }
  async saveImage(ref: string): Promise<Readable> {
    this.check("save");
    if (!this.images.has(ref)) throw new RuntimeError(`No such image: ${ref}`);
    return Readable.from([Buffer.from(`fake image ${ref}\n`)]);
  }
  /** Reads the whole stream (like docker load), then knows the images named in it. */
  async loadImage(tar: Readable, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.check("load");
    let text = "";
    for await (const chunk of tar) {
      if (opts.signal?.aborted) throw new RuntimeError("load aborted");
      text += String(chunk);
    }
    for (const m of text.matchAll(/^fake image (\S+)$/gm)) if (m[1]) this.images.add(m[1]);
  }

  /** Test helper: the container's process exits with `code`. */
  exit(id: string, code: number, opts: { oom?: boolean } = {}): void {
    const c = this.get(id);
    c.state = "exited";
    c.exitCode = code;
    c.finishedAt = this.clock.now();
    c.oomKilled = opts.oom ?? false;
    c.ip = null; // Docker releases the address when the container stops
    this.emit(id, "die");
  }

  private exitIfRunning(id: string, code: number): void {
    if (this.containers.get(id)?.state === "running") this.exit(id, code);
  }

  /** Test helper: a container mk did not create, or one whose labels say it is mk's. */
  add(c: Partial<RuntimeContainer> & { name: string; labels: Record<string, string> }): string {
    const id = c.id ?? randomUUID().replace(/-/g, "");
    this.containers.set(id, {
      id,
      image: "mk.local/busybox:1",
      state: "running",
      exitCode: null,
      startedAt: this.clock.now(),
      finishedAt: null,
      oomKilled: false,
      ip: "172.17.0.200",
      error: null,
      ...c,
    });
    return id;
  }

  private get(id: string): RuntimeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError(`No such container: ${id}`);
    return c;
  }
}
