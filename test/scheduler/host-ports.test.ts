import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerPort } from "../../src/manifest/types.ts";
import { nodePorts } from "../../src/scheduler/filters.ts";
import { hostPortsConflict, podHostPorts } from "../../src/scheduler/host-ports.ts";
import { preparePod, scheduleMany } from "../../src/scheduler/schedule.ts";
import type { HostPort } from "../../src/scheduler/types.ts";
import { makeNode, makePodToSchedule, makeSpec } from "./fixtures.ts";

const FREE_PORTS = "node(s) didn't have free ports for the requested pod ports";

function withPorts(name: string, ports: Partial<ContainerPort>[]) {
  const pod = makePodToSchedule({ name });
  const c = pod.spec.containers[0]!;
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: [
        { ...c, ports: ports.map((p) => ({ containerPort: 80, protocol: "TCP" as const, ...p })) },
      ],
    },
  };
}

const tcp = (port: number, hostIP = "0.0.0.0"): HostPort => ({ hostIP, protocol: "TCP", port });

const conflictCases: { title: string; wanted: HostPort[]; used: HostPort[]; want: boolean }[] = [
  {
    title: "the same port and protocol on every address",
    wanted: [tcp(8080)],
    used: [tcp(8080)],
    want: true,
  },
  { title: "another port", wanted: [tcp(8080)], used: [tcp(8081)], want: false },
  {
    title: "the same port over UDP",
    wanted: [tcp(53)],
    used: [{ hostIP: "0.0.0.0", protocol: "UDP", port: 53 }],
    want: false,
  },
  {
    title: "a wildcard against a specific address",
    wanted: [tcp(8080)],
    used: [tcp(8080, "127.0.0.1")],
    want: true,
  },
  {
    title: "a specific address against a wildcard",
    wanted: [tcp(8080, "10.0.0.1")],
    used: [tcp(8080)],
    want: true,
  },
  {
    title: "two different specific addresses",
    wanted: [tcp(8080, "10.0.0.1")],
    used: [tcp(8080, "10.0.0.2")],
    want: false,
  },
  {
    title: "the same specific address",
    wanted: [tcp(8080, "10.0.0.1")],
    used: [tcp(8080, "10.0.0.1")],
    want: true,
  },
];

for (const c of conflictCases) {
  test(`hostPortsConflict() is ${c.want} for ${c.title}`, () => {
    assert.equal(hostPortsConflict(c.wanted, c.used), c.want);
  });
}

test("podHostPorts() lists only ports with a hostPort, empty and :: hostIP meaning every address", () => {
  const spec = withPorts("p", [
    { containerPort: 80 },
    { containerPort: 80, hostPort: 8080 },
    { containerPort: 53, hostPort: 53, protocol: "UDP", hostIP: "::" },
    { containerPort: 81, hostPort: 8081, hostIP: "127.0.0.1" },
  ]).spec;
  assert.deepEqual(podHostPorts(spec), [
    tcp(8080),
    { hostIP: "0.0.0.0", protocol: "UDP", port: 53 },
    tcp(8081, "127.0.0.1"),
  ]);
  assert.deepEqual(podHostPorts(makeSpec({})), []);
});

test("nodePorts filter rejects a node whose pods use the port, and accepts a free one", () => {
  const pod = preparePod(withPorts("p", [{ hostPort: 8080 }]));
  assert.equal(nodePorts.filter(pod, makeNode({ usedPorts: [tcp(8080)] })), FREE_PORTS);
  assert.equal(nodePorts.filter(pod, makeNode({ usedPorts: [tcp(9090)] })), undefined);
  assert.equal(nodePorts.filter(pod, makeNode()), undefined);
  assert.equal(
    nodePorts.filter(preparePod(makePodToSchedule()), makeNode({ usedPorts: [tcp(8080)] })),
    undefined,
  );
});

test("scheduleMany() never puts two pods wanting the same hostPort on one node", () => {
  const nodes = [makeNode({ name: "n1" }), makeNode({ name: "n2" })];
  const pods = ["a", "b", "c"].map((n) => withPorts(n, [{ hostPort: 8080 }]));
  const r = scheduleMany(pods, nodes, { strategy: "least-loaded" });
  assert.equal(r.bindings.length, 2);
  assert.notEqual(r.bindings[0]?.node, r.bindings[1]?.node);
  assert.deepEqual(
    r.failures.map((f) => [f.pod, f.reason]),
    [["c", `0/2 nodes are available: 2 ${FREE_PORTS}`]],
  );
  // Round-robin honours the constraint too.
  const rr = scheduleMany(pods, nodes, { strategy: "round-robin" });
  assert.equal(rr.bindings.length, 2);
  assert.equal(rr.failures.length, 1);
});

test("scheduleMany() leaves a pod that fits nowhere with Kubernetes' message for three full nodes", () => {
  const nodes = ["n1", "n2", "n3"].map((name) => makeNode({ name, usedPorts: [tcp(8080)] }));
  const r = scheduleMany([withPorts("web", [{ hostPort: 8080 }])], nodes, { strategy: "least-loaded" });
  assert.deepEqual(r.bindings, []);
  assert.equal(r.failures[0]?.reason, `0/3 nodes are available: 3 ${FREE_PORTS}`);
  // Another protocol or port fits.
  const udp = scheduleMany([withPorts("dns", [{ hostPort: 8080, protocol: "UDP" }])], nodes, {
    strategy: "least-loaded",
  });
  assert.equal(udp.bindings.length, 1);
});
