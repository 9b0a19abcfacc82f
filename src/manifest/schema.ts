// valibot schemas of the raw documents mk accepts, and the only source of their types. They check
// everything that can be checked on one document and fill in Kubernetes defaults; normalize.ts then
// reshapes their output into the object model of types.ts. Each mapping's field policy lists the
// Kubernetes fields that are accepted and ignored, and those refused because mk cannot honour them
// (docs/manifests.md explains each). Cross-field rules that Kubernetes enforces are crossChecks.

import * as v from "valibot";
import { MAX_BACKOFF_MS, MAX_POD_SET_NAME, MAX_REPLICAS, MAX_SECONDS } from "./limits.ts";
import { describeValue } from "./messages.ts";
import {
  dns1123LabelError,
  envNameError,
  ipError,
  labelKeyError,
  labelValueError,
  portNameError,
} from "./names.ts";
import { parseCpuMillis, parseDurationMs, parseMemoryBytes } from "./quantity.ts";
import {
  converted,
  crossCheck,
  def,
  fields,
  int,
  nonEmptyList,
  notSupported,
  opt,
  type Report,
  text,
  valid,
} from "./schema-parts.ts";
import { suggest } from "./suggest.ts";

const MAX_INT32 = 2_147_483_647;
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

// ---- metadata ------------------------------------------------------------------------------------

export const BACKOFF_ANNOTATIONS = {
  initial: "mk/restart-backoff-initial",
  max: "mk/restart-backoff-max",
  reset: "mk/restart-backoff-reset",
} as const;
const BACKOFF_PREFIX = "mk/restart-backoff-";

/** A back-off duration: above zero and at most a day. */
export function parseBackoffMs(value: string | number): number {
  const ms = parseDurationMs(value);
  if (ms <= 0) throw new RangeError(`expected a duration above 0, got ${describeValue(value)}`);
  if (ms > MAX_BACKOFF_MS) throw new RangeError(`expected a duration of at most 24h, got ${describeValue(value)}`);
  return ms;
}

const labels = v.record(text(labelKeyError), text(labelValueError));

/** Annotations: any string values; the mk/restart-backoff-* ones are checked where they apply. */
function annotations(podLevel: boolean) {
  const known = Object.values(BACKOFF_ANNOTATIONS) as string[];
  return v.pipe(
    v.record(text(labelKeyError), v.string()),
    crossCheck<Record<string, string>>((values, report) => {
      for (const [key, value] of Object.entries(values)) {
        if (!key.startsWith(BACKOFF_PREFIX)) continue;
        if (!known.includes(key)) {
          const hint = suggest(key, known);
          report(`unknown mk annotation ${JSON.stringify(key)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ""}`, key);
        } else if (!podLevel) {
          report(`${key} applies to pods only: put it on a Pod or in spec.template.metadata.annotations`, key);
        } else {
          try {
            parseBackoffMs(value);
          } catch (err) {
            report(err instanceof Error ? err.message : String(err), key);
          }
        }
      }
    }),
  );
}

const IGNORED_METADATA = [
  "namespace",
  "creationTimestamp",
  "uid",
  "resourceVersion",
  "generation",
  "managedFields",
  "selfLink",
];

function metadata(opts: { maxName?: number; why?: string; podLevel: boolean }) {
  return fields(
    {
      name: text((name) => dns1123LabelError(name, opts.maxName, opts.why)),
      labels: def(labels, () => ({})),
      annotations: def(annotations(opts.podLevel), () => ({})),
    },
    {
      ignored: IGNORED_METADATA,
      unsupported: notSupported(["generateName", "ownerReferences", "finalizers", "deletionTimestamp"], {
        generateName: "generateName is not supported by mk: give the object a name",
      }),
    },
  );
}

const templateMetadata = fields(
  {
    labels: def(labels, () => ({})),
    annotations: def(annotations(true), () => ({})),
  },
  { ignored: ["creationTimestamp", "name", "namespace"] },
);

// ---- containers -----------------------------------------------------------------------------------

const portNumber = int(1, 65535);

