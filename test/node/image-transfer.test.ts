// imageTransfer() with in-memory engines whose save and load can break, stall or refuse: every
// failure ends the transfer on both sides, is reported, and leaves nothing running.
import assert from "node:assert/strict";
import { PassThrough, type Readable } from "node:stream";
import { test } from "node:test";
import { imageTransfer } from "../../src/node/image-transfer.ts";
import { FakeRuntime } from "../../src/runtime/fake.ts";

const IMG = "mk.local/app:1";

/** A source whose save stream is chosen per test, remembering every stream it handed out. */
class Source extends FakeRuntime {
  saves = 0;
  streams: Readable[] = [];
  constructor(private readonly make: (n: number) => Readable) {
    super();
    this.images.add(IMG);
  }
  override async saveImage(): Promise<Readable> {
    const s = this.make(this.saves++);
    this.streams.push(s);
    return s;
  }
}

/** A target that records the signal its load got and whether the load ended. */
class Target extends FakeRuntime {
  signals: AbortSignal[] = [];
  loadsEnded = 0;
  override async loadImage(tar: Readable, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (opts.signal) this.signals.push(opts.signal);
    try {
      await super.loadImage(tar, opts);
    } finally {
      this.loadsEnded++;
    }
  }
}

const good = () => {
  const s = new PassThrough();
  s.end(`fake image ${IMG}\n`);
  return s;
};

test("imageTransfer() copies an image and shares one transfer between concurrent callers", async () => {
  const src = new Source(good);
  const dst = new Target();
  const copy = imageTransfer(src, dst, "n1");
  const [a, b] = await Promise.all([copy(IMG), copy(IMG)]);
  assert.match(
    a ?? "",
    /^Copied image "mk.local\/app:1" from the controller's engine to node n1: 0\.0 MB in /,
  );
  assert.equal(a, b);
  assert.equal(src.saves, 1, "one save for both");
  assert.ok(dst.images.has(IMG));
  assert.equal(copy.inFlight(), 0);
  assert.equal(await copy("mk.local/missing:1"), undefined, "an image the controller lacks: nothing to copy");
});

test("imageTransfer() aborts the load when docker save breaks, and the next call starts afresh", async () => {
  const src = new Source((n) => {
    if (n > 0) return good();
    const s = new PassThrough();
    s.write("half a tar");
    setTimeout(() => s.destroy(new Error("unexpected EOF from the engine")), 20);
    return s;
  });
  const dst = new Target();
  const copy = imageTransfer(src, dst, "n1");
  await assert.rejects(
    copy(IMG),
    /^RuntimeError: Cannot copy image "mk.local\/app:1" to node n1: docker save failed: unexpected EOF/,
  );
  assert.equal(dst.signals[0]?.aborted, true, "the load was told");
  assert.equal(dst.loadsEnded, 1, "the load ended too");
  assert.equal(copy.inFlight(), 0, "the failed transfer is not handed to the next create");
  assert.match((await copy(IMG)) ?? "", /^Copied image/);
  assert.equal(src.saves, 2);
});

test("imageTransfer() stops the save when docker load fails", async () => {
  const src = new Source(() => {
    const s = new PassThrough();
    const timer = setInterval(() => s.write(Buffer.alloc(1024)), 5);
    s.on("close", () => clearInterval(timer));
    return s;
  });
  const dst = new Target();
  dst.fail.set("load", "no space left on device");
  const copy = imageTransfer(src, dst, "n1");
  await assert.rejects(
    copy(IMG),
    /Cannot copy image "mk.local\/app:1" to node n1: docker load failed: no space left on device/,
  );
  assert.equal(src.streams[0]?.destroyed, true, "the save stream was closed");
});

test("imageTransfer() gives up on a save that stalls, and on one that runs too long", async () => {
  const stalled = new Source(() => new PassThrough()); // never sends a byte
  const dst = new Target();
  const t0 = Date.now();
  await assert.rejects(
    imageTransfer(stalled, dst, "n1", { stallMs: 150 })(IMG),
    /Cannot copy image "mk.local\/app:1" to node n1: no data for 0.15s after 0 bytes/,
  );
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(stalled.streams[0]?.destroyed, true);
  assert.equal(dst.signals[0]?.aborted, true);

  const slow = new Source(() => {
    const s = new PassThrough();
    const timer = setInterval(() => s.write("x"), 10);
    s.on("close", () => clearInterval(timer));
    return s;
  });
  await assert.rejects(
    imageTransfer(slow, new Target(), "n1", { stallMs: 1000, timeoutMs: 200 })(IMG),
    /to node n1: timed out after 0.2s/,
  );
  assert.equal(slow.streams[0]?.destroyed, true);
});

test("imageTransfer() fails when the save cannot even start, and never hangs on it", async () => {
  const src = new Source(good);
  src.saveImage = () => new Promise<Readable>(() => undefined); // an engine that never answers
  await assert.rejects(imageTransfer(src, new Target(), "n1", { stallMs: 100 })(IMG), /no data for 0.1s/);
});
