// The pod the benchmarks run: one `sleep 3600` container of the base image, stopped at once.
import type { PodSpec } from "../src/manifest/types.ts";

export function sleeperSpec(): PodSpec {
  return {
    containers: [
      {
        name: "main",
        image: "mk.local/busybox:1",
        imagePullPolicy: "IfNotPresent",
        command: ["sleep", "3600"],
        env: [],
        ports: [],
        resources: { requests: {}, limits: {} },
      },
    ],
    restartPolicy: "Always",
    nodeSelector: {},
    tolerations: [],
    terminationGracePeriodSeconds: 0,
  };
}