/** A probe port: a number, or the name of one of the container's ports. */
const portRef = v.pipe(
  v.union(
    [v.number(), v.string()],
    (issue) => `expected port number 1..65535 or port name, got ${describeValue(issue.input)}`,
  ),
  valid<number | string>((port) => {
    if (typeof port === "number") {
      return Number.isInteger(port) && port >= 1 && port <= 65535
        ? undefined
        : `expected port number 1..65535 or port name, got ${describeValue(port)}`;
    }
    const error = portNameError(port);
    return error && /^\d+$/.test(port) ? `${error} (write ${port} without quotes for a port number)` : error;
  }),
);

const containerPort = fields({
  name: opt(text(portNameError)),
  containerPort: portNumber,
  hostPort: opt(portNumber),
  hostIP: opt(text(ipError)),
  protocol: def(
    v.picklist(["TCP", "UDP"], (issue) =>
      issue.input === "SCTP"
        ? "protocol SCTP is not supported by mk; use TCP or UDP"
        : `expected one of "TCP", "UDP", got ${describeValue(issue.input)}`,
    ),
    "TCP",
  ),
});

const envVar = fields(
  { name: text(envNameError), value: def(v.string(), "") },
  { unsupported: { valueFrom: "env valueFrom is not supported by mk" } },
);

const resourceAmounts = fields(
  {
    cpu: opt(converted(parseCpuMillis, `cpu quantity like "500m" or "0.5"`)),
    memory: opt(converted(parseMemoryBytes, `memory quantity like "128Mi" or "1G"`)),
  },
  { unknown: (key) => `resource ${key} is not supported by mk; only cpu and memory` },
);

const resources = v.pipe(
  fields(
    { requests: def(resourceAmounts, () => ({})), limits: def(resourceAmounts, () => ({})) },
    { unsupported: notSupported(["claims"]) },
  ),
  crossCheck<{ requests: { cpu?: number; memory?: number }; limits: { cpu?: number; memory?: number } }>(
    ({ requests, limits }, report) => {
      if (requests.cpu !== undefined && limits.cpu !== undefined && requests.cpu > limits.cpu) {
        report(`must be less than or equal to the cpu limit (${limits.cpu}m), got ${requests.cpu}m`, "requests", "cpu");
      }
      if (requests.memory !== undefined && limits.memory !== undefined && requests.memory > limits.memory) {
        report(
          `must be less than or equal to the memory limit (${limits.memory} bytes), got ${requests.memory} bytes`,
          "requests",
          "memory",
        );
      }
    },
  ),
);

const httpGet = fields({
  path: def(v.string(), "/"),
  port: portRef,
  host: opt(v.string()),
  scheme: def(
    v.picklist(["HTTP"], (issue) =>
      issue.input === "HTTPS"
        ? "HTTPS probes are not supported by mk; use HTTP"
        : `expected "HTTP", got ${describeValue(issue.input)}`,
    ),
    "HTTP",
  ),
  httpHeaders: def(v.array(fields({ name: text((n) => (n === "" ? "expected a header name" : undefined)), value: v.string() })), () => []),
});

const tcpSocket = fields({ port: portRef, host: opt(v.string()) });
const execAction = fields({ command: nonEmptyList(v.string(), "word") });

type ProbeKind = "liveness" | "readiness" | "startup";
const HANDLERS = ["httpGet", "tcpSocket", "exec"] as const;

