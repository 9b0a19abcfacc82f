// The server's upgraded routes, like Docker's own attach: after `101 Switching Protocols` the
// connection carries an exec session (mk-exec frames, see exec-frames.ts) or, for port-forward,
// the raw bytes of one TCP connection to the pod's port (mk-portforward).
//   POST /api/v1/pods/:name/exec?container=&tty=1&stdin=1&command=sh&command=-c&command=...
//   POST /api/v1/pods/:name/portforward?port=8080
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { InvalidInputError, NotFoundError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { Channel, EXEC_PROTOCOL, FrameReader, frame, PORT_FORWARD_PROTOCOL } from "./exec-frames.ts";
import { errorResponse } from "./server.ts";
import type { MkApi } from "./types.ts";

/** Answers an upgrade request with the JSON error response every other route gives. */
export function refuseUpgrade(socket: Duplex, err: unknown): void {
  const { status, body } = errorResponse(err);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} Error\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

function switchTo(socket: Duplex, protocol: string): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${protocol}\r\nconnection: Upgrade\r\n\r\n`);
}

/** Handles the server's `upgrade` event; true when the route was one of these. */
export function handleUpgrade(
  api: MkApi,
  log: Logger,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://mk");
  } catch {
    refuseUpgrade(socket, new InvalidInputError(`Bad request URL ${JSON.stringify(req.url)}`));
    return;
  }
  const m = /^\/api\/v1\/pods\/([^/]+)\/(exec|portforward)$/.exec(url.pathname);
  const protocol = String(req.headers.upgrade ?? "").toLowerCase();
  if (!m || req.method !== "POST") {
    refuseUpgrade(socket, new NotFoundError("route", url.pathname));
    return;
  }
  const pod = decodeURIComponent(m[1] ?? "");
  socket.on("error", () => undefined); // a client gone mid-session is not the server's failure
  if (m[2] === "exec") {
    if (protocol !== EXEC_PROTOCOL) {
      refuseUpgrade(socket, new InvalidInputError(`exec needs "Upgrade: ${EXEC_PROTOCOL}"`));
      return;
    }
    void serveExec(api, log, pod, url.searchParams, socket, head);
  } else {
    if (protocol !== PORT_FORWARD_PROTOCOL) {
      refuseUpgrade(socket, new InvalidInputError(`portforward needs "Upgrade: ${PORT_FORWARD_PROTOCOL}"`));
      return;
    }
    void servePortForward(api, pod, url.searchParams, socket, head);
  }
}

function flag(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  return v === "1" || v === "true";
}

async function serveExec(
  api: MkApi,
  log: Logger,
  pod: string,
  q: URLSearchParams,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  let session: Awaited<ReturnType<MkApi["exec"]>>;
  try {
    const container = q.get("container");
    session = await api.exec(pod, {
      ...(container ? { container } : {}),
      cmd: q.getAll("command"),
      tty: flag(q, "tty"),
      stdin: flag(q, "stdin"),
    });
  } catch (err) {
    refuseUpgrade(socket, err);
    return;
  }
  switchTo(socket, EXEC_PROTOCOL);
  const reader = new FrameReader((channel, payload) => {
    if (channel === Channel.stdin) session.stdin?.write(payload);
    else if (channel === Channel.stdinEof) session.stdin?.end();
    else if (channel === Channel.resize) {
      try {
        const { rows, cols } = JSON.parse(payload.toString("utf8")) as { rows?: unknown; cols?: unknown };
        if (typeof rows === "number" && typeof cols === "number") void session.resize(rows, cols);
      } catch {
        // a bad resize frame changes nothing
      }
    }
  });
  const onData = (d: Buffer) => {
    try {
      reader.push(d);
    } catch (err) {
      log.warn(`exec in pod ${pod}: ${(err as Error).message}`, { event: "exec" });
      socket.destroy();
    }
  };
  if (head.length) onData(head);
  socket.on("data", onData);
  socket.on("close", () => session.close());
  session.stdout.on("data", (d: Buffer) => socket.write(frame(Channel.stdout, d)));
  session.stderr.on("data", (d: Buffer) => socket.write(frame(Channel.stderr, d)));
  const drained = Promise.all([
    new Promise((r) => session.stdout.once("end", r)),
    new Promise((r) => session.stderr.once("end", r)),
  ]);
  try {
    const exitCode = await session.exitCode;
    await drained;
    socket.end(frame(Channel.exit, JSON.stringify({ exitCode })));
  } catch (err) {
    socket.end(frame(Channel.error, JSON.stringify(errorResponse(err).body)));
  }
}

async function servePortForward(
  api: MkApi,
  pod: string,
  q: URLSearchParams,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  let target: Duplex;
  try {
    const port = Number(q.get("port"));
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidInputError(`Query parameter port=${q.get("port")}: expected 1..65535`);
    target = await api.dial(pod, port);
  } catch (err) {
    refuseUpgrade(socket, err);
    return;
  }
  switchTo(socket, PORT_FORWARD_PROTOCOL);
  if (head.length) target.write(head);
  socket.pipe(target);
  target.pipe(socket);
  const close = () => {
    socket.destroy();
    target.destroy();
  };
  socket.on("close", close);
  target.on("close", close);
  target.on("error", close);
}
