// Schema output -> the object model of types.ts. The schemas have already checked everything and
// filled the plain defaults; here go the defaults that depend on other fields (imagePullPolicy from
// the image tag, requests from limits, the restart back-off from annotations) and the renames
// (Deployment -> PodSet, quantities -> cpuMilli/memoryBytes). Typed object literals pin each schema
// output to its types.ts counterpart at compile time.

import { defaultPullPolicy } from "./names.ts";
import { parseBackoffMs } from "./pod-schema.ts";
import type {
  AutoscalerInput,
  DeploymentInput,
  KubePodInput,
  MkPodInput,
  NodeInput,
  PodSetInput,
} from "./schema.ts";
import { BACKOFF_ANNOTATIONS, ROLLBACK_ANNOTATION } from "./schema.ts";
import type {
  AutoscalerObject,
  ContainerSpec,
  NodeObject,
  ObjectMeta,
  PodObject,
  PodSetObject,
  PodSetSpec,
  PodSpec,
  Probe,
  ProbeHandler,
  RestartBackoff,
} from "./types.ts";

type KubePodSpecInput = KubePodInput["spec"];
type MkPodSpecInput = MkPodInput["spec"];
type ContainerInput = KubePodSpecInput["containers"][number];
type ProbeInput = NonNullable<ContainerInput["livenessProbe"]>;
type RestartBackoffInput = MkPodSpecInput["restartBackoff"];

/** Removes keys whose value is undefined, so equal objects compare and hash equal. */
function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(compact) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = compact(item);
  return out as T;
}

function probeOf(probe: ProbeInput | undefined): Probe | undefined {
  if (probe === undefined) return undefined;
  const { httpGet, tcpSocket, exec, ...timing } = probe;
  let handler: ProbeHandler;
  if (httpGet) handler = { type: "httpGet", ...httpGet };
  else if (tcpSocket) handler = { type: "tcpSocket", ...tcpSocket };
  else if (exec) handler = { type: "exec", command: exec.command };
  else throw new TypeError("probe without a handler passed the schema"); // the schema requires one
  return { handler, ...timing };
}

function containerOf(c: ContainerInput): ContainerSpec {
  const { requests, limits } = c.resources;
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image),
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: c.env,
    ports: c.ports,
    resources: {
      // Kubernetes: a request left out defaults to the limit of the same resource.
      requests: { cpuMilli: requests.cpu ?? limits.cpu, memoryBytes: requests.memory ?? limits.memory },
      limits: { cpuMilli: limits.cpu, memoryBytes: limits.memory },
    },
    livenessProbe: probeOf(c.livenessProbe),
    readinessProbe: probeOf(c.readinessProbe),
    startupProbe: probeOf(c.startupProbe),
  };
}

/** spec.restartBackoff (mk/v1) wins field by field over the mk/restart-backoff-* annotations. */
function restartBackoffOf(
  annotations: Record<string, string>,
  spec: RestartBackoffInput,
): RestartBackoff | undefined {
  const pick = (field: keyof typeof BACKOFF_ANNOTATIONS) => {
    const fromSpec = spec?.[field];
    if (fromSpec !== undefined) return fromSpec;
    const annotation = annotations[BACKOFF_ANNOTATIONS[field]];
    return annotation === undefined ? undefined : parseBackoffMs(annotation);
  };
  const backoff = { initialMs: pick("initial"), maxMs: pick("max"), resetMs: pick("reset") };
  return Object.values(backoff).some((ms) => ms !== undefined) ? backoff : undefined;
}

function podSpecOf(spec: KubePodSpecInput | MkPodSpecInput, annotations: Record<string, string>): PodSpec {
  return {
    containers: spec.containers.map(containerOf),
    restartPolicy: spec.restartPolicy,
    nodeSelector: spec.nodeSelector,
    tolerations: spec.tolerations,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    nodeName: spec.nodeName,
    restartBackoff: restartBackoffOf(annotations, "restartBackoff" in spec ? spec.restartBackoff : undefined),
  };
}

function metaOf(meta: {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}): ObjectMeta {
  return { name: meta.name, labels: meta.labels, annotations: meta.annotations };
}

export function normalizePod(input: MkPodInput | KubePodInput): PodObject {
  const spec = podSpecOf(input.spec, input.metadata.annotations);
  return compact({ kind: "Pod", metadata: metaOf(input.metadata), spec });
}

export function normalizePodSet(input: PodSetInput | DeploymentInput): PodSetObject {
  const { replicas, selector, template, strategy, minReadySeconds } = input.spec;
  const { progressDeadlineSeconds, revisionHistoryLimit, paused } = input.spec;
  // spec.rollbackOnFailure (mk/v1) wins over the mk/rollback-on-failure annotation (any kind).
  const rollbackOnFailure =
    ("rollbackOnFailure" in input.spec && input.spec.rollbackOnFailure) ||
    input.metadata.annotations[ROLLBACK_ANNOTATION] === "true";
  const spec: PodSetSpec = {
    replicas,
    selector: { matchLabels: selector.matchLabels },
    template: {
      metadata: { labels: template.metadata.labels, annotations: template.metadata.annotations },
      spec: podSpecOf(template.spec, template.metadata.annotations),
    },
    // Kubernetes defaults: RollingUpdate, and 25% for whichever of maxSurge/maxUnavailable is absent.
    strategy:
      strategy.type === "Recreate"
        ? { type: "Recreate" }
        : {
            type: "RollingUpdate",
            maxSurge: strategy.rollingUpdate?.maxSurge ?? "25%",
            maxUnavailable: strategy.rollingUpdate?.maxUnavailable ?? "25%",
          },
    minReadySeconds,
    progressDeadlineSeconds,
    revisionHistoryLimit,
    paused,
    rollbackOnFailure,
  };
  return compact({ kind: "PodSet", metadata: metaOf(input.metadata), spec });
}

export function normalizeNode(input: NodeInput): NodeObject {
  return compact({ kind: "Node", metadata: metaOf(input.metadata), spec: input.spec });
}

export function normalizeAutoscaler(input: AutoscalerInput): AutoscalerObject {
  return compact({ kind: "Autoscaler", metadata: metaOf(input.metadata), spec: input.spec });
}
