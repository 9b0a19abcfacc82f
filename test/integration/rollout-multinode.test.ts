// A rolling update across two lab hosts (network namespaces with their own dockerd and sshd,
// reached over SSH) when one host dies mid-rollout: the dead host's pods are replaced on the
// other by pods of the new revision, the surge bound holds at every sample, and the rollout ends
// with every running container on the new template. Run under the lab lock:
//   flock /tmp/mk-lab.lock bash scripts/test.sh test/integration/rollout-multinode.test.ts
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { addLabNodes, IMAGE, requireDocker, Sandbox, waitFor } from "./harness.ts";
import { LAB_ENV as ENV, lab, nodeDocker } from "./lab-hosts.ts";

interface PodJson {
  name: string;
  node: string | null;
  owner: { kind: string; name: string };
  deletionRequestedAt: string | null;
  ready: boolean;
  labels: Record<string, string>;
}

let box: Sandbox;
let url = "";
let serverLogs: () => string = () => "";

before(async () => {
  assert.equal(process.getuid?.(), 0, "the multi-node lab needs root");
  await requireDocker();
  await lab("nodes-up.sh", "2");
});

after(async () => {
  await box?.cleanup();
  await lab("nodes-down.sh");
});

function podSet(version: string): string {
  return `apiVersion: mk/v1
kind: PodSet
metadata: { name: web }
spec:
  replicas: 4
  minReadySeconds: 1
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web, version: "${version}" } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${IMAGE}
          command: ["sh", "-c", "sleep 2; exec httpd -f -p 80 -h /www"]
          env: [{ name: VERSION, value: "${version}" }]
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1, timeoutSeconds: 3 }
`;
}

async function pods(): Promise<PodJson[]> {
  const r = await fetch(`${url}/api/v1/pods`);
  return ((await r.json()) as PodJson[]).filter((p) => p.owner.name === "web");
}

async function versionsOn(i: number): Promise<string[]> {
  const d = nodeDocker(i);
  const list = await d.listContainers({ filters: { label: ["mk.owner=web"] } });
  return Promise.all(
    list.map(async (c) => {
      const env = (await d.getContainer(c.Id).inspect()).Config.Env ?? [];
      return env.find((e) => e.startsWith("VERSION="))?.slice(8) ?? "?";
    }),
  );
}

test("a node killed mid-rollout: its pods come back on the other node as the new revision, the surge bound held", async () => {
  box = new Sandbox();
  const server = await box.server(["--lease", "3s", "--no-local-node", "--resync", "1s"], ENV);
  url = server.url;
  serverLogs = server.logs;
  server.proc.on("exit", (code, sig) =>
    console.error(`mk server exited ${code} ${sig}:\n${serverLogs().split("\n").slice(-40).join("\n")}`),
  );
  await addLabNodes(box, url, ENV);
  const file = join(box.dir, "web.yaml");
  writeFileSync(file, podSet("1"));
  await box.ok(["apply", "-f", file, "--server", url, "--timeout", "90s"]);
  await waitFor(async () => (await pods()).filter((p) => p.ready).length === 4, 60_000, "v1 ready");

  let sampling = true;
  const over: string[] = [];
  const sampler = (async () => {
    while (sampling) {
      const alive = (await pods().catch(() => [])).filter((p) => !p.deletionRequestedAt);
      if (alive.length > 5) over.push(`${alive.length} pods > 4 + 1`);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  writeFileSync(file, podSet("2"));
  await box.ok(["apply", "-f", file, "--server", url, "--no-wait"]);
  await waitFor(async () => (await pods()).some((p) => p.labels.version === "2"), 30_000, "rollout started");
  await lab("node-kill.sh", "1");

  const r = await box.mk(["rollout", "status", "podset/web", "--server", url, "--timeout", "120s"], {
    timeoutMs: 150_000,
  });
  sampling = false;
  await sampler;
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(over, [], "surge bound");
  const live = (await pods()).filter((p) => !p.deletionRequestedAt);
  assert.equal(live.length, 4);
  assert.ok(
    live.every((p) => p.node === "n2" && p.labels.version === "2"),
    JSON.stringify(live),
  );
  await waitFor(async () => (await versionsOn(2)).length === 4, 30_000, "4 containers on n2");
  assert.deepEqual(await versionsOn(2), ["2", "2", "2", "2"]);
});
