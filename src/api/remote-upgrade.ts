// The client side of the server's upgraded routes (upgrade-routes.ts): `mk exec` and
// `mk port-forward` through `mk server`, over one HTTP connection each that switches protocols.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { type Duplex, PassThrough, Writable } from "node:stream";
import { MkError, RuntimeError } from "../lib/errors.ts";
import type { ExecRequest } from "../ops/pod-exec.ts";
import type { ExecSession } from "../runtime/runtime.ts";
import { Channel, EXEC_PROTOCOL, FrameReader, frame, PORT_FORWARD_PROTOCOL } from "./exec-frames.ts";

class UpgradeRefused extends MkError {
  constructor(code: string, message: string, status: number) {
    super(code, message, { httpStatus: status, exitCode: status >= 500 ? 3 : 1 });
  }
}

async function readError(res: IncomingMessage): Promise<MkError> {
  let text = "";
  for await (const c of res) text += String(c);
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    return new UpgradeRefused(
      e?.code ?? "http_error",
      e?.message ?? `HTTP ${res.statusCode}`,
      res.statusCode ?? 500,
    );
  } catch {
    return new UpgradeRefused(
      "http_error",
      `HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
      res.statusCode ?? 500,
    );
  }
}

/** How to reach the server: its token header, and the CA of a self-signed certificate. */
export interface UpgradeOptions {
  headers?: Record<string, string>;
  ca?: Buffer;
}

/** POSTs `path` asking to switch to `protocol`; resolves with the raw connection. */
export function upgrade(
  base: string,
  path: string,
  protocol: string,
  opts: UpgradeOptions = {},
): Promise<Duplex> {
  const url = new URL(path, `${base}/`);
  const https = url.protocol === "https:";
  const request = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { ...(opts.headers ?? {}), connection: "Upgrade", upgrade: protocol, "content-length": "0" },
      ...(https && opts.ca ? { ca: opts.ca } : {}),
    });
    req.on("upgrade", (_res, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on("response", (res) => {
      readError(res).then(reject, reject);
    });
    req.on("error", (err: Error) =>
      reject(new RuntimeError(`Cannot reach mk server at ${base}: ${err.message}`)),
    );
    req.end();
  });
}

export async function remoteExec(
  base: string,
  pod: string,
  req: ExecRequest,
  opts?: UpgradeOptions,
): Promise<ExecSession> {
  const qs = new URLSearchParams();
  if (req.container) qs.set("container", req.container);
  if (req.tty) qs.set("tty", "1");
  if (req.stdin) qs.set("stdin", "1");
  for (const c of req.cmd) qs.append("command", c);
  const socket = await upgrade(
    base,
    `/api/v1/pods/${encodeURIComponent(pod)}/exec?${qs}`,
    EXEC_PROTOCOL,
    opts,
  );
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let settled = false;
  let resolveExit: (code: number) => void = () => undefined;
  let rejectExit: (err: Error) => void = () => undefined;
  const exitCode = new Promise<number>((resolve, reject) => {
    resolveExit = resolve;
    rejectExit = reject;
  });
  exitCode.catch(() => undefined);
  const finish = (fn: () => void) => {
    if (settled) return;
    settled = true;
    stdout.end();
    stderr.end();
    fn();
  };
  const reader = new FrameReader((channel, payload) => {
    if (channel === Channel.stdout) stdout.write(payload);
    else if (channel === Channel.stderr) stderr.write(payload);
    else if (channel === Channel.exit) {
      const { exitCode: code } = JSON.parse(payload.toString("utf8")) as { exitCode: number };
      finish(() => resolveExit(code));
    } else if (channel === Channel.error) {
      const e = (JSON.parse(payload.toString("utf8")) as { error?: { code?: string; message?: string } })
        .error;
      finish(() => rejectExit(new UpgradeRefused(e?.code ?? "internal", e?.message ?? "exec failed", 500)));
    }
  });
  socket.on("data", (d: Buffer) => {
    try {
      reader.push(d);
    } catch (err) {
      socket.destroy(err as Error);
    }
  });
  const lost = () =>
    finish(() => rejectExit(new RuntimeError(`exec in pod ${pod}: connection to the mk server closed`)));
  socket.on("close", lost);
  socket.on("error", lost);
  const stdin = req.stdin
    ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          socket.write(frame(Channel.stdin, chunk), cb);
        },
        final(cb) {
          socket.write(frame(Channel.stdinEof), () => cb());
        },
      })
    : undefined;
  return {
    stdout,
    stderr,
    stdin,
    resize: async (rows, cols) => {
      socket.write(frame(Channel.resize, JSON.stringify({ rows, cols })));
    },
    exitCode,
    close: () => socket.destroy(),
  };
}

export function remoteDial(base: string, pod: string, port: number, opts?: UpgradeOptions): Promise<Duplex> {
  return upgrade(
    base,
    `/api/v1/pods/${encodeURIComponent(pod)}/portforward?port=${port}`,
    PORT_FORWARD_PROTOCOL,
    opts,
  );
}
