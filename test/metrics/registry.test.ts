import assert from "node:assert/strict";
import { test } from "node:test";
import { ACTION_TYPES, Metrics, PROBE_KINDS, RESTART_REASONS } from "../../src/metrics/registry.ts";
import { Store } from "../../src/store/store.ts";

test("Metrics exports every labelled counter at 0 for its known label values before any increment", async () => {
  const store = Store.open(":memory:");
  const m = new Metrics(store);
  const text = await m.registry.metrics();
  for (const reason of RESTART_REASONS)
    assert.match(text, new RegExp(`^mk_pod_restarts_total\\{reason="${reason}"\\} 0$`, "m"));
  for (const probe of PROBE_KINDS)
    assert.match(text, new RegExp(`^mk_probe_failures_total\\{probe="${probe}"\\} 0$`, "m"));
  for (const action of ACTION_TYPES)
    for (const result of ["success", "failure"])
      assert.match(
        text,
        new RegExp(`^mk_reconcile_actions_total\\{action="${action}",result="${result}"\\} 0$`, "m"),
      );
  assert.match(text, /^mk_pods_created_total 0$/m);
  m.probeFailures.inc({ probe: "liveness" });
  assert.match(await m.registry.metrics(), /^mk_probe_failures_total\{probe="liveness"\} 1$/m);
  store.close();
});
