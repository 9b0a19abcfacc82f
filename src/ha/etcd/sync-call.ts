// A synchronous etcd call: the calling thread blocks (Atomics.wait) while a worker thread does the
// HTTP request. This is what lets Store.commit stay synchronous in HA mode — a batch of mutations
// is written to the etcd log inside the SQLite transaction that applies it, so every existing
// read-modify-write (apply, scale, the controller's passes) keeps its atomicity and no caller
// changes. The price is the event loop waiting one etcd round trip per commit (bench/ha-failover.ts
// measures it); the wait is bounded by the call's deadline.
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { EtcdUnavailableError, parseAnswer } from "./gateway.ts";

// Plain JS, evaluated as the worker's script: no file to find inside the single executable.
const WORKER = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", async ({ endpoints, first, path, body, timeoutMs, port, flag }) => {
  const deadline = Date.now() + timeoutMs;
  const errors = [];
  let out;
  for (let k = 0; k < endpoints.length && !out; k++) {
    const i = (first + k) % endpoints.length;
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      const res = await fetch(endpoints[i] + path, {
        method: "POST", body, headers: { "content-type": "application/json" },
        signal: AbortSignal.timeout(left),
      });
      out = { status: res.status, text: await res.text(), endpoint: i };
    } catch (err) {
      const timedOut = err && err.name === "TimeoutError";
      errors.push(endpoints[i] + ": " + (timedOut ? "timed out" : ((err.cause && (err.cause.code || err.cause.message)) || err.message)));
      // A write that timed out may have happened: never send it again elsewhere.
      if (timedOut) break;
    }
  }
  port.postMessage(out || { error: errors.join("; ") || "deadline passed" });
  const f = new Int32Array(flag);
  Atomics.store(f, 0, 1);
  Atomics.notify(f, 0);
});
`;

export class SyncCaller {
  private worker: Worker | undefined;
  private first = 0;

  constructor(
    readonly endpoints: string[],
    readonly timeoutMs = 2000,
  ) {}

  private start(): Worker {
    if (!this.worker) {
      this.worker = new Worker(WORKER, { eval: true });
      this.worker.unref();
    }
    return this.worker;
  }

  /** POSTs `body` to `path`, blocking until the answer or the deadline; throws like Gateway.call. */
  call<T>(path: string, body: unknown, timeoutMs = this.timeoutMs): T {
    const worker = this.start();
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    worker.postMessage(
      {
        endpoints: this.endpoints,
        first: this.first,
        path,
        body: JSON.stringify(body),
        timeoutMs,
        port: port2,
        flag,
      },
      [port2],
    );
    const waited = Atomics.wait(new Int32Array(flag), 0, 0, timeoutMs + 1000);
    const msg = receiveMessageOnPort(port1)?.message as
      | { status: number; text: string; endpoint: number }
      | { error: string }
      | undefined;
    port1.close();
    if (waited === "timed-out" || !msg)
      throw new EtcdUnavailableError("etcd unavailable (no answer in time)");
    if ("error" in msg) throw new EtcdUnavailableError(`etcd unavailable (${msg.error})`);
    this.first = msg.endpoint;
    return parseAnswer<T>(msg.status, msg.text);
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
