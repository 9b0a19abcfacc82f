// podExec() and podDial(): a command in a pod's running container (docker exec through the node's
// Docker, over its SSH tunnel for a remote node), and a TCP connection to a pod's port as seen from
// its node (direct-tcpip through the tunnel; for the local node, the container's bridge address).
import type { Duplex } from "node:stream";
import { InvalidInputError } from "../lib/errors.ts";
import type { ExecSession } from "../runtime/runtime.ts";
import type { Store } from "../store/store.ts";
import {
  chooseContainer,
  containerRuns,
  findScheduledPod,
  type NodeOpener,
  waitingReason,
} from "./pod-target.ts";

export interface ExecRequest {
  container?: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
}

export async function podExec(
  store: Store,
  pod: string,
  req: ExecRequest,
  open: NodeOpener,
): Promise<ExecSession> {
  if (req.cmd.length === 0)
    throw new InvalidInputError("exec needs a command: mk exec POD -- COMMAND [ARGS...]");
  const t = findScheduledPod(store, pod, "cannot run commands");
  const name = chooseContainer(t, req.container);
  const lease = await open(t.node);
  try {
    const { current } = await containerRuns(lease.conn, t, name);
    if (current?.state !== "running") {
      throw new InvalidInputError(
        current
          ? `cannot exec in container "${name}" of pod "${pod}": it is ${current.state}, not running`
          : waitingReason(store, t, name),
      );
    }
    const session = await lease.conn.runtime.execStream(current.id, {
      cmd: req.cmd,
      tty: req.tty,
      stdin: req.stdin,
    });
    session.exitCode.then(
      () => lease.release(),
      () => lease.release(),
    );
    return session;
  } catch (err) {
    lease.release();
    throw err;
  }
}

/** Opens a TCP connection to the pod's port from its node. */
export async function podDial(store: Store, pod: string, port: number, open: NodeOpener): Promise<Duplex> {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidInputError(`port ${port}: expected 1..65535`);
  const t = findScheduledPod(store, pod, "cannot forward ports");
  if (t.row.phase !== "Running") {
    throw new InvalidInputError(
      `unable to forward port because pod "${pod}" is not running: current status=${t.row.reason ?? t.row.phase}`,
    );
  }
  // No pod sandbox: each container has its own address. The one that declares the port, else any.
  const declared = t.spec.containers.find((c) => c.ports.some((p) => p.containerPort === port));
  const order = [...(declared ? [declared] : []), ...t.spec.containers.filter((c) => c !== declared)];
  const lease = await open(t.node);
  try {
    let ip: string | null = null;
    for (const c of order) {
      const { current } = await containerRuns(lease.conn, t, c.name);
      if (current?.state === "running" && current.ip) {
        ip = current.ip;
        break;
      }
    }
    if (!ip)
      throw new InvalidInputError(
        `unable to forward port: pod "${pod}" has no running container with an address`,
      );
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 10_000);
    let socket: Duplex;
    try {
      socket = await lease.conn.dial(ip, port, ctl.signal);
    } catch (err) {
      throw new InvalidInputError(
        `unable to connect to pod "${pod}" port ${port} (${ip}) from node ${t.node.name}: ${(err as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
    }
    socket.once("close", () => lease.release());
    return socket;
  } catch (err) {
    lease.release();
    throw err;
  }
}
