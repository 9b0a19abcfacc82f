import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSshFlags } from "../../src/cli/ssh-flags.ts";
import { usage } from "./usage-error.ts";

test("parseSshFlags() defaults: keepalive 2 s x 3 (covers the 4 s grace), handshake 5 s, 4 bulk calls", () => {
  assert.deepEqual(parseSshFlags({}, 4000), {
    keepaliveIntervalMs: 2000,
    keepaliveCountMax: 3,
    readyTimeoutMs: 5000,
    dockerConcurrency: 4,
  });
});

test("parseSshFlags() derives the default keepalive count from the node grace", () => {
  assert.equal(parseSshFlags({}, 40_000).keepaliveCountMax, 20);
  assert.equal(parseSshFlags({ sshKeepaliveInterval: "15s" }, 40_000).keepaliveCountMax, 3);
  assert.equal(parseSshFlags({ sshKeepaliveInterval: "500ms" }, 2000).keepaliveCountMax, 4);
  assert.equal(parseSshFlags({ sshKeepaliveInterval: "1s" }, 2000).keepaliveCountMax, 3);
});

test("parseSshFlags() takes explicit values that cover the grace", () => {
  assert.deepEqual(
    parseSshFlags(
      {
        sshKeepaliveInterval: "1s",
        sshKeepaliveCount: "5",
        sshConnectTimeout: "10s",
        sshDockerConcurrency: "16",
      },
      4000,
    ),
    { keepaliveIntervalMs: 1000, keepaliveCountMax: 5, readyTimeoutMs: 10_000, dockerConcurrency: 16 },
  );
});

test("parseSshFlags() refuses a keepalive that would cut a link the heartbeat still tolerates, naming the flag", () => {
  const count = usage(() => parseSshFlags({ sshKeepaliveInterval: "1s", sshKeepaliveCount: "2" }, 4000));
  assert.equal(count.exitCode, 2);
  assert.equal(count.flag, "--ssh-keepalive-count");
  assert.equal(
    count.message,
    "--ssh-keepalive-count 2: 2 unanswered keepalives 1s apart (2s) must cover --node-grace (4s): a busy node would lose its connection before the heartbeat gives up on it; use --ssh-keepalive-count 4 or more",
  );
});

test("parseSshFlags() refuses out-of-range values, naming the flag", () => {
  const cases: [Record<string, string>, string, string][] = [
    [
      { sshKeepaliveInterval: "0" },
      "--ssh-keepalive-interval",
      "--ssh-keepalive-interval 0: expected a duration from 100ms to 10m",
    ],
    [{ sshKeepaliveInterval: "soon" }, "--ssh-keepalive-interval", "--ssh-keepalive-interval soon: "],
    [
      { sshKeepaliveCount: "0" },
      "--ssh-keepalive-count",
      "--ssh-keepalive-count 0: expected a whole number from 1 to 1000",
    ],
    [
      { sshConnectTimeout: "100ms" },
      "--ssh-connect-timeout",
      "--ssh-connect-timeout 100ms: expected a duration from 500ms to 10m",
    ],
    [
      { sshDockerConcurrency: "0" },
      "--ssh-docker-concurrency",
      "--ssh-docker-concurrency 0: expected a whole number from 1 to 256",
    ],
    [
      { sshDockerConcurrency: "2.5" },
      "--ssh-docker-concurrency",
      "--ssh-docker-concurrency 2.5: expected a whole number from 1 to 256",
    ],
  ];
  for (const [opts, flag, message] of cases) {
    const u = usage(() => parseSshFlags(opts, 4000));
    assert.equal(u.flag, flag);
    assert.equal(u.exitCode, 2);
    assert.ok(u.message.startsWith(message), `${u.message} should start with ${message}`);
  }
});
