// The inverse of normalize.ts: a normalized object -> the manifest document a person would write
// for its apiVersion (Kubernetes field names, quantities as "250m"/"64Mi", durations as "10s").
// Parsing the result gives back the same normalized object, so `mk get -o yaml | mk apply -f -`
// is `unchanged` (test/manifest/denormalize.test.ts checks that for every kind). Pure.

import { formatCpuMillis, formatMemoryBytes } from "./quantity.ts";
import type {
  AutoscalerSpec,
  ContainerSpec,
  MkObjectBody,
  PodSetSpec,
  PodSpec,
  Probe,
  ResourceAmounts,
  RestartBackoff,
} from "./types.ts";

type Doc = Record<string, unknown>;

/** Drops undefined values and empty lists/maps a parser would default anyway. */
function omitEmpty(o: Doc): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The shorter exact spelling of a byte count: binary ("64Mi") or decimal ("2G"). */
export function formatMemory(bytes: number): string {
  const binary = formatMemoryBytes(bytes);
  let decimal = String(bytes);
  for (const [suffix, exp] of [
    ["E", 18],
    ["P", 15],
    ["T", 12],
    ["G", 9],
    ["M", 6],
    ["k", 3],
  ] as const) {
    const unit = 10 ** exp;
    if (bytes >= unit && bytes % unit === 0) {
      decimal = `${bytes / unit}${suffix}`;
      break;
    }
  }
  return decimal.length < binary.length ? decimal : binary;
}

function amounts(a: ResourceAmounts): Doc {
  return omitEmpty({
    cpu: a.cpuMilli === undefined ? undefined : formatCpuMillis(a.cpuMilli),
    memory: a.memoryBytes === undefined ? undefined : formatMemory(a.memoryBytes),
  });
}

function probeDoc(p: Probe | undefined): Doc | undefined {
  if (!p) return undefined;
  const { handler, ...timing } = p;
  let h: Doc;
  if (handler.type === "httpGet") {
    const { type: _t, ...rest } = handler;
    h = { httpGet: omitEmpty(rest) };
  } else if (handler.type === "tcpSocket") {
    const { type: _t, ...rest } = handler;
    h = { tcpSocket: omitEmpty(rest) };
  } else h = { exec: { command: handler.command } };
  return { ...h, ...timing };
}

function containerDoc(c: ContainerSpec): Doc {
  return omitEmpty({
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy,
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: c.env,
    ports: c.ports,
    resources: omitEmpty({ requests: amounts(c.resources.requests), limits: amounts(c.resources.limits) }),
    livenessProbe: probeDoc(c.livenessProbe),
    readinessProbe: probeDoc(c.readinessProbe),
    startupProbe: probeDoc(c.startupProbe),
  });
}

function backoffDoc(b: RestartBackoff | undefined): Doc | undefined {
  if (!b) return undefined;
  const f = (ms: number | undefined) => (ms === undefined ? undefined : formatDurationMs(ms));
  return omitEmpty({ initial: f(b.initialMs), max: f(b.maxMs), reset: f(b.resetMs) });
}

/** A pod spec; `mk` keeps the mk/v1 restartBackoff field (v1 carries it in annotations). */
export function podSpecDoc(spec: PodSpec, mk: boolean): Doc {
  return omitEmpty({
    containers: spec.containers.map(containerDoc),
    restartPolicy: spec.restartPolicy,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    nodeSelector: spec.nodeSelector,
    tolerations: spec.tolerations,
    nodeName: spec.nodeName,
    restartBackoff: mk ? backoffDoc(spec.restartBackoff) : undefined,
  });
}

function podSetSpecDoc(spec: PodSetSpec, mk: boolean): Doc {
  const { strategy } = spec;
  return {
    replicas: spec.replicas,
    selector: { matchLabels: spec.selector.matchLabels },
    template: {
      metadata: omitEmpty({
        labels: spec.template.metadata.labels,
        annotations: spec.template.metadata.annotations,
      }),
      spec: podSpecDoc(spec.template.spec, mk),
    },
    strategy:
      strategy.type === "Recreate"
        ? { type: "Recreate" }
        : {
            type: "RollingUpdate",
            rollingUpdate: { maxSurge: strategy.maxSurge, maxUnavailable: strategy.maxUnavailable },
          },
    minReadySeconds: spec.minReadySeconds,
  };
}

/** An Autoscaler as mk/v1, autoscaling/v1 or autoscaling/v2 writes it (v2's metrics and behavior). */
function autoscalerSpecDoc(spec: AutoscalerSpec, apiVersion: string): Doc {
  const range = { minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas };
  const cpu = spec.metrics[0];
  if (apiVersion === "autoscaling/v1" && spec.metrics.length === 1 && cpu?.target.type === "Utilization")
    return {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: spec.target.name },
      ...range,
      targetCPUUtilizationPercentage: cpu.target.averageUtilization,
    };
  const metrics = spec.metrics.map((m) => ({
    type: "Resource",
    resource: {
      name: m.resource,
      target:
        m.target.type === "Utilization"
          ? { type: "Utilization", averageUtilization: m.target.averageUtilization }
          : {
              type: "AverageValue",
              averageValue:
                m.resource === "cpu"
                  ? formatCpuMillis(m.target.averageValue)
                  : formatMemory(m.target.averageValue),
            },
    },
  }));
  const target =
    apiVersion === "mk/v1"
      ? { target: { kind: "PodSet", name: spec.target.name } }
      : { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: spec.target.name } };
  return { ...target, ...range, metrics, behavior: spec.behavior };
}

/** The kind a document of `apiVersion` spells for a normalized kind (a PodSet is a Deployment in apps/v1). */
export function documentKind(kind: string, apiVersion: string): string {
  if (kind === "Autoscaler" && apiVersion.startsWith("autoscaling/")) return "HorizontalPodAutoscaler";
  return kind === "PodSet" && apiVersion === "apps/v1" ? "Deployment" : kind;
}

/** The spec of `body` as a manifest of `apiVersion` writes it. */
export function specDoc(body: MkObjectBody, apiVersion: string): Doc {
  const mk = apiVersion === "mk/v1";
  switch (body.kind) {
    case "Pod":
      return podSpecDoc(body.spec, mk);
    case "PodSet":
      return podSetSpecDoc(body.spec, mk);
    case "Autoscaler":
      return autoscalerSpecDoc(body.spec, apiVersion);
    default:
      return omitEmpty({ ...(body.spec as unknown as Doc) });
  }
}

/** apiVersion, kind, metadata {name, labels, annotations} and spec: a document apply accepts. */
export function manifestOf(body: MkObjectBody, apiVersion: string): Doc {
  return {
    apiVersion,
    kind: documentKind(body.kind, apiVersion),
    metadata: {
      name: body.metadata.name,
      labels: body.metadata.labels,
      annotations: body.metadata.annotations,
    },
    spec: specDoc(body, apiVersion),
  };
}
