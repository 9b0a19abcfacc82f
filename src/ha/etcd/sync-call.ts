// The etcd worker thread. Two jobs that must not wait for the main thread:
//  - synchronous calls: the calling thread blocks (Atomics.wait) while the worker does the HTTP
//    request. This is what lets Store.commit stay synchronous in HA mode — a batch of mutations is
//    written to the etcd log inside the SQLite transaction that applies it, so every existing
//    read-modify-write (apply, scale, the controller's passes) keeps its atomicity and no caller
//    changes. The price is the event loop waiting one etcd round trip per commit (measured in
//    docs/benchmarks.md); the wait is bounded by the call's deadline.
//  - the session lease's keepalive: renewed every retry period from this thread, so a main thread
//    busy with commits never starves its own lease. The time of the last successful renewal (when
//    it was sent) and a lost flag are shared memory the main thread reads without waiting.
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { EtcdUnavailableError, parseAnswer } from "./gateway.ts";

// Plain JS, evaluated as the worker's script: no file to find inside the single executable.
const WORKER = `
const { parentPort } = require("node:worker_threads");
let first = 0;
async function post(endpoints, path, body, timeoutMs, retryOnTimeout) {
  const deadline = Date.now() + timeoutMs;
  const errors = [];
  for (let k = 0; k < endpoints.length; k++) {
    const i = (first + k) % endpoints.length;
    const left = deadline - Date.now();
    if (left <= 0) break;
    const share = k === endpoints.length - 1 || !retryOnTimeout ? left : Math.max(Math.min(left, 500), Math.floor(left / (endpoints.length - k)));
    try {
      const res = await fetch(endpoints[i] + path, {
        method: "POST", body, headers: { "content-type": "application/json" },
        signal: AbortSignal.timeout(share),
      });
      const out = { status: res.status, text: await res.text(), endpoint: i };
      first = i;
      return out;
    } catch (err) {
      const timedOut = err && err.name === "TimeoutError";
      errors.push(endpoints[i] + ": " + (timedOut ? "timed out" : ((err.cause && (err.cause.code || err.cause.message)) || err.message)));
      // A write that timed out may have happened: never send it again elsewhere; but the next
      // call starts at the next member (this one may be partitioned or stalled).
      if (timedOut && !retryOnTimeout) {
        first = (i + 1) % endpoints.length;
        break;
      }
    }
  }
  return { error: errors.join("; ") || "deadline passed" };
}
let ka = null;
let kaRunning = false;
async function keepalive() {
  kaRunning = true;
  while (ka) {
    const cur = ka;
    const sentAt = Date.now();
    const r = await post(cur.endpoints, "/v3/lease/keepalive", JSON.stringify({ ID: cur.lease }), cur.timeoutMs, true);
    if (ka === cur && r.text !== undefined) {
      try {
        const j = JSON.parse(r.text);
        const ttl = Number((j.result && j.result.TTL) || 0);
        if (r.status === 200 && ttl > 0) cur.state[0] = sentAt;
        else if (r.status === 200) cur.state[1] = 1;
      } catch {}
    }
    const wait = Math.max(0, cur.intervalMs - (Date.now() - sentAt));
    await new Promise((res) => setTimeout(res, wait));
  }
  kaRunning = false;
}
parentPort.on("message", async (m) => {
  if (m.type === "keepalive") {
    ka = m.lease ? { ...m, state: new Float64Array(m.state) } : null;
    if (ka && !kaRunning) keepalive();
    return;
  }
  const out = await post(m.endpoints, m.path, m.body, m.timeoutMs, false);
  m.port.postMessage(out);
  const f = new Int32Array(m.flag);
  Atomics.store(f, 0, 1);
  Atomics.notify(f, 0);
});
`;

export interface KeepaliveState {
  /** When the last successful renewal was sent (ms), 0 before the first. */
  lastOk: number;
  /** etcd answered that the lease is gone. */
  lost: boolean;
}

export class SyncCaller {
  private worker: Worker | undefined;
  private ka: { lease: string; state: Float64Array } | undefined;

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
        type: "call",
        endpoints: this.endpoints,
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
    return parseAnswer<T>(msg.status, msg.text);
  }

  /** Keeps `lease` alive from the worker every `intervalMs` (each try bounded by `timeoutMs`). */
  keepalive(lease: string, since: number, intervalMs: number, timeoutMs: number): void {
    if (this.ka?.lease === lease) return;
    const shared = new SharedArrayBuffer(16);
    const state = new Float64Array(shared);
    state[0] = since;
    this.ka = { lease, state };
    this.start().postMessage({
      type: "keepalive",
      lease,
      state: shared,
      endpoints: this.endpoints,
      intervalMs,
      timeoutMs,
    });
  }

  stopKeepalive(): void {
    this.ka = undefined;
    this.worker?.postMessage({ type: "keepalive", lease: null });
  }

  keepaliveState(): KeepaliveState {
    const s = this.ka?.state;
    return { lastOk: s?.[0] ?? 0, lost: (s?.[1] ?? 0) === 1 };
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
