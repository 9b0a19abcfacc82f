// withFailover(): which answers make the CLI ask again, and whom.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withFailover } from "../../src/api/server-failover.ts";
import { MkError, RuntimeError } from "../../src/lib/errors.ts";

const notLeader = () =>
  new MkError("not_leader", "etcd refused the write: term 3 is over", { httpStatus: 503 });
const down = (b: string) => new RuntimeError(`Cannot reach mk server at ${b}: connect ECONNREFUSED`);

test("one server answering 503 not_leader is asked again until it takes the call", async () => {
  const seen: string[] = [];
  const r = await withFailover(["http://a"], "http://a", async (b) => {
    seen.push(b);
    if (seen.length < 3) throw notLeader();
    return "ok";
  });
  assert.equal(r, "ok");
  assert.deepEqual(seen, ["http://a", "http://a", "http://a"]);
});

test("one server that is down fails at once; with others, the next is asked", async () => {
  let calls = 0;
  await assert.rejects(
    withFailover(["http://a"], "http://a", async (b) => {
      calls++;
      throw down(b);
    }),
    /Cannot reach mk server at http:\/\/a/,
  );
  assert.equal(calls, 1);
  const seen: string[] = [];
  const r = await withFailover(["http://a", "http://b"], "http://a", async (b) => {
    seen.push(b);
    if (b === "http://a") throw down(b);
    return b;
  });
  assert.equal(r, "http://b");
  assert.deepEqual(seen, ["http://a", "http://b"]);
});

test("any other error is final, and the deadline ends the retries with the last error", async () => {
  let calls = 0;
  await assert.rejects(
    withFailover(["http://a", "http://b"], "http://a", async () => {
      calls++;
      throw new MkError("invalid", "bad manifest", { httpStatus: 400 });
    }),
    /bad manifest/,
  );
  assert.equal(calls, 1);
  await assert.rejects(
    withFailover(["http://a"], "http://a", async () => Promise.reject(notLeader()), 300),
    /term 3 is over/,
  );
});
