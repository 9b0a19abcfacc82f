// Integration-test harness: a temp state per test, the mk CLI run as a real process, a real
// `mk server`, and Docker helpers. Every container a test makes carries the test's cluster id,
// so cleanup never touches anything else on the engine.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";

const execFileP = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "../..");
export const MAIN = join(ROOT, "src/main.ts");
export const IMAGE = "mk.local/busybox:1";

/**
 * A PodSet (or a Deployment, as users write one) of `sleep 3600` pods of the base image, stopped at
 * once. `spec` adds lines under `spec:` (e.g. a strategy); `env` gives the container a VERSION-style env.
 */
export function sleeperYaml(
  name: string,
  replicas: number,
  opts: { kind?: "PodSet" | "Deployment"; spec?: string[]; env?: Record<string, string> } = {},
): string {
  const head =
    opts.kind === "Deployment" ? "apiVersion: apps/v1\nkind: Deployment" : "apiVersion: mk/v1\nkind: PodSet";
  const extra = (opts.spec ?? []).map((l) => `  ${l}\n`).join("");
  const env = Object.entries(opts.env ?? {});
  return `${head}
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
${extra}  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: ${IMAGE}
          command: ["sleep", "3600"]
${env.length > 0 ? `          env: [${env.map(([k, v]) => `{ name: ${k}, value: "${v}" }`).join(", ")}]\n` : ""}`;
}
/** tsx's loader by absolute URL: the CLI runs from a temp directory with no node_modules. */
const TSX = import.meta.resolve("tsx");
export const docker = new Docker({ socketPath: "/var/run/docker.sock" });

/** Fails loudly (never skips) when no Docker engine answers: scripts/test.sh starts one. */
export async function requireDocker(): Promise<void> {
  try {
    await docker.ping();
    await docker.getImage(IMAGE).inspect();
  } catch (err) {
    throw new Error(
      `Docker engine or ${IMAGE} unavailable (${(err as Error).message}): run 'bash scripts/setup.sh' (scripts/test.sh does it for you)`,
    );
  }
}

export interface MkResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), "mk-it-"));
  readonly state = join(this.dir, "state.db");
  private servers: ChildProcess[] = [];

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, MK_STATE: this.state, MK_SERVER: "", ...extra };
  }

  async mk(
    args: string[],
    opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<MkResult> {
    return new Promise((resolvePromise) => {
      const child = spawn(process.execPath, ["--import", TSX, MAIN, ...args], {
        cwd: this.dir,
        env: this.env(opts.env),
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(opts.input ?? "");
    });
  }

  /** mk, expecting exit 0. */
  async ok(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.mk(args, opts);
    if (r.code !== 0)
      throw new Error(`mk ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * `mk ... -o json`, parsed. For `mk get` the flat records (the API's views): `get -o json` prints
   * Kubernetes-shaped objects whose `status` is that record, so a List gives its items' statuses
   * and one object its status. Use ok([... "-o", "json"]) for the objects themselves.
   */
  async json<T>(args: string[]): Promise<T> {
    const value = JSON.parse(await this.ok([...args, "-o", "json"])) as unknown;
    if (args[0] !== "get" || typeof value !== "object" || value === null) return value as T;
    const v = value as { kind?: string; items?: { status?: unknown }[]; status?: unknown };
    if (v.kind === "List" && Array.isArray(v.items)) return v.items.map((i) => i.status) as T;
    return ("status" in v ? v.status : value) as T;
  }

  /** Starts `mk server` on a free loopback port and waits for /readyz. */
  async server(
    args: string[] = [],
    env: Record<string, string> = {},
  ): Promise<{ url: string; proc: ChildProcess; logs: () => string }> {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      ["--import", TSX, MAIN, "server", "--listen", `127.0.0.1:${port}`, "--log-format", "json", ...args],
      {
        cwd: this.dir,
        env: this.env(env),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let logs = "";
    proc.stdout?.on("data", (d) => {
      logs += d;
    });
    proc.stderr?.on("data", (d) => {
      logs += d;
    });
    this.servers.push(proc);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`mk server exited ${proc.exitCode}: ${logs}`);
        const r = await fetch(`${url}/readyz`).catch(() => undefined);
        return r?.status === 200;
      },
      30_000,
      "mk server /readyz",
    );
    return { url, proc, logs: () => logs };
  }

  async clusterId(): Promise<string> {
    const rows = await this.json<{ value: string }[]>([
      "sql",
      "select value from meta where key = 'cluster_id'",
    ]);
    const id = rows[0]?.value;
    if (!id) throw new Error("no cluster id in state");
    return id;
  }

  /** The engine's containers of this sandbox's cluster, optionally for one pod. */
  async containers(filter: Record<string, string> = {}): Promise<Docker.ContainerInfo[]> {
    const cluster = await this.clusterId();
    const label = [`mk.cluster=${cluster}`, ...Object.entries(filter).map(([k, v]) => `${k}=${v}`)];
    return docker.listContainers({ all: true, filters: { label } });
  }

  async cleanup(): Promise<void> {
    for (const s of this.servers) {
      if (s.exitCode === null) s.kill("SIGKILL");
    }
    try {
      const cluster = await this.clusterId();
      await removeContainers(`mk.cluster=${cluster}`);
    } catch {
      // no state yet: nothing was created
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Force-removes every container carrying `label` (k=v) on the local engine. */
export async function removeContainers(label: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** Ports this process already handed out: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const a = s.address();
        const p = typeof a === "object" && a ? a.port : 0;
        s.close(() => res(p));
      });
      s.on("error", rej);
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export async function waitFor<T>(
  fn: () => Promise<T | false | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
      if (String((err as Error).message).includes("exited")) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Adds lab hosts n1..nN (scripts/lab, 10.231.0.1x) as nodes through `url` and waits until all are Ready. */
export async function addLabNodes(
  b: Sandbox,
  url: string,
  env: Record<string, string>,
  count = 2,
): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await b.ok(
      [
        "node",
        "add",
        `n${i}`,
        "--docker",
        `ssh://root@10.231.0.${10 + i}`,
        "--identity",
        "/tmp/mk-lab/ssh/id_ed25519",
        "--server",
        url,
      ],
      { env },
    );
  }
  await waitFor(
    async () => {
      const nodes = await b.json<{ state: string }[]>(["get", "nodes", "--server", url]);
      return nodes.length === count && nodes.every((n) => n.state === "Ready");
    },
    30_000,
    `${count} lab nodes Ready`,
  );
}