function probe(kind: ProbeKind) {
  // Kubernetes: liveness and startup probes must succeed once; only readiness may need more.
  const successThreshold =
    kind === "readiness"
      ? int(1, MAX_INT32)
      : v.pipe(
          v.number(),
          v.check((n) => n === 1, (issue) => `expected 1 for a ${kind} probe, like Kubernetes, got ${describeValue(issue.input)}`),
        );
  return v.pipe(
    fields(
      {
        httpGet: opt(httpGet),
        tcpSocket: opt(tcpSocket),
        exec: opt(execAction),
        initialDelaySeconds: def(int(0, MAX_SECONDS), 0),
        periodSeconds: def(int(1, MAX_SECONDS), 10),
        timeoutSeconds: def(int(1, MAX_SECONDS), 1),
        successThreshold: def(successThreshold, 1),
        failureThreshold: def(int(1, MAX_INT32), 3),
      },
      {
        unsupported: notSupported(["grpc", "terminationGracePeriodSeconds"], {
          grpc: "grpc probes are not supported by mk; use httpGet, tcpSocket or exec",
        }),
      },
    ),
    crossCheck<Partial<Record<(typeof HANDLERS)[number], unknown>>>((p, report) => {
      const given = HANDLERS.filter((h) => p[h] !== undefined);
      if (given.length === 0) report("expected one of httpGet, tcpSocket or exec");
      for (const extra of given.slice(1)) report(`only one handler is allowed, and ${given[0]} is already given`, extra);
    }),
  );
}

const IMAGE_PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

const container = v.pipe(
  fields(
    {
      name: text((name) => dns1123LabelError(name)),
      image: text((image) =>
        image === "" || /\s/.test(image) ? `expected an image reference without spaces, got ${describeValue(image)}` : undefined,
      ),
      imagePullPolicy: opt(v.picklist(IMAGE_PULL_POLICIES)),
      command: opt(v.array(v.string())),
      args: opt(v.array(v.string())),
      workingDir: opt(v.string()),
      env: def(v.array(envVar), () => []),
      ports: def(v.array(containerPort), () => []),
      resources: def(resources, () => ({})),
      livenessProbe: opt(probe("liveness")),
      readinessProbe: opt(probe("readiness")),
      startupProbe: opt(probe("startup")),
    },
    {
      ignored: ["terminationMessagePath", "terminationMessagePolicy"],
      unsupported: notSupported([
        "volumeMounts",
        "volumeDevices",
        "securityContext",
        "lifecycle",
        "envFrom",
        "stdin",
        "stdinOnce",
        "tty",
        "resizePolicy",
        "restartPolicy",
      ]),
    },
  ),
  crossCheck<{
    name: string;
    ports: { name?: string }[];
    livenessProbe?: ProbePorts;
    readinessProbe?: ProbePorts;
    startupProbe?: ProbePorts;
  }>((c, report) => {
    const names = new Map<string, number>();
    for (const [i, port] of c.ports.entries()) {
      if (port.name === undefined) continue;
      const first = names.get(port.name);
      if (first !== undefined) report(`duplicate port name ${JSON.stringify(port.name)}, also used by ports[${first}]`, "ports", i, "name");
      else names.set(port.name, i);
    }
    for (const key of ["livenessProbe", "readinessProbe", "startupProbe"] as const) {
      for (const handler of ["httpGet", "tcpSocket"] as const) {
        const port = c[key]?.[handler]?.port;
        if (typeof port === "string" && !names.has(port)) {
          const known = [...names.keys()].map((n) => JSON.stringify(n)).join(", ") || "none";
          report(`port ${JSON.stringify(port)} is not a named port of container ${JSON.stringify(c.name)} (named ports: ${known})`, key, handler, "port");
        }
      }
    }
  }),
);

type ProbePorts = { httpGet?: { port: number | string }; tcpSocket?: { port: number | string } };

// ---- pods -----------------------------------------------------------------------------------------

const toleration = v.pipe(
  fields({
    key: opt(text((key) => (key === "" ? undefined : labelKeyError(key)))),
    operator: def(v.picklist(["Equal", "Exists"]), "Equal"),
    value: opt(v.string()),
    // Kubernetes reads an empty effect as "all effects", like an absent one.
    effect: opt(
      v.pipe(
        v.picklist(["", ...TAINT_EFFECTS]),
        v.transform((effect) => (effect === "" ? undefined : effect)),
      ),
    ),
    tolerationSeconds: opt(int(0, MAX_SECONDS)),
  }),
  crossCheck<{ key?: string; operator: string; value?: string; effect?: string; tolerationSeconds?: number }>(
    (t, report) => {
      if (t.operator === "Exists" && t.value) report("expected no value when operator is Exists", "value");
      if (t.operator === "Equal" && !t.key) report("expected operator Exists when key is empty", "operator");
      if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
        report("tolerationSeconds is only allowed with effect NoExecute", "tolerationSeconds");
      }
    },
  ),
);

