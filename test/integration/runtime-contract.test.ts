// The runtime contract (test/runtime/contract.ts) against the real Docker engine: the fake's
// behaviour in unit tests is only as good as this agreement.
import { DockerRuntime } from "../../src/runtime/docker.ts";
import { runtimeContract } from "../runtime/contract.ts";
import { IMAGE, removeContainers, requireDocker } from "./harness.ts";

const run = process.env.MK_TEST_RUN_ID ?? `${Date.now()}`;

runtimeContract("DockerRuntime", async () => {
  await requireDocker();
  const runtime = new DockerRuntime({
    socketPath: process.env.MK_TEST_DOCKER_SOCKET ?? "/var/run/docker.sock",
  });
  return {
    runtime,
    image: IMAGE,
    labels: { "mk.test": `contract-${run}` },
    cleanup: () => removeContainers(`mk.test=contract-${run}`),
  };
});
