// The Docker implementation of ContainerRuntime, over dockerode. The only module that imports
// dockerode; Docker's errors become RuntimeError (or "not found" results) here.
import { type Duplex, PassThrough, type Readable } from "node:stream";
import Docker from "dockerode";
import { RuntimeError } from "../lib/errors.ts";
import { LogReorder, orderLogText } from "./log-order.ts";
import type {
  ContainerCreateSpec,
  ContainerRuntime,
  ContainerState,
  ContainerStats,
  EngineInfo,
  ExecResult,
  ExecSession,
  ExecStreamOptions,
  LogOptions,
  RuntimeContainer,
  RuntimeEvent,
} from "./runtime.ts";

export type DockerOptions = Docker.DockerOptions;

function statusCode(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "statusCode" in err
    ? (err as { statusCode?: number }).statusCode
    : undefined;
}

/** Docker's own message (the JSON body), not dockerode's "(HTTP code 404) no such container -" prefix. */
export function dockerMessage(err: unknown): string {
  if (typeof err === "object" && err !== null) {
    const json = (err as { json?: { message?: string } }).json;
    if (json && typeof json.message === "string") return json.message;
    if (err instanceof Error) return err.message;
  }
  return String(err);
}

function parseTime(s: string | undefined): number | null {
  if (!s || s.startsWith("0001-")) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

function firstIp(networks: Record<string, { IPAddress?: string }> | undefined): string | null {
  for (const n of Object.values(networks ?? {})) if (n.IPAddress) return n.IPAddress;
  return null;
}

export class DockerRuntime implements ContainerRuntime {
  readonly docker: Docker;

  constructor(
    opts: DockerOptions | Docker,
    private readonly where = "docker",
  ) {
    this.docker = opts instanceof Docker ? opts : new Docker(opts);
  }

  private fail(action: string, err: unknown): RuntimeError {
    return new RuntimeError(
      `Cannot ${action} on ${this.where}: ${dockerMessage(err)}`,
      { where: this.where },
      err,
    );
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw this.fail("ping the Docker engine", err);
    }
  }

  async info(): Promise<EngineInfo> {
    try {
      const [info, version] = await Promise.all([this.docker.info(), this.docker.version()]);
      return {
        name: String(info.Name ?? ""),
        cpus: Number(info.NCPU ?? 0),
        memoryBytes: Number(info.MemTotal ?? 0),
        serverVersion: String(version.Version ?? ""),
        apiVersion: String(version.ApiVersion ?? ""),
      };
    } catch (err) {
      throw this.fail("read Docker info", err);
    }
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw this.fail(`inspect image ${ref}`, err);
    }
  }

  async pullImage(ref: string): Promise<void> {
    try {
      const stream = await this.docker.pull(ref);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
          const failed = output?.find((o) => o.error);
          if (err) reject(err);
          else if (failed?.error) reject(new Error(failed.error));
          else resolve();
        });
      });
    } catch (err) {
      throw this.fail(`pull image ${ref}`, err);
    }
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostPort: string; HostIp?: string }[]> = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      if (p.hostPort) {
        const list = bindings[key] ?? [];
        list.push({ HostPort: String(p.hostPort), ...(p.hostIp ? { HostIp: p.hostIp } : {}) });
        bindings[key] = list;
      }
    }
    try {
      const c = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        // A Kubernetes `command` replaces the entrypoint and drops the image's CMD, so Cmd is
        // always sent when an entrypoint is (an empty array clears the image's CMD).
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint, Cmd: spec.cmd ?? [] } : {}),
        ...(!spec.entrypoint && spec.cmd ? { Cmd: spec.cmd } : {}),
        ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        ...(spec.hostname ? { Hostname: spec.hostname } : {}),
        Env: spec.env,
        Labels: spec.labels,
        ExposedPorts: exposed,
        HostConfig: {
          PortBindings: bindings,
          RestartPolicy: { Name: "no" },
          ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
          ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
        },
      });
      return c.id;
    } catch (err) {
      throw this.fail(`create container ${spec.name}`, err);
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusCode(err) === 304) return; // already started
      throw this.fail(`start container ${id.slice(0, 12)}`, err);
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (err) {
      const code = statusCode(err);
      if (code === 304 || code === 404) return; // already stopped or gone
      throw this.fail(`stop container ${id.slice(0, 12)}`, err);
    }
  }

  async kill(id: string, signal = "SIGKILL"): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (err) {
      const code = statusCode(err);
      if (code === 404 || code === 409) return; // gone or not running
      throw this.fail(`kill container ${id.slice(0, 12)}`, err);
    }
  }

  async remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: opts.force ?? false, v: true });
    } catch (err) {
      const code = statusCode(err);
      if (code === 404) return;
      // 409 "removal already in progress" counts as done.
      if (code === 409 && /already in progress/i.test(dockerMessage(err))) return;
      throw this.fail(`remove container ${id.slice(0, 12)}`, err);
    }
  }

  async inspect(id: string): Promise<RuntimeContainer | undefined> {
    try {
      const i = await this.docker.getContainer(id).inspect();
      return {
        id: i.Id,
        name: i.Name.replace(/^\//, ""),
        image: i.Config.Image,
        labels: i.Config.Labels ?? {},
        state: (i.State.Status as ContainerState) ?? "dead",
        exitCode: i.State.Status === "exited" || i.State.Status === "dead" ? i.State.ExitCode : null,
        startedAt: parseTime(i.State.StartedAt),
        finishedAt: parseTime(i.State.FinishedAt),
        oomKilled: Boolean(i.State.OOMKilled),
        ip: firstIp(i.NetworkSettings?.Networks as Record<string, { IPAddress?: string }>),
        error: i.State.Error || null,
      };
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw this.fail(`inspect container ${id.slice(0, 12)}`, err);
    }
  }

  async list(labels: Record<string, string>): Promise<RuntimeContainer[]> {
    let summaries: Docker.ContainerInfo[];
    try {
      summaries = await this.docker.listContainers({
        all: true,
        filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
      });
    } catch (err) {
      throw this.fail("list containers", err);
    }
    // The list lacks exit codes and times: inspect each (cheap on a local socket, ~1 ms).
    const out = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    return out.filter((c): c is RuntimeContainer => c !== undefined);
  }

  async logs(id: string, opts: LogOptions = {}): Promise<Readable> {
    const c = this.docker.getContainer(id);
    const out = new PassThrough();
    try {
      const base = {
        stdout: true,
        stderr: true,
        // Always stamped: log-order.ts orders stdout and stderr by the stamps, then drops them
        // unless asked for.
        timestamps: true,
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
      };
      if (opts.follow) {
        const stream = await c.logs({ ...base, follow: true });
        const ordered = new LogReorder(opts.timestamps ?? false);
        ordered.pipe(out);
        this.docker.modem.demuxStream(stream, ordered, ordered);
        stream.on("end", () => ordered.end());
        stream.on("error", (e: Error) => out.destroy(e));
        out.on("error", () => undefined); // readers see the end; the error is Docker's, reported by the caller's pipeline
        opts.signal?.addEventListener("abort", () => {
          (stream as unknown as { destroy(): void }).destroy();
          ordered.end();
        });
      } else {
        const buf = await c.logs({ ...base, follow: false });
        out.end(orderLogText(demuxBuffer(buf), opts.timestamps ?? false));
      }
    } catch (err) {
      throw this.fail(`read logs of ${id.slice(0, 12)}`, err);
    }
    return out;
  }

  async exec(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult> {
    const c = this.docker.getContainer(id);
    let exec: Docker.Exec;
    try {
      exec = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    } catch (err) {
      throw this.fail(`exec in ${id.slice(0, 12)}`, err);
    }
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on("data", (d: Buffer) => {
      if (chunks.length < 64) chunks.push(d);
    });
    this.docker.modem.demuxStream(stream, sink, sink);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(
          new RuntimeError(`exec ${JSON.stringify(cmd)} timed out after ${timeoutMs} ms`, { timeoutMs }),
        );
      }, timeoutMs);
      stream.on("end", () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString("utf8").slice(0, 4096) };
  }

  async execStream(id: string, opts: ExecStreamOptions): Promise<ExecSession> {
    const c = this.docker.getContainer(id);
    let exec: Docker.Exec;
    let sock: Duplex;
    try {
      exec = await c.exec({
        Cmd: opts.cmd,
        AttachStdin: opts.stdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: opts.tty,
      });
      sock = (await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty })) as unknown as Duplex;
    } catch (err) {
      throw this.fail(`exec ${JSON.stringify(opts.cmd)} in ${id.slice(0, 12)}`, err);
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    // One stream, demultiplexed in order (or raw with a TTY): stdout and stderr keep their order.
    if (opts.tty) sock.pipe(stdout);
    else this.docker.modem.demuxStream(sock, stdout, stderr);
    const ended = new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        if (!opts.tty) stdout.end();
        stderr.end();
        if (err) reject(err);
        else resolve();
      };
      sock.on("end", () => finish());
      sock.on("close", () => finish());
      sock.on("error", (e: Error) => finish(e));
    });
    const exitCode = ended.then(async () => {
      // The stream ends a moment before Docker records the exit code: ask until it has one.
      for (let i = 0; i < 50; i++) {
        const info = await exec.inspect();
        if (!info.Running && info.ExitCode !== null) return info.ExitCode;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new RuntimeError(`exec ${JSON.stringify(opts.cmd)} in ${id.slice(0, 12)}: no exit code`);
    });
    exitCode.catch(() => undefined); // callers that close early do not await it
    return {
      stdout,
      stderr,
      stdin: opts.stdin ? sock : undefined,
      resize: async (rows, cols) => {
        try {
          await exec.resize({ h: rows, w: cols });
        } catch {
          // not started yet, or already gone: the next resize or the end tells
        }
      },
      exitCode,
      close: () => sock.destroy(),
    };
  }

  async stats(id: string): Promise<ContainerStats> {
    try {
      const s = (await this.docker.getContainer(id).stats({ stream: false })) as unknown as {
        read?: string;
        preread?: string;
        cpu_stats?: { cpu_usage?: { total_usage?: number } };
        precpu_stats?: { cpu_usage?: { total_usage?: number } };
        memory_stats?: { usage?: number; stats?: { cache?: number; inactive_file?: number } };
      };
      const mem = s.memory_stats?.usage ?? 0;
      const cache = s.memory_stats?.stats?.inactive_file ?? s.memory_stats?.stats?.cache ?? 0;
      const total = s.cpu_stats?.cpu_usage?.total_usage ?? 0;
      // Docker samples twice, about a second apart (precpu_stats, preread): the rate between them.
      const pre = s.precpu_stats?.cpu_usage?.total_usage;
      const read = parseTime(s.read);
      const preread = parseTime(s.preread);
      const cpuMilli =
        pre !== undefined && read !== null && preread !== null && read > preread && total >= pre
          ? (total - pre) / 1e6 / ((read - preread) / 1000)
          : undefined;
      return {
        cpuTotalNs: total,
        memoryBytes: Math.max(0, mem - cache),
        ...(cpuMilli !== undefined ? { cpuMilli } : {}),
      };
    } catch (err) {
      throw this.fail(`read stats of ${id.slice(0, 12)}`, err);
    }
  }

  async events(
    labels: Record<string, string>,
    onEvent: (e: RuntimeEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.getEvents({
        filters: { type: ["container"], label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
      })) as NodeJS.ReadableStream;
    } catch (err) {
      throw this.fail("watch Docker events", err);
    }
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      const stop = () => {
        (stream as unknown as { destroy(): void }).destroy();
        resolve();
      };
      if (signal.aborted) return stop();
      signal.addEventListener("abort", stop, { once: true });
      stream.on("data", (d: Buffer) => {
        buf += d.toString("utf8");
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
          if (!line) continue;
          try {
            const e = JSON.parse(line) as {
              id?: string;
              Action?: string;
              Actor?: { ID?: string; Attributes?: Record<string, string> };
              timeNano?: number;
            };
            onEvent({
              id: e.id ?? e.Actor?.ID ?? "",
              action: e.Action ?? "",
              labels: e.Actor?.Attributes ?? {},
              time: e.timeNano ? Math.floor(e.timeNano / 1e6) : Date.now(),
            });
          } catch {
            // A partial or foreign line: the periodic resync covers anything missed.
          }
        }
      });
      stream.on("end", () => {
        signal.removeEventListener("abort", stop);
        if (signal.aborted) resolve();
        else reject(new RuntimeError(`Docker event stream on ${this.where} ended`));
      });
      stream.on("error", (err: Error) => {
        signal.removeEventListener("abort", stop);
        if (signal.aborted) resolve();
        else reject(this.fail("watch Docker events", err));
      });
    });
  }

  async saveImage(ref: string): Promise<Readable> {
    try {
      return (await this.docker.getImage(ref).get()) as unknown as Readable;
    } catch (err) {
      throw this.fail(`save image ${ref}`, err);
    }
  }

  async loadImage(tar: Readable, opts: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      const res = (await this.docker.loadImage(
        tar,
        opts.signal ? ({ abortSignal: opts.signal } as object) : undefined,
      )) as unknown as Readable;
      let body = "";
      for await (const chunk of res) body += String(chunk);
      const m = /"error(?:Detail)?"\s*:\s*(\{[^}]*\}|"[^"]*")/.exec(body);
      if (m) throw new Error(`docker load: ${m[1]}`);
    } catch (err) {
      throw this.fail("load image", err);
    }
  }
}

/** Docker's multiplexed log format: 8-byte frame headers (stream, 0, 0, 0, size32be). */
export function demuxBuffer(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  const framed =
    buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) return buf.toString("utf8");
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}
