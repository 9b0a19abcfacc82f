// mk port-forward POD [LOCAL:]REMOTE... [--address 127.0.0.1]: listens here; each connection goes
// to the pod's port as seen from its node (through the server, or straight to the node's Docker
// host: its bridge, or direct-tcpip over its SSH tunnel). Runs until interrupted.
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { errorMessage, UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { parsePodArg, resolvePod } from "../pod-of.ts";

export interface PortPair {
  /** 0: any free port. */
  local: number;
  remote: number;
}

function port(s: string, what: string, arg: string, allowZero = false): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n > 65535 || (n === 0 && !allowZero))
    throw new UsageError(`port-forward ${arg}: ${what} port must be 1..65535`);
  return n;
}

/** `8080`, `8080:80`, `:80` (a random local port). */
export function parsePortPair(arg: string): PortPair {
  const m = /^(\d*):(\d+)$/.exec(arg);
  if (m) {
    return {
      local: m[1] === "" ? 0 : port(m[1] ?? "", "local", arg, true),
      remote: port(m[2] ?? "", "remote", arg),
    };
  }
  const remote = port(arg, "remote", arg);
  return { local: remote, remote };
}

export async function runPortForward(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  parsePodArg(args[0], "port-forward");
  const pairs = args.slice(1).map(parsePortPair);
  if (pairs.length === 0)
    throw new UsageError("mk port-forward needs at least one port: POD [LOCAL:]REMOTE ...");
  const addresses = String(opts.address ?? "127.0.0.1")
    .split(",")
    .map((a) => (a.trim() === "localhost" ? "127.0.0.1" : a.trim()))
    .filter(Boolean);
  const api = await ctx.api();
  const servers: Server[] = [];
  try {
    const pod = await resolvePod(api, args[0], "port-forward");
    const view = await api.pod(pod);
    if (view.phase !== "Running")
      throw new UsageError(
        `unable to forward port because pod "${pod}" is not running: current status=${view.status}`,
      );
    for (const pair of pairs) {
      for (const address of addresses) {
        const server = createServer((client) => {
          ctx.out(`Handling connection for ${pair.local}`);
          client.on("error", () => undefined);
          api.dial(pod, pair.remote).then(
            (upstream) => {
              upstream.on("error", () => client.destroy());
              client.on("close", () => upstream.destroy());
              upstream.on("close", () => client.destroy());
              client.pipe(upstream);
              upstream.pipe(client);
            },
            (err: unknown) => {
              process.stderr.write(
                `error: forwarding port ${pair.remote} of pod ${pod}: ${errorMessage(err)}\n`,
              );
              client.destroy();
            },
          );
        });
        server.listen(pair.local, address);
        await Promise.race([
          once(server, "listening"),
          once(server, "error").then(([err]) => {
            throw new UsageError(`Cannot listen on ${address}:${pair.local}: ${errorMessage(err)}`);
          }),
        ]);
        servers.push(server);
        const addr = server.address();
        const local = typeof addr === "object" && addr ? addr.port : pair.local;
        // The first random port found is reused for the other addresses of the pair.
        if (pair.local === 0) pair.local = local;
        ctx.out(
          `Forwarding from ${address.includes(":") ? `[${address}]` : address}:${local} -> ${pair.remote}`,
        );
      }
    }
    const stop = new AbortController();
    const onSig = () => stop.abort();
    process.once("SIGINT", onSig);
    process.once("SIGTERM", onSig);
    await once(stop.signal, "abort");
    return 0;
  } finally {
    for (const s of servers) s.close();
    api.close();
  }
}
