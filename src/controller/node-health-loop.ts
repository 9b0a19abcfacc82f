// The leader's node-health loop: observes heartbeats every 200 ms and notices its own stalls.
import { sleep } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { NodeRow } from "../store/rows.ts";
import type { NodeHealth } from "./node-health.ts";

const TICK_MS = 200;

/**
 * Ticks `health` every 200 ms until `signal` aborts; a late tick means this process stalled, and
 * every node gets a fresh grace period. Heartbeats do not wake the controller (they are not its
 * input), so they are observed here, every tick: observed only at controller passes (every resync,
 * up to 5 s apart), a crashed node's last heartbeat would be seen late and its grace period would
 * run from then. A failed read is logged and the loop goes on.
 */
export async function nodeHealthLoop(
  health: NodeHealth,
  readNodes: () => readonly NodeRow[],
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  health.tick();
  while (!signal.aborted) {
    await sleep(TICK_MS, signal);
    try {
      health.observe(readNodes());
    } catch (err) {
      log.error(`node health failed: ${errorMessage(err)}`, { event: "node health" });
    }
    const gap = health.tick();
    if (gap > 0)
      log.warn(
        `The controller stalled for ${Math.round(gap)} ms: every node gets a fresh grace period before any eviction`,
        { event: "stall" },
      );
  }
}
