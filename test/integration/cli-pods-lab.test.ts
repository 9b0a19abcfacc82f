// exec, logs and port-forward on a lab host over SSH: through `mk server` (the agent's SSH
// connection: stream-local to the node's Docker socket, direct-tcpip to the pod) and from the CLI
// alone. Uses the shared lab: run it under `flock /tmp/mk-lab.lock`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freePort, IMAGE, MAIN, requireDocker, Sandbox, waitFor } from "./harness.ts";
import { LAB_ENV as ENV, LAB, lab } from "./lab-hosts.ts";

const TSX = import.meta.resolve("tsx");

let box: Sandbox;
let url = "";

before(async () => {
  assert.equal(process.getuid?.(), 0, "the lab needs root (scripts/test.sh runs as root in CI)");
  await requireDocker();
  await lab("nodes-up.sh", "1");
  box = new Sandbox();
  url = (await box.server(["--no-local-node", "--resync", "1s"], ENV)).url;
  await box.ok(
    [
      "node",
      "add",
      "n1",
      "--docker",
      "ssh://root@10.231.0.11",
      "--identity",
      `${LAB}/ssh/id_ed25519`,
      "--server",
      url,
    ],
    { env: ENV },
  );
  const file = join(box.dir, "web.yaml");
  writeFileSync(
    file,
    `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "echo served-from-$(hostname) > /tmp/index.html; echo log-on-n1; exec httpd -f -p 8080 -h /tmp"]
      ports: [{ containerPort: 8080 }]
`,
  );
  await box.ok(["apply", "-f", file, "--server", url, "--timeout", "90s"], { env: ENV });
});

after(async () => {
  await box?.cleanup();
  await lab("nodes-down.sh");
});

for (const viaServer of [true, false]) {
  const how = viaServer ? "through the server" : "from the CLI over its own SSH connection";
  const server = viaServer ? ["--server", url] : [];

  test(`exec and logs on a lab node ${how}: exit code, stdin, output`, async () => {
    const r = await box.mk(["exec", "web", ...server, "--", "sh", "-c", "hostname; echo err >&2; exit 4"], {
      env: ENV,
    });
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, "web\n");
    assert.equal(r.stderr, "err\n");
    const i = await box.mk(["exec", "-i", "web", ...server, "--", "wc", "-c"], { env: ENV, input: "12345" });
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout.trim(), "5");
    assert.match(await box.ok(["logs", "web", ...server], { env: ENV }), /log-on-n1/);
  });

  test(`port-forward to a pod on a lab node ${how}`, async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ["--import", TSX, MAIN, "port-forward", "pod/web", `${port}:8080`, ...server],
      {
        env: box.env(ENV),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    try {
      await waitFor(
        async () => out.includes(`Forwarding from 127.0.0.1:${port} -> 8080`),
        20_000,
        `listening (${out})`,
      );
      const bodies = await Promise.all(
        [1, 2, 3].map(async () => (await fetch(`http://127.0.0.1:${port}/index.html`)).text()),
      );
      assert.deepEqual(bodies, ["served-from-web\n", "served-from-web\n", "served-from-web\n"]);
    } finally {
      child.kill("SIGINT");
    }
  });
}
