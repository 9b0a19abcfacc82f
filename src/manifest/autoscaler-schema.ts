// valibot schemas of the autoscaler documents: mk/v1 Autoscaler, autoscaling/v1 and
// autoscaling/v2 HorizontalPodAutoscaler. All three normalize to one AutoscalerSpec (types.ts).
// mk acts on Resource metrics (cpu, memory) only; other metric sources (Pods, Object, External,
// ContainerResource) name metrics mk has no source for, so they are refused, never ignored.

import * as v from "valibot";
import { MAX_REPLICAS } from "./limits.ts";
import { describeValue } from "./messages.ts";
import { dns1123LabelError } from "./names.ts";
import { MAX_INT32 } from "./pod-schema.ts";
import { parseCpuMillis, parseMemoryBytes } from "./quantity.ts";
import { checked, def, fields, int, nonEmptyList, opt, type Report, text, valid } from "./schema-parts.ts";

/** Kubernetes' bounds: windows up to an hour, policy periods up to 30 minutes. */
export const MAX_STABILIZATION_SECONDS = 3600;
export const MAX_POLICY_PERIOD_SECONDS = 1800;
/** Highest utilization target accepted, in percent of the request. */
export const MAX_UTILIZATION_PERCENT = 1000;

const RESOURCES = ["cpu", "memory"] as const;
const METRIC_TYPES = ["Resource", "Pods", "Object", "External", "ContainerResource"] as const;

/** scaleTargetRef (HPA) or target (mk/v1): a Deployment is a PodSet once applied. */
const targetRef = fields(
  {
    kind: v.pipe(
      v.picklist(["PodSet", "Deployment"]),
      v.transform(() => "PodSet" as const),
    ),
    name: text((name) => dns1123LabelError(name)),
  },
  { ignored: ["apiVersion"] },
);

const policy = fields({
  type: v.picklist(["Pods", "Percent"]),
  value: int(1, MAX_INT32),
  periodSeconds: int(1, MAX_POLICY_PERIOD_SECONDS),
});

const quantityValue = v.union(
  [v.string(), v.number()],
  (issue) => `expected a quantity like "500m" or "128Mi", got ${describeValue(issue.input)}`,
);

/** behavior.*.tolerance (Kubernetes 1.33, HPAConfigurableTolerance): a quantity like 0.05 or "50m". */
export function toleranceOf(value: string | number): number {
  return parseCpuMillis(value) / 1000;
}

function toleranceError(value: string | number): string | undefined {
  try {
    if (toleranceOf(value) >= 0) return undefined;
  } catch {
    // the message below says what is expected
  }
  return `expected a quantity of at least 0 like 0.05 or "50m", got ${describeValue(value)}`;
}

const scalingRules = fields({
  stabilizationWindowSeconds: opt(int(0, MAX_STABILIZATION_SECONDS)),
  selectPolicy: opt(v.picklist(["Max", "Min", "Disabled"])),
  policies: opt(nonEmptyList(policy, "policy")),
  tolerance: opt(v.pipe(quantityValue, valid(toleranceError))),
});

const behavior = fields({ scaleUp: opt(scalingRules), scaleDown: opt(scalingRules) });

const metricTarget = fields({
  type: v.picklist(["Utilization", "AverageValue", "Value"]),
  averageUtilization: opt(int(1, MAX_UTILIZATION_PERCENT)),
  averageValue: opt(quantityValue),
  value: opt(quantityValue),
});

const resourceSource = fields({
  name: text((name) =>
    (RESOURCES as readonly string[]).includes(name)
      ? undefined
      : `resource ${JSON.stringify(name)} is not supported by mk; only cpu and memory`,
  ),
  target: metricTarget,
});

const UNSUPPORTED_SOURCE = "is not supported by mk; only Resource metrics (cpu, memory)";

/** The quantity of `averageValue` in mk's units: millicores for cpu, bytes for memory. */
export function averageValueOf(resource: string, value: string | number): number {
  return resource === "cpu" ? parseCpuMillis(value) : parseMemoryBytes(value);
}

