// valibot schemas of the raw documents mk accepts, and the only source of their types. They check
// everything that can be checked on one document and fill in Kubernetes defaults; normalize.ts
// reshapes their output into the object model of types.ts. Each mapping's field policy lists the
// Kubernetes fields accepted and ignored, and those refused because mk cannot honour them
// (docs/manifests.md explains each). Rules across fields that Kubernetes enforces are `checked`.

import * as v from "valibot";
import { hpaV1Spec, hpaV2Spec, mkAutoscalerSpec } from "./autoscaler-schema.ts";
import { MAX_POD_SET_NAME, MAX_REPLICAS, MAX_SECONDS } from "./limits.ts";
import { describeValue } from "./messages.ts";
import { dns1123LabelError, labelKeyError, labelValueError } from "./names.ts";
import {
  kubePodSpec,
  kubeTemplateSpec,
  labels,
  MAX_INT32,
  mkPodSpec,
  mkTemplateSpec,
  parseBackoffMs,
  TAINT_EFFECTS,
} from "./pod-schema.ts";
import {
  checked,
  checkedWhere,
  def,
  fields,
  int,
  notSupported,
  opt,
  type Report,
  text,
  valid,
} from "./schema-parts.ts";
import { suggest } from "./suggest.ts";

// ---- metadata -----------------------------------------------------------------------------------

export const BACKOFF_ANNOTATIONS = {
  initial: "mk/restart-backoff-initial",
  max: "mk/restart-backoff-max",
  reset: "mk/restart-backoff-reset",
} as const;
const BACKOFF_PREFIX = "mk/restart-backoff-";
/** On a Deployment: roll back by itself when the progress deadline passes (mk extension). */
export const ROLLBACK_ANNOTATION = "mk/rollback-on-failure";
const KNOWN_BACKOFF_ANNOTATIONS: readonly string[] = Object.values(BACKOFF_ANNOTATIONS);

/** Annotations hold any strings; the mk/restart-backoff-* ones are checked, and only on pods. */
function annotations(podLevel: boolean) {
  return checked(v.record(text(labelKeyError), v.string()), (values, report) => {
    for (const [key, value] of Object.entries(values)) {
      if (key === ROLLBACK_ANNOTATION && value !== "true" && value !== "false") {
        report(`expected "true" or "false", got ${describeValue(value)}`, key);
      }
      if (!key.startsWith(BACKOFF_PREFIX)) continue;
      if (!KNOWN_BACKOFF_ANNOTATIONS.includes(key)) {
        const hint = suggest(key, KNOWN_BACKOFF_ANNOTATIONS);
        report.atKey(
          `unknown mk annotation ${JSON.stringify(key)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ""}`,
          key,
        );
      } else if (!podLevel) {
        report.atKey(
          "expected on a Pod or in spec.template.metadata.annotations: it applies to pods only",
          key,
        );
      } else {
        try {
          parseBackoffMs(value);
        } catch (err) {
          report(err instanceof Error ? err.message : String(err), key);
        }
      }
    }
  });
}

function metadata(opts: { podLevel: boolean; maxName?: number; why?: string }) {
  return fields(
    {
      name: text((name) => dns1123LabelError(name, opts.maxName, opts.why)),
      labels: def(labels, () => ({})),
      annotations: def(annotations(opts.podLevel), () => ({})),
    },
    {
      ignored: [
        "namespace",
        "creationTimestamp",
        "uid",
        "resourceVersion",
        "generation",
        "managedFields",
        "selfLink",
        // mk prints it on a PodSet's pods (`mk get pod -o yaml`); ownership is mk's to decide.
        "ownerReferences",
      ],
      unsupported: notSupported(["generateName", "finalizers", "deletionTimestamp"], {
        generateName: "generateName is not supported by mk: give the object a name",
      }),
    },
  );
}

const templateMetadata = fields(
  { labels: def(labels, () => ({})), annotations: def(annotations(true), () => ({})) },
  { ignored: ["creationTimestamp", "name", "namespace"] },
);

const BACKOFF_PATHS = [
  ["metadata", "annotations"],
  ["spec", "restartBackoff"],
];

/** initial <= max, each taken from spec.restartBackoff or else from its annotation. */
function checkBackoffOrder(
  annotations: Record<string, string>,
  spec: { initial?: number; max?: number } | undefined,
  report: Report,
): void {
  const pick = (field: "initial" | "max") => {
    const fromSpec = spec?.[field];
    if (fromSpec !== undefined) return { ms: fromSpec, path: ["spec", "restartBackoff", field] };
    const annotation = annotations[BACKOFF_ANNOTATIONS[field]];
    if (annotation === undefined) return undefined;
    try {
      return {
        ms: parseBackoffMs(annotation),
        path: ["metadata", "annotations", BACKOFF_ANNOTATIONS[field]],
      };
    } catch {
      return undefined; // reported by the annotation check
    }
  };
  const initial = pick("initial");
  const max = pick("max");
  if (initial && max && initial.ms > max.ms) {
    report(
      `expected an initial back-off of at most the max back-off (${max.ms}ms), got ${initial.ms}ms`,
      ...initial.path,
    );
  }
}

