// Schema output -> the object model of types.ts. The schemas have already checked everything and
// filled the plain defaults; here go the defaults that depend on other fields (imagePullPolicy from
// the image tag, requests from limits, the restart back-off from annotations) and the renames
// (Deployment -> PodSet, quantities -> cpuMilli/memoryBytes). Typed object literals pin each schema
// output to its types.ts counterpart at compile time.

import { averageValueOf, type BehaviorInput, type MetricInput, toleranceOf } from "./autoscaler-schema.ts";
import { defaultPullPolicy } from "./names.ts";
import { parseBackoffMs } from "./pod-schema.ts";
import type {
  AutoscalerInput,
  DeploymentInput,
  HpaV1Input,
  HpaV2Input,
  KubePodInput,
  MkPodInput,
  NodeInput,
  PodSetInput,
} from "./schema.ts";
import { BACKOFF_ANNOTATIONS, ROLLBACK_ANNOTATION } from "./schema.ts";
import type {
  AutoscalerObject,
  AutoscalerSpec,
  ContainerSpec,
  MetricTarget,
  NodeObject,
  ObjectMeta,
  PodObject,
  PodSetObject,
  PodSetSpec,
  PodSpec,
  Probe,
  ProbeHandler,
  ResourceMetric,
  RestartBackoff,
  ScalingRules,
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
    replicas: replicas ?? 1,
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
  const body: PodSetObject = { kind: "PodSet", metadata: metaOf(input.metadata), spec };
  return compact(replicas === undefined ? { ...body, replicasOmitted: true } : body);
}

export function normalizeNode(input: NodeInput): NodeObject {
  return compact({ kind: "Node", metadata: metaOf(input.metadata), spec: input.spec });
}

// Kubernetes' defaults (pkg/apis/autoscaling/v2/defaults.go): scale up at once by up to 100 % or
// 4 pods per 15 s, whichever is more; scale down to the highest recommendation of the last 300 s,
// by up to 100 % per 15 s.
const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ],
};
const DEFAULT_SCALE_DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: "Max",
  policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
};
const DEFAULT_CPU_UTILIZATION = 80;

type RulesInput = NonNullable<BehaviorInput["scaleUp"]>;

function rulesOf(input: RulesInput | undefined, defaults: ScalingRules): ScalingRules {
  return {
    stabilizationWindowSeconds: input?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: input?.selectPolicy ?? defaults.selectPolicy,
    policies: input?.policies ?? defaults.policies,
    ...(input?.tolerance !== undefined ? { tolerance: toleranceOf(input.tolerance) } : {}),
  };
}

function behaviorOf(input: BehaviorInput | undefined): AutoscalerSpec["behavior"] {
  return {
    scaleUp: rulesOf(input?.scaleUp, DEFAULT_SCALE_UP),
    scaleDown: rulesOf(input?.scaleDown, DEFAULT_SCALE_DOWN),
  };
}

function cpuUtilization(percent: number | undefined): ResourceMetric[] {
  return [
    {
      type: "Resource",
      resource: "cpu",
      target: { type: "Utilization", averageUtilization: percent ?? DEFAULT_CPU_UTILIZATION },
    },
  ];
}

/** The schema has checked every metric: only Resource ones with a complete target remain. */
function metricsOf(input: readonly MetricInput[] | undefined): ResourceMetric[] {
  if (input === undefined || input.length === 0) return cpuUtilization(undefined);
  return input.map((m) => {
    const resource = m.resource?.name === "memory" ? "memory" : "cpu";
    const t = m.resource?.target;
    const target: MetricTarget =
      t?.type === "AverageValue"
        ? { type: "AverageValue", averageValue: averageValueOf(resource, t.averageValue ?? 0) }
        : { type: "Utilization", averageUtilization: t?.averageUtilization ?? DEFAULT_CPU_UTILIZATION };
    return { type: "Resource", resource, target };
  });
}

function autoscalerOf(meta: AutoscalerInput["metadata"], spec: AutoscalerSpec): AutoscalerObject {
  return compact({ kind: "Autoscaler", metadata: metaOf(meta), spec });
}

export function normalizeAutoscaler(input: AutoscalerInput): AutoscalerObject {
  const s = input.spec;
  return autoscalerOf(input.metadata, {
    target: s.target,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    metrics: s.metrics ? metricsOf(s.metrics) : cpuUtilization(s.targetCPUUtilizationPercentage),
    behavior: behaviorOf(s.behavior),
  });
}

export function normalizeHpaV1(input: HpaV1Input): AutoscalerObject {
  const s = input.spec;
  return autoscalerOf(input.metadata, {
    target: s.scaleTargetRef,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    metrics: cpuUtilization(s.targetCPUUtilizationPercentage),
    behavior: behaviorOf(undefined),
  });
}

export function normalizeHpaV2(input: HpaV2Input): AutoscalerObject {
  const s = input.spec;
  return autoscalerOf(input.metadata, {
    target: s.scaleTargetRef,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    metrics: metricsOf(s.metrics),
    behavior: behaviorOf(s.behavior),
  });
}
