// The SSH connection's HTTP agent prints as one line: docker-modem util.inspect()s every request's
// options (agent included, depth unlimited) before it checks whether debug output is on, and the
// agent's sockets are SSH channels reaching the whole ssh2 client. Measured on a lab node with 30
// open channels: 2.0 s and 12.7 MB of text per request without this, 1.3 ms with it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { silentLogger } from "../../src/lib/log.ts";
import { SshDockerConnection } from "../../src/node/ssh-docker.ts";

test("a request's options with the SSH agent inspect to a few bytes (docker-modem does this per request)", () => {
  const conn = new SshDockerConnection(
    { name: "n1", docker: "ssh://root@127.0.0.1:1" },
    { kind: "ssh", user: "root", host: "127.0.0.1", port: 1 },
    {
      knownHostsFile: "/nonexistent",
      readyTimeoutMs: 1000,
      keepaliveIntervalMs: 1000,
      keepaliveCountMax: 3,
      log: silentLogger,
    },
  );
  try {
    const modem = (conn.runtime as unknown as { docker: { modem: { agent: object } } }).docker.modem;
    const text = inspect({ path: "/containers/json", agent: modem.agent }, { showHidden: true, depth: null });
    assert.match(text, /\[SSH agent of node n1\]/);
    assert.ok(text.length < 200, `${text.length} chars`);
  } finally {
    conn.close();
  }
});
