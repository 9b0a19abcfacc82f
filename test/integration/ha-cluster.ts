// Helpers for the HA tests: a 3-member etcd on loopback (scripts/etcd-up.sh on free ports), a TCP
// link per (mk server, etcd member) that a test can black-hole and heal, and `mk server --etcd`
// processes, each with its own state file.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, MAIN, ROOT, sh, waitFor } from "./harness.ts";

const TSX = import.meta.resolve("tsx");

export class EtcdCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "mk-etcd-it-"));
  clientPorts: number[] = [];
  private peerPorts: number[] = [];

  get endpoints(): string[] {
    return this.clientPorts.map((p) => `http://127.0.0.1:${p}`);
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      MK_ETCD_DIR: this.dir,
      MK_ETCD_CLIENT_PORTS: this.clientPorts.join(","),
      MK_ETCD_PEER_PORTS: this.peerPorts.join(","),
    };
  }

  async up(): Promise<void> {
    if (this.clientPorts.length === 0) {
      // Six distinct ports: the kernel may hand a just-released port out again.
      const ports = new Set<number>();
      while (ports.size < 6) ports.add(await freePort());
      const [c1, p1, c2, p2, c3, p3] = [...ports] as number[];
      this.clientPorts.push(c1 as number, c2 as number, c3 as number);
      this.peerPorts.push(p1 as number, p2 as number, p3 as number);
    }
    await run("bash", [join(ROOT, "scripts/etcd-up.sh")], this.env());
  }

  /** SIGKILLs member i (1..3); `up()` restarts it with its data. */
  async kill(i: number): Promise<void> {
    await run("bash", [join(ROOT, "scripts/etcd-down.sh"), String(i)], this.env());
  }

  async down(): Promise<void> {
    await run("bash", [join(ROOT, "scripts/etcd-down.sh")], this.env()).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Raw gateway call, for looking at the log from outside. */
  async call<T>(path: string, body: unknown): Promise<T> {
    for (const e of this.endpoints) {
      try {
        const r = await fetch(`${e}${path}`, {
          method: "POST",
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(2000),
        });
        return (await r.json()) as T;
      } catch {
        // next member
      }
    }
    throw new Error("no etcd member answered");
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      out += d;
    });
    p.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")}: ${code}\n${out}`)),
    );
  });
}

/** A TCP proxy to one etcd member. `cut()` black-holes it: connections stay open, nothing flows. */
export class Link {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  port = 0;

  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((client) => {
      const upstream = connect(this.target, "127.0.0.1");
      this.sockets.add(client);
      this.sockets.add(upstream);
      const forward = (from: Socket, to: Socket) =>
        from.on("data", (d) => {
          if (!this.cutOff) to.write(d);
        });
      forward(client, upstream);
      forward(upstream, client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
    await new Promise<void>((r) => this.server?.listen(this.port, "127.0.0.1", r));
  }

  cut(): void {
    this.cutOff = true;
  }

  /** Heals: new connections flow; the black-holed ones are reset, as after a real partition. */
  heal(): void {
    this.cutOff = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }
}

export interface Readyz {
  ready: boolean;
  role: "leader" | "follower" | "candidate";
  id: string;
  leader: string | null;
  term: number;
  appliedRevision: number;
  appliedSeq: number;
  reason?: string;
}

export class HaServer {
  proc: ChildProcess | undefined;
  logs = "";
  port = 0;
  readonly links: Link[];

  constructor(
    readonly id: string,
    readonly state: string,
    readonly etcd: EtcdCluster,
    private readonly extra: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.links = etcd.clientPorts.map((p) => new Link(p));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server (`once`: flags for this start only) and waits for it to be ready. */
  async start(once: string[] = []): Promise<void> {
    if (this.port === 0) {
      this.port = await freePort();
      for (const l of this.links) await l.start();
    }
    const etcd = this.links.map((l) => `http://127.0.0.1:${l.port}`).join(",");
    this.proc = spawn(
      process.execPath,
      [
        "--import",
        TSX,
        MAIN,
        "server",
        "--listen",
        `127.0.0.1:${this.port}`,
        "--log-format",
        "json",
        "--state",
        this.state,
        "--etcd",
        etcd,
        "--id",
        this.id,
        ...this.extra,
        ...once,
      ],
      { env: this.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    // MK_HA_LOGS=DIR keeps every server's log there (for a failed run).
    const keep = process.env.MK_HA_LOGS ? join(process.env.MK_HA_LOGS, `${this.id}.log`) : undefined;
    const onData = (d: Buffer) => {
      this.logs += d;
      if (keep) appendFileSync(keep, d);
    };
    this.proc.stdout?.on("data", onData);
    this.proc.stderr?.on("data", onData);
    await waitFor(
      async () => {
        if (this.proc?.exitCode !== null) throw new Error(`mk server ${this.id} exited: ${this.logs}`);
        return (await this.readyz())?.ready;
      },
      60_000,
      `mk server ${this.id} ready`,
    );
  }

  kill(): void {
    this.proc?.kill("SIGKILL");
  }

  async stopped(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise((r) => p.once("exit", r));
  }

  async readyz(): Promise<Readyz | undefined> {
    try {
      const r = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(3000) });
      return (await r.json()) as Readyz;
    } catch {
      return undefined;
    }
  }

  cut(): void {
    for (const l of this.links) l.cut();
  }

  heal(): void {
    for (const l of this.links) l.heal();
  }

  close(): void {
    this.kill();
    for (const l of this.links) l.close();
  }
}

export class HaCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "mk-ha-it-"));
  readonly etcd = new EtcdCluster();
  servers: HaServer[] = [];

  async start(n: number, extra: string[]): Promise<void> {
    await this.etcd.up();
    const prefix = `/mk/it-${process.pid}-${Date.now()}`;
    for (let i = 1; i <= n; i++) {
      this.servers.push(
        new HaServer(`mk-${i}`, join(this.dir, `s${i}.db`), this.etcd, ["--etcd-prefix", prefix, ...extra], {
          ...process.env,
          MK_SERVER: "",
          MK_STATE: "",
        }),
      );
    }
    // The first one alone first: it leads, so the test knows where it starts.
    for (const s of this.servers) await s.start();
  }

  get urls(): string {
    return this.servers.map((s) => s.url).join(",");
  }

  async leader(timeoutMs = 10_000, not?: HaServer): Promise<HaServer> {
    return waitFor(
      async () => {
        for (const s of this.servers) {
          if (s === not) continue;
          const r = await s.readyz();
          if (r?.role === "leader" && r.ready) return s;
        }
        return undefined;
      },
      timeoutMs,
      "a leader",
    );
  }

  async clusterId(): Promise<string> {
    const rows = (await (
      await fetch(`${this.servers[0]?.url}/api/v1/sql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "select value from meta where key = 'cluster_id'" }),
      })
    ).json()) as { rows?: { value: string }[] } | { value: string }[];
    const list = Array.isArray(rows) ? rows : (rows.rows ?? []);
    const id = list[0]?.value;
    if (!id) throw new Error(`no cluster id: ${JSON.stringify(rows)}`);
    return id;
  }

  async close(): Promise<void> {
    for (const s of this.servers) s.close();
    await Promise.all(this.servers.map((s) => s.stopped()));
    await this.etcd.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { sh };
