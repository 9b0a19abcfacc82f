// imageTransfer() between two real Docker API clients (the local engine on both sides: a load of
// an image the engine already has is a real, idempotent `docker load`). A save cut off half way
// must abort the real load's upload and fail fast, leaving no request open.
import assert from "node:assert/strict";
import { Transform } from "node:stream";
import { before, test } from "node:test";
import { imageTransfer } from "../../src/node/image-transfer.ts";
import { DockerRuntime } from "../../src/runtime/docker.ts";
import { IMAGE, requireDocker } from "./harness.ts";

before(requireDocker);

test("imageTransfer() copies mk.local/busybox:1 through real docker save and docker load", async () => {
  const source = new DockerRuntime({ socketPath: "/var/run/docker.sock" }, "controller");
  const target = new DockerRuntime({ socketPath: "/var/run/docker.sock" }, "node n1");
  const msg = await imageTransfer(source, target, "n1")(IMAGE);
  assert.match(
    msg ?? "",
    /^Copied image "mk.local\/busybox:1" from the controller's engine to node n1: \d+\.\d MB in /,
  );
  assert.ok(Number(/: (\d+\.\d) MB/.exec(msg ?? "")?.[1]) > 0.5, msg);
});

test("imageTransfer() fails fast and aborts the real load when the save breaks half way", async () => {
  const source = new DockerRuntime({ socketPath: "/var/run/docker.sock" }, "controller");
  const real = source.saveImage.bind(source);
  let sent = 0;
  source.saveImage = async (ref) => {
    const tar = await real(ref);
    const cut = new Transform({
      transform(chunk: Buffer, _e, done) {
        sent += chunk.length;
        if (sent > 256 * 1024) done(new Error("engine connection reset"));
        else done(null, chunk);
      },
    });
    tar.on("error", (e) => cut.destroy(e));
    return tar.pipe(cut);
  };
  const target = new DockerRuntime({ socketPath: "/var/run/docker.sock" }, "node n1");
  let loadSignal: AbortSignal | undefined;
  let loadSettled = false;
  const realLoad = target.loadImage.bind(target);
  target.loadImage = (tar, opts) => {
    loadSignal = opts?.signal;
    return realLoad(tar, opts).finally(() => {
      loadSettled = true;
    });
  };
  const t0 = Date.now();
  await assert.rejects(
    imageTransfer(source, target, "n1")(IMAGE),
    /^RuntimeError: Cannot copy image "mk.local\/busybox:1" to node n1: docker save failed: engine connection reset/,
  );
  assert.ok(Date.now() - t0 < 10_000, "no hang");
  assert.equal(loadSignal?.aborted, true);
  for (let i = 0; i < 50 && !loadSettled; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(loadSettled, true, "the real load request ended too");
});
