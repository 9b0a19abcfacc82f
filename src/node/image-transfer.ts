// Image distribution without a registry: `docker save` on the controller's engine piped into
// `docker load` on the node, through the node's SSH tunnel. One transfer per image and node at a
// time; concurrent requests for the same image share it.
import { PassThrough } from "node:stream";
import type { ContainerRuntime } from "../runtime/runtime.ts";

export function imageTransfer(source: ContainerRuntime, target: ContainerRuntime, node: string) {
  const inFlight = new Map<string, Promise<string | undefined>>();
  return (ref: string): Promise<string | undefined> => {
    const running = inFlight.get(ref);
    if (running) return running;
    const p = (async () => {
      if (!(await source.hasImage(ref))) return undefined;
      const t0 = performance.now();
      const tar = await source.saveImage(ref);
      let bytes = 0;
      const counter = new PassThrough();
      counter.on("data", (d: Buffer) => {
        bytes += d.length;
      });
      tar.pipe(counter);
      await target.loadImage(counter);
      const secs = (performance.now() - t0) / 1000;
      return `Copied image "${ref}" from the controller's engine to node ${node}: ${(bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(2)}s`;
    })().finally(() => inFlight.delete(ref));
    inFlight.set(ref, p);
    return p;
  };
}