const restartBackoff = fields({
  initial: opt(converted(parseBackoffMs, `duration like "1s"`)),
  max: opt(converted(parseBackoffMs, `duration like "60s"`)),
  reset: opt(converted(parseBackoffMs, `duration like "10m"`)),
});

const IGNORED_POD_FIELDS = [
  "dnsPolicy",
  "schedulerName",
  "serviceAccountName",
  "serviceAccount",
  "automountServiceAccountToken",
  "enableServiceLinks",
  "priority",
];

const UNSUPPORTED_POD_FIELDS = [
  "volumes",
  "initContainers",
  "ephemeralContainers",
  "securityContext",
  "hostNetwork",
  "hostPID",
  "hostIPC",
  "hostUsers",
  "shareProcessNamespace",
  "affinity",
  "topologySpreadConstraints",
  "imagePullSecrets",
  "hostname",
  "subdomain",
  "setHostnameAsFQDN",
  "hostAliases",
  "dnsConfig",
  "runtimeClassName",
  "overhead",
  "readinessGates",
  "activeDeadlineSeconds",
  "priorityClassName",
  "preemptionPolicy",
  "os",
  "schedulingGates",
  "resourceClaims",
  "resources",
];

function podSpecEntries(template: boolean) {
  return {
    containers: v.pipe(
      nonEmptyList(container, "container"),
      crossCheck<{ name: string }[]>((containers, report) => {
        const seen = new Set<string>();
        for (const [i, c] of containers.entries()) {
          if (seen.has(c.name)) report(`duplicate container name ${JSON.stringify(c.name)}`, i, "name");
          seen.add(c.name);
        }
      }),
    ),
    restartPolicy: template
      ? def(
          v.picklist(
            ["Always"],
            (issue) =>
              `expected Always in a pod template, like Kubernetes (a PodSet replaces pods that stop), got ${describeValue(issue.input)}`,
          ),
          "Always",
        )
      : def(v.picklist(["Always", "OnFailure", "Never"]), "Always"),
    nodeSelector: def(labels, () => ({})),
    tolerations: def(v.array(toleration), () => []),
    terminationGracePeriodSeconds: def(int(0, MAX_SECONDS), 30),
    nodeName: opt(text((name) => dns1123LabelError(name))),
  };
}

const podSpecPolicy = (mk: boolean) => ({
  ignored: IGNORED_POD_FIELDS,
  unsupported: notSupported(mk ? UNSUPPORTED_POD_FIELDS : [...UNSUPPORTED_POD_FIELDS, "restartBackoff"], {
    restartBackoff:
      "restartBackoff is an mk/v1 field; with this apiVersion use the mk/restart-backoff-* annotations",
  }),
});

const kubePodSpec = (template: boolean) => fields(podSpecEntries(template), podSpecPolicy(false));
const mkPodSpec = (template: boolean) =>
  fields({ ...podSpecEntries(template), restartBackoff: opt(restartBackoff) }, podSpecPolicy(true));

type BackoffSource = {
  metadata: { annotations: Record<string, string> };
  spec: { restartBackoff?: { initial?: number; max?: number } };
};

/** initial <= max, where each comes from spec.restartBackoff or else from its annotation. */
const backoffOrder = (specPath: readonly string[], metadataPath: readonly string[]) =>
  crossCheck<BackoffSource>((pod, report) => {
    const pick = (field: "initial" | "max") => {
      const fromSpec = pod.spec.restartBackoff?.[field];
      if (fromSpec !== undefined) return { ms: fromSpec, path: [...specPath, "restartBackoff", field] };
      const annotation = pod.metadata.annotations[BACKOFF_ANNOTATIONS[field]];
      if (annotation === undefined) return undefined;
      try {
        return { ms: parseBackoffMs(annotation), path: [...metadataPath, "annotations", BACKOFF_ANNOTATIONS[field]] };
      } catch {
        return undefined; // reported by the annotation check
      }
    };
    const initial = pick("initial");
    const max = pick("max");
    if (initial && max && initial.ms > max.ms) {
      report(`initial back-off (${initial.ms}ms) must not exceed max back-off (${max.ms}ms)`, ...initial.path);
    }
  });