const object = <M extends v.GenericSchema, S extends v.GenericSchema>(meta: M, spec: S) =>
  fields({ apiVersion: v.string(), kind: v.string(), metadata: meta, spec }, { ignored: ["status"] });

// ---- Pod ----------------------------------------------------------------------------------------

const podMetadata = metadata({ podLevel: true });

/** apiVersion mk/v1, kind Pod. */
export const mkPodSchema = checkedWhere(object(podMetadata, mkPodSpec), BACKOFF_PATHS, (pod, report) =>
  checkBackoffOrder(pod.metadata.annotations, pod.spec.restartBackoff, report),
);
/** apiVersion v1, kind Pod. */
export const kubePodSchema = checkedWhere(object(podMetadata, kubePodSpec), BACKOFF_PATHS, (pod, report) =>
  checkBackoffOrder(pod.metadata.annotations, undefined, report),
);

// ---- PodSet and Deployment ----------------------------------------------------------------------

const intOrPercent = (atMost100: boolean) =>
  v.pipe(
    v.union(
      [v.number(), v.string()],
      (issue) => `expected integer or percentage like "25%", got ${describeValue(issue.input)}`,
    ),
    valid<number | string>((value) => {
      if (typeof value === "number") {
        return Number.isInteger(value) && value >= 0 && value <= MAX_INT32
          ? undefined
          : `expected integer >= 0 or percentage like "25%", got ${describeValue(value)}`;
      }
      const match = /^(\d{1,9})%$/.exec(value);
      if (!match) return `expected integer or percentage like "25%", got ${describeValue(value)}`;
      return atMost100 && Number(match[1]) > 100
        ? `expected a percentage of at most 100%, got ${describeValue(value)}`
        : undefined;
    }),
  );

const isZero = (value: number | string | undefined) =>
  value === 0 || (typeof value === "string" && /^0+%$/.test(value));

const strategy = checked(
  fields({
    type: opt(v.picklist(["Recreate", "RollingUpdate"])),
    rollingUpdate: opt(
      fields({ maxSurge: opt(intOrPercent(false)), maxUnavailable: opt(intOrPercent(true)) }),
    ),
  }),
  (s, report) => {
    if (s.type === "Recreate" && s.rollingUpdate !== undefined) {
      report("expected no rollingUpdate when type is Recreate", "rollingUpdate");
    }
    // An absent value defaults to 25%, so only two explicit zeros stall a rollout.
    const r = s.rollingUpdate;
    if (r && isZero(r.maxSurge) && isZero(r.maxUnavailable)) {
      report("expected maxUnavailable above 0 when maxSurge is 0", "rollingUpdate", "maxUnavailable");
    }
  },
);

const selector = fields(
  {
    matchLabels: v.pipe(
      labels,
      v.check((l) => Object.keys(l).length > 0, "expected at least one label, got an empty mapping"),
    ),
  },
  { unsupported: { matchExpressions: "selector.matchExpressions is not supported by mk; use matchLabels" } },
);

const SELECTOR_PATHS = [
  ["selector", "matchLabels"],
  ["template", "metadata", "labels"],
];

/** Kubernetes: the selector must select the template's pods, or the PodSet would never see them. */
function checkSelector(
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> } };
  },
  report: Report,
): void {
  const templateLabels = spec.template.metadata.labels;
  const missing = Object.entries(spec.selector.matchLabels).filter(
    ([key, value]) => templateLabels[key] !== value,
  );
  if (missing.length > 0) {
    const wanted = missing.map(([key, value]) => `${key}=${value}`).join(", ");
    report(
      `expected labels matching spec.selector.matchLabels, missing ${wanted}`,
      "template",
      "metadata",
      "labels",
    );
  }
}

const mkTemplate = checkedWhere(
  fields({ metadata: def(templateMetadata, () => ({})), spec: mkTemplateSpec }),
  BACKOFF_PATHS,
  (t, report) => checkBackoffOrder(t.metadata.annotations, t.spec.restartBackoff, report),
);
const kubeTemplate = checkedWhere(
  fields({ metadata: def(templateMetadata, () => ({})), spec: kubeTemplateSpec }),
  BACKOFF_PATHS,
  (t, report) => checkBackoffOrder(t.metadata.annotations, undefined, report),
);

const podSetEntries = {
  // Absent stays absent: apply then keeps the live count (normalize.ts fills 1 for a new object).
  replicas: opt(int(0, MAX_REPLICAS)),
  selector,
  strategy: def(strategy, () => ({})),
  minReadySeconds: def(int(0, MAX_SECONDS), 0),
  progressDeadlineSeconds: def(int(1, MAX_SECONDS), 600),
  revisionHistoryLimit: def(int(0, MAX_INT32), 10),
  /** Absent: apply leaves the paused state alone (mk rollout pause/resume own it). */
  paused: opt(v.boolean()),
};
const podSetPolicy = {};