const metric = checked(
  fields(
    { type: v.picklist(METRIC_TYPES), resource: opt(resourceSource) },
    // The other sources' own fields say nothing more once their type is refused below.
    { ignored: ["pods", "object", "external", "containerResource"] },
  ),
  (m, report) => {
    if (m.type !== "Resource") {
      report(`metric type ${m.type} ${UNSUPPORTED_SOURCE}`, "type");
      return;
    }
    if (!m.resource) {
      report("required field is missing", "resource");
      return;
    }
    const t = m.resource.target;
    if (t.type === "Value") {
      report(
        'expected "Utilization" or "AverageValue" for a Resource metric, got "Value"',
        "resource",
        "target",
        "type",
      );
      return;
    }
    if (t.type === "Utilization") {
      if (t.averageUtilization === undefined)
        report("required field is missing", "resource", "target", "averageUtilization");
      if (t.averageValue !== undefined)
        report("expected only with type AverageValue", "resource", "target", "averageValue");
    } else {
      if (t.averageValue === undefined)
        report("required field is missing", "resource", "target", "averageValue");
      else {
        try {
          if (averageValueOf(m.resource.name, t.averageValue) <= 0)
            report(
              `expected a quantity above 0, got ${describeValue(t.averageValue)}`,
              "resource",
              "target",
              "averageValue",
            );
        } catch (err) {
          report(err instanceof Error ? err.message : String(err), "resource", "target", "averageValue");
        }
      }
      if (t.averageUtilization !== undefined)
        report("expected only with type Utilization", "resource", "target", "averageUtilization");
    }
    if (t.value !== undefined) report("expected only with type Value", "resource", "target", "value");
  },
);

function checkReplicaRange(spec: { minReplicas: number; maxReplicas: number }, report: Report): void {
  if (spec.maxReplicas < spec.minReplicas) {
    report(`expected at least minReplicas (${spec.minReplicas}), got ${spec.maxReplicas}`, "maxReplicas");
  }
}

const replicaEntries = {
  // minReplicas 0 needs a Kubernetes feature gate (HPAScaleToZero); mk keeps at least one pod.
  minReplicas: def(int(1, MAX_REPLICAS), 1),
  maxReplicas: int(1, MAX_REPLICAS),
};

/** mk/v1 Autoscaler: target, replicas, a cpu target or v2-style metrics, and behavior. */
export const mkAutoscalerSpec = checked(
  fields({
    target: targetRef,
    ...replicaEntries,
    targetCPUUtilizationPercentage: opt(int(1, MAX_UTILIZATION_PERCENT)),
    metrics: opt(nonEmptyList(metric, "metric")),
    behavior: opt(behavior),
  }),
  (spec, report) => {
    checkReplicaRange(spec, report);
    if (spec.metrics !== undefined && spec.targetCPUUtilizationPercentage !== undefined)
      report("expected either targetCPUUtilizationPercentage or metrics, not both", "metrics");
  },
);

/** autoscaling/v1 HorizontalPodAutoscaler. */
export const hpaV1Spec = checked(
  fields({
    scaleTargetRef: targetRef,
    ...replicaEntries,
    targetCPUUtilizationPercentage: opt(int(1, MAX_UTILIZATION_PERCENT)),
  }),
  checkReplicaRange,
);

/** autoscaling/v2 HorizontalPodAutoscaler. */
export const hpaV2Spec = checked(
  fields({
    scaleTargetRef: targetRef,
    ...replicaEntries,
    metrics: opt(v.array(metric)),
    behavior: opt(behavior),
  }),
  checkReplicaRange,
);

export type MkAutoscalerSpecInput = v.InferOutput<typeof mkAutoscalerSpec>;
export type HpaV1SpecInput = v.InferOutput<typeof hpaV1Spec>;
export type HpaV2SpecInput = v.InferOutput<typeof hpaV2Spec>;
export type MetricInput = v.InferOutput<typeof metric>;
export type BehaviorInput = v.InferOutput<typeof behavior>;