const top = <M extends v.GenericSchema, S extends v.GenericSchema>(meta: M, spec: S) =>
  fields({ apiVersion: v.string(), kind: v.string(), metadata: meta, spec }, { ignored: ["status"] });

// ---- objects --------------------------------------------------------------------------------------

const podMetadata = metadata({ podLevel: true });

/** apiVersion mk/v1, kind Pod. */
export const mkPodSchema = v.pipe(top(podMetadata, mkPodSpec(false)), backoffOrder(["spec"], ["metadata"]));
/** apiVersion v1, kind Pod. */
export const kubePodSchema = v.pipe(top(podMetadata, kubePodSpec(false)), backoffOrder(["spec"], ["metadata"]));

const intOrPercent = (max100: boolean) =>
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
      return max100 && Number(match[1]) > 100 ? `expected a percentage of at most 100%, got ${describeValue(value)}` : undefined;
    }),
  );

const isZero = (value: number | string | undefined) => value === 0 || (typeof value === "string" && /^0+%$/.test(value));

const strategy = v.pipe(
  fields({
    type: opt(v.picklist(["Recreate", "RollingUpdate"])),
    rollingUpdate: opt(fields({ maxSurge: opt(intOrPercent(false)), maxUnavailable: opt(intOrPercent(true)) })),
  }),
  crossCheck<{
    type?: string;
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  }>((s, report) => {
    if (s.type === "Recreate" && s.rollingUpdate !== undefined) {
      report("expected no rollingUpdate when type is Recreate", "rollingUpdate");
    }
    // Kubernetes defaults an absent value to 25%, so only two explicit zeros can block a rollout.
    const r = s.rollingUpdate;
    if (r && isZero(r.maxSurge) && isZero(r.maxUnavailable)) {
      report("expected maxUnavailable above 0 when maxSurge is 0, or no rollout could progress", "rollingUpdate", "maxUnavailable");
    }
  }),
);

const podSetName = {
  maxName: MAX_POD_SET_NAME,
  why: ` for a PodSet or Deployment, so that pod names <name>-<10-char hash>-<5-char suffix> fit in 63`,
  podLevel: false,
};

type SelectorSource = { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };

function podSetSpec<T extends v.GenericSchema>(template: T) {
  return v.pipe(
    fields(
      {
        replicas: def(int(0, MAX_REPLICAS), 1),
        selector: fields(
          {
            matchLabels: v.pipe(
              labels,
              v.check((l) => Object.keys(l).length > 0, "expected at least one label, got an empty mapping"),
            ),
          },
          {
            unsupported: {
              matchExpressions: "selector.matchExpressions is not supported by mk; use matchLabels",
            },
          },
        ),
        template,
        strategy: def(strategy, () => ({})),
        minReadySeconds: def(int(0, MAX_SECONDS), 0),
      },
      {
        ignored: ["revisionHistoryLimit", "progressDeadlineSeconds"],
        unsupported: notSupported(["paused"]),
      },
    ),
    crossCheck<SelectorSource>((spec, report) => {
      const labels = spec.template.metadata.labels;
      const missing = Object.entries(spec.selector.matchLabels).filter(([k, value]) => labels[k] !== value);
      if (missing.length > 0) {
        const wanted = missing.map(([k, value]) => `${k}=${value}`).join(", ");
        report(`expected the labels of spec.selector.matchLabels (missing ${wanted}), as Kubernetes requires`, "template", "metadata", "labels");
      }
    }),
  );
}

const template = <S extends v.GenericSchema>(spec: S) =>
  v.pipe(
    fields({ metadata: def(templateMetadata, () => ({})), spec }, {}),
    backoffOrder(["spec"], ["metadata"]),
  );

