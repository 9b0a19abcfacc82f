// The node agent under many graceful stops (real Docker): pods waiting out their grace period
// hold no slot, so a crashed pod on the same node is restarted at once, and N pods being deleted
// are gone after one grace period, not N/8 of them.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, IMAGE, requireDocker, Sandbox, waitFor } from "./harness.ts";

const GRACE_S = 10;

let box: Sandbox;
let url = "";

before(async () => {
  await requireDocker();
  box = new Sandbox();
  url = (await box.server(["--resync", "1s"])).url;
});
after(async () => {
  await box?.cleanup();
});

async function apply(name: string, yaml: string): Promise<void> {
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  await box.ok(["apply", "-f", file, "--server", url, "--timeout", "90s"]);
}

async function running(filter: Record<string, string>) {
  return (await box.containers(filter)).filter((c) => c.State === "running");
}

test("agent restarts a killed pod within 3 s while 12 pods wait out a 10 s grace period, and the 12 are gone after one grace period", async () => {
  await apply(
    "stubborn",
    `apiVersion: mk/v1
kind: PodSet
metadata: { name: stubborn }
spec:
  replicas: 12
  selector: { matchLabels: { app: stubborn } }
  template:
    metadata: { labels: { app: stubborn } }
    spec:
      terminationGracePeriodSeconds: ${GRACE_S}
      containers:
        - name: main
          image: ${IMAGE}
          command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
`,
  );
  await apply(
    "victim",
    `apiVersion: mk/v1
kind: Pod
metadata: { name: victim }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sleep", "3600"]
`,
  );
  const first = await running({ "mk.owner": "stubborn" });
  assert.equal(first.length, 12, first.map((c) => `${c.Names[0]} ${c.Labels["mk.pod"]}`).join("\n"));
  const [victim] = await running({ "mk.pod": "victim" });
  assert.ok(victim, "victim runs");

  const t0 = Date.now();
  await box.ok(["delete", "podset", "stubborn", "--server", url, "--no-wait"]);
  // All 12 are in their grace period (SIGTERM ignored) before the kill.
  await waitFor(
    async () => {
      const pods = await box.json<{ owner: { name: string }; deletionRequestedAt: string | null }[]>([
        "get",
        "pods",
        "--server",
        url,
      ]);
      const mine = pods.filter((p) => p.owner.name === "stubborn");
      return mine.length === 12 && mine.every((p) => p.deletionRequestedAt !== null);
    },
    5_000,
    "12 pods terminating",
  );
  await new Promise((r) => setTimeout(r, 1000)); // the stops are under way

  const killedAt = Date.now();
  await docker.getContainer(victim.Id).kill();
  const back = await waitFor(
    async () => {
      const list = await running({ "mk.pod": "victim" });
      const c = list[0] ? await docker.getContainer(list[0].Id).inspect() : undefined;
      return c && Date.parse(c.State.StartedAt) > killedAt ? Date.now() : false;
    },
    GRACE_S * 1000,
    "victim restarted",
  );
  const restartMs = back - killedAt;
  assert.ok(restartMs < 3000, `victim back after ${restartMs} ms (want < 3 s)`);
  // The 12 were still in their grace period when the victim came back: the test measured what it says.
  assert.ok((await running({ "mk.owner": "stubborn" })).length > 0, "stubborn pods still terminating");

  await waitFor(
    async () => (await box.containers({ "mk.owner": "stubborn" })).length === 0,
    (GRACE_S + 10) * 1000,
    "the 12 stubborn pods removed",
  );
  const goneMs = Date.now() - t0;
  assert.ok(goneMs < (GRACE_S + 5) * 1000, `12 pods gone after ${goneMs} ms (want < ${GRACE_S + 5} s)`);
});
