// Probe runners: one attempt of an httpGet, tcpSocket or exec probe against one container. The
// network ones dial through a Dialer, so the same code probes a local container (net.connect)
// and one on a remote node (an SSH direct-tcpip channel). A slow probe is a failed probe.
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { isNodeUnreachable } from "../lib/errors.ts";
import type { ContainerSpec, ProbeHandler } from "../manifest/types.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";

export type Dialer = (host: string, port: number, signal: AbortSignal) => Promise<Duplex>;

export interface ProbeResult {
  ok: boolean;
  /** The node itself could not be reached: no verdict on the container either way. */
  unreachable?: boolean;
  /** What was tried and what came back: "HTTP GET http://172.17.0.3:80/healthz: 500". */
  message: string;
}

export const localDialer: Dialer = (host, port, signal) =>
  new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const abort = () => {
      s.destroy();
      reject(new Error("timeout"));
    };
    signal.addEventListener("abort", abort, { once: true });
    s.once("connect", () => {
      signal.removeEventListener("abort", abort);
      resolve(s);
    });
    s.once("error", (err) => {
      signal.removeEventListener("abort", abort);
      reject(err);
    });
  });

/** A port given by name is looked up in the container's ports, like Kubernetes. */
export function resolvePort(port: number | string, container: ContainerSpec): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports.find((p) => p.name === port)?.containerPort;
}

export interface ProbeTargetInfo {
  containerId: string;
  ip: string | null;
  spec: ContainerSpec;
}

export async function runProbe(
  handler: ProbeHandler,
  target: ProbeTargetInfo,
  timeoutMs: number,
  deps: { runtime: ContainerRuntime; dial: Dialer },
): Promise<ProbeResult> {
  try {
    return await attempt(handler, target, timeoutMs, deps);
  } catch (err) {
    if (isNodeUnreachable(err)) return { ok: false, unreachable: true, message: (err as Error).message };
    throw err;
  }
}

/** One attempt; errors the probe can judge become failed results, a dead node is rethrown. */
async function attempt(
  handler: ProbeHandler,
  target: ProbeTargetInfo,
  timeoutMs: number,
  deps: { runtime: ContainerRuntime; dial: Dialer },
): Promise<ProbeResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  switch (handler.type) {
    case "exec": {
      const what = `exec ${JSON.stringify(handler.command)}`;
      try {
        const r = await deps.runtime.exec(target.containerId, handler.command, timeoutMs);
        return r.exitCode === 0
          ? { ok: true, message: `${what}: exit 0` }
          : {
              ok: false,
              message: `${what}: exit ${r.exitCode}${r.output.trim() ? `: ${r.output.trim().slice(0, 200)}` : ""}`,
            };
      } catch (err) {
        if (isNodeUnreachable(err)) throw err;
        return { ok: false, message: `${what}: ${(err as Error).message}` };
      }
    }
    case "tcpSocket": {
      const port = resolvePort(handler.port, target.spec);
      const host = handler.host ?? target.ip;
      const what = `TCP ${host}:${port ?? handler.port}`;
      if (!port) return { ok: false, message: `${what}: no port named ${handler.port}` };
      if (!host) return { ok: false, message: `${what}: container has no address` };
      try {
        const s = await deps.dial(host, port, signal);
        s.destroy();
        return { ok: true, message: `${what}: connected` };
      } catch (err) {
        if (isNodeUnreachable(err)) throw err;
        return {
          ok: false,
          message: `${what}: ${signal.aborted ? `timeout after ${timeoutMs} ms` : (err as Error).message}`,
        };
      }
    }
    case "httpGet": {
      const port = resolvePort(handler.port, target.spec);
      const host = handler.host ?? target.ip;
      const url = `http://${host}:${port ?? handler.port}${handler.path}`;
      const what = `HTTP GET ${url}`;
      if (!port) return { ok: false, message: `${what}: no port named ${handler.port}` };
      if (!host) return { ok: false, message: `${what}: container has no address` };
      try {
        const status = await httpStatus(host, port, handler.path, handler.httpHeaders, signal, deps.dial);
        return status >= 200 && status < 400
          ? { ok: true, message: `${what}: ${status}` }
          : { ok: false, message: `${what}: ${status}` };
      } catch (err) {
        if (isNodeUnreachable(err)) throw err;
        return {
          ok: false,
          message: `${what}: ${signal.aborted ? `timeout after ${timeoutMs} ms` : (err as Error).message}`,
        };
      }
    }
  }
}

/** One HTTP/1.0 request over a dialed stream; resolves with the status code of the answer. */
async function httpStatus(
  host: string,
  port: number,
  path: string,
  headers: { name: string; value: string }[],
  signal: AbortSignal,
  dial: Dialer,
): Promise<number> {
  const sock = await dial(host, port, signal);
  return new Promise((resolve, reject) => {
    let head = "";
    const done = (err: Error | null, status?: number) => {
      signal.removeEventListener("abort", onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(status ?? 0);
    };
    const onAbort = () => done(new Error("timeout"));
    signal.addEventListener("abort", onAbort, { once: true });
    sock.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      const nl = head.indexOf("\r\n");
      if (nl >= 0 || head.length > 1024) {
        const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(head);
        done(
          m ? null : new Error(`bad HTTP answer: ${JSON.stringify(head.slice(0, 40))}`),
          m ? Number(m[1]) : undefined,
        );
      }
    });
    sock.on("error", (e: Error) => done(e));
    sock.on("end", () => done(new Error("connection closed before an HTTP answer")));
    const hasHost = headers.some((h) => h.name.toLowerCase() === "host");
    const lines = [
      `GET ${path} HTTP/1.0`,
      ...(hasHost ? [] : [`Host: ${host}:${port}`]),
      "User-Agent: mk-probe/1",
      "Accept: */*",
      ...headers.map((h) => `${h.name}: ${h.value}`),
      "",
      "",
    ];
    sock.write(lines.join("\r\n"));
  });
}