/** apiVersion mk/v1, kind PodSet. */
export const podSetSchema = top(metadata(podSetName), podSetSpec(template(mkPodSpec(true))));
/** apiVersion apps/v1, kind Deployment (becomes a PodSet). */
export const deploymentSchema = top(metadata(podSetName), podSetSpec(template(kubePodSpec(true))));

const taint = fields(
  {
    key: text(labelKeyError),
    value: opt(text(labelValueError)),
    effect: v.picklist(TAINT_EFFECTS),
  },
  { ignored: ["timeAdded"] },
);

/** Docker endpoints mk can reach: a local unix socket, or a remote engine over ssh. */
export function dockerEndpointError(value: string): string | undefined {
  const usage = `expected "unix:///path/to/docker.sock" or "ssh://user@host[:port]", got ${describeValue(value)}`;
  if (value.startsWith("unix://")) return /^unix:\/\/\/\S+$/.test(value) ? undefined : usage;
  const ssh = /^ssh:\/\/([^@/:\s]+)@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d+))?\/?$/.exec(value);
  if (!ssh) return usage;
  const port = ssh[3] === undefined ? 22 : Number(ssh[3]);
  return port >= 1 && port <= 65535 ? undefined : `expected ssh port 1..65535, got ${port}`;
}

const nodeSpec = v.pipe(
  fields({
    docker: text(dockerEndpointError),
    identityFile: opt(text((f) => (f === "" ? "expected a file path" : undefined))),
    socketPath: opt(text((p) => (p.startsWith("/") ? undefined : `expected an absolute path, got ${describeValue(p)}`))),
    taints: def(v.array(taint), () => []),
    unschedulable: def(v.boolean(), false),
  }),
  crossCheck<{ docker: string; identityFile?: string; socketPath?: string; taints: { key: string; effect: string }[] }>(
    (spec, report: Report) => {
      if (!spec.docker.startsWith("ssh://")) {
        if (spec.identityFile !== undefined) report("identityFile applies to ssh:// docker endpoints only", "identityFile");
        if (spec.socketPath !== undefined) report("socketPath applies to ssh:// docker endpoints only", "socketPath");
      }
      const seen = new Set<string>();
      for (const [i, t] of spec.taints.entries()) {
        const id = `${t.key}:${t.effect}`;
        if (seen.has(id)) report(`duplicate taint ${id}`, "taints", i);
        seen.add(id);
      }
    },
  ),
);

/** apiVersion mk/v1, kind Node. */
export const nodeSchema = top(metadata({ podLevel: false }), nodeSpec);

const autoscalerSpec = v.pipe(
  fields({
    target: fields(
      {
        // A Deployment is a PodSet once applied, so either name is accepted.
        kind: v.pipe(
          v.picklist(["PodSet", "Deployment"]),
          v.transform(() => "PodSet" as const),
        ),
        name: text((name) => dns1123LabelError(name)),
      },
      { ignored: ["apiVersion"] },
    ),
    minReplicas: def(int(1, MAX_REPLICAS), 1),
    maxReplicas: int(1, MAX_REPLICAS),
    targetCPUUtilizationPercentage: def(int(1, 1000), 80),
  }),
  crossCheck<{ minReplicas: number; maxReplicas: number }>((spec, report) => {
    if (spec.maxReplicas < spec.minReplicas) {
      report(`expected at least minReplicas (${spec.minReplicas}), got ${spec.maxReplicas}`, "maxReplicas");
    }
  }),
);

/** apiVersion mk/v1, kind Autoscaler. */
export const autoscalerSchema = top(metadata({ podLevel: false }), autoscalerSpec);

export type MkPodInput = v.InferOutput<typeof mkPodSchema>;
export type KubePodInput = v.InferOutput<typeof kubePodSchema>;
export type PodSetInput = v.InferOutput<typeof podSetSchema>;
export type DeploymentInput = v.InferOutput<typeof deploymentSchema>;
export type NodeInput = v.InferOutput<typeof nodeSchema>;
export type AutoscalerInput = v.InferOutput<typeof autoscalerSchema>;