/** Kubernetes: a rollout must be able to make progress before its deadline. */
function checkDeadline(spec: { minReadySeconds: number; progressDeadlineSeconds: number }, report: Report) {
  if (spec.progressDeadlineSeconds <= spec.minReadySeconds) {
    report(
      `expected more than minReadySeconds (${spec.minReadySeconds}), got ${spec.progressDeadlineSeconds}`,
      "progressDeadlineSeconds",
    );
  }
}

const DEADLINE_PATHS = [["minReadySeconds"], ["progressDeadlineSeconds"]];

const podSetMetadata = metadata({
  podLevel: false,
  maxName: MAX_POD_SET_NAME,
  why: " for a PodSet or Deployment, so that its pod names (<name>-<10-char hash>-<5-char suffix>) fit in 63",
});

/** apiVersion mk/v1, kind PodSet. */
export const podSetSchema = object(
  podSetMetadata,
  checkedWhere(
    checkedWhere(
      fields(
        { ...podSetEntries, template: mkTemplate, rollbackOnFailure: def(v.boolean(), false) },
        podSetPolicy,
      ),
      SELECTOR_PATHS,
      checkSelector,
    ),
    DEADLINE_PATHS,
    checkDeadline,
  ),
);
/** apiVersion apps/v1, kind Deployment: becomes a PodSet. */
export const deploymentSchema = object(
  podSetMetadata,
  checkedWhere(
    checkedWhere(
      fields({ ...podSetEntries, template: kubeTemplate }, podSetPolicy),
      SELECTOR_PATHS,
      checkSelector,
    ),
    DEADLINE_PATHS,
    checkDeadline,
  ),
);

// ---- Node ---------------------------------------------------------------------------------------

/** Docker endpoints mk can reach: a local unix socket, or a remote engine over ssh. */
export function dockerEndpointError(value: string): string | undefined {
  const usage = `expected "unix:///path/to/docker.sock" or "ssh://user@host[:port]", got ${describeValue(value)}`;
  if (value.startsWith("unix://")) return /^unix:\/\/\/\S+$/.test(value) ? undefined : usage;
  const ssh = /^ssh:\/\/([^@/:\s]+)@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?\/?$/.exec(value);
  if (!ssh) return usage;
  const port = ssh[3] === undefined ? 22 : Number(ssh[3]);
  return port >= 1 && port <= 65535
    ? undefined
    : `expected an ssh port 1..65535, got ${describeValue(value)}`;
}

const taint = fields(
  { key: text(labelKeyError), value: opt(text(labelValueError)), effect: v.picklist(TAINT_EFFECTS) },
  { ignored: ["timeAdded"] },
);

const nodeSpec = checked(
  fields({
    docker: text(dockerEndpointError),
    identityFile: opt(text((f) => (f === "" ? "expected a file path, got an empty string" : undefined))),
    socketPath: opt(
      text((p) => (p.startsWith("/") ? undefined : `expected an absolute path, got ${describeValue(p)}`)),
    ),
    taints: def(v.array(taint), () => []),
    unschedulable: def(v.boolean(), false),
  }),
  (spec, report) => {
    if (!spec.docker.startsWith("ssh://")) {
      if (spec.identityFile !== undefined)
        report("expected only with an ssh:// docker endpoint", "identityFile");
      if (spec.socketPath !== undefined) report("expected only with an ssh:// docker endpoint", "socketPath");
    }
    const seen = new Set<string>();
    for (const [i, t] of spec.taints.entries()) {
      const id = `${t.key}:${t.effect}`;
      if (seen.has(id)) report(`duplicate taint ${id}`, "taints", i);
      seen.add(id);
    }
  },
);

/** apiVersion mk/v1, kind Node. */
export const nodeSchema = object(metadata({ podLevel: false }), nodeSpec);

// ---- Autoscaler and HorizontalPodAutoscaler (fields in autoscaler-schema.ts) --------------------

const autoscalerMetadata = metadata({ podLevel: false });
/** apiVersion mk/v1, kind Autoscaler. */
export const autoscalerSchema = object(autoscalerMetadata, mkAutoscalerSpec);
/** apiVersion autoscaling/v1, kind HorizontalPodAutoscaler: becomes an Autoscaler. */
export const hpaV1Schema = object(autoscalerMetadata, hpaV1Spec);
/** apiVersion autoscaling/v2, kind HorizontalPodAutoscaler: becomes an Autoscaler. */
export const hpaV2Schema = object(autoscalerMetadata, hpaV2Spec);

export type MkPodInput = v.InferOutput<typeof mkPodSchema>;
export type KubePodInput = v.InferOutput<typeof kubePodSchema>;
export type PodSetInput = v.InferOutput<typeof podSetSchema>;
export type DeploymentInput = v.InferOutput<typeof deploymentSchema>;
export type NodeInput = v.InferOutput<typeof nodeSchema>;
export type AutoscalerInput = v.InferOutput<typeof autoscalerSchema>;
export type HpaV1Input = v.InferOutput<typeof hpaV1Schema>;
export type HpaV2Input = v.InferOutput<typeof hpaV2Schema>;
