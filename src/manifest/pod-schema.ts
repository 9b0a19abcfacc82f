// valibot schemas of a pod spec and its containers: the Kubernetes subset mk runs (types.ts), with
// Kubernetes defaults filled in. Fields mk cannot honour are refused by name in the field policies.

import * as v from "valibot";
import { MAX_BACKOFF_MS, MAX_SECONDS } from "./limits.ts";
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
  checked,
  checkedWhere,
  converted,
  def,
  fields,
  int,
  nonEmptyList,
  notSupported,
  opt,
  text,
  valid,
} from "./schema-parts.ts";

export const MAX_INT32 = 2_147_483_647;
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** Label maps (labels, nodeSelector, matchLabels): keys and values checked like Kubernetes. */
export const labels = v.record(text(labelKeyError), text(labelValueError));

// ---- containers ---------------------------------------------------------------------------------

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

const resources = checked(
  fields(
    { requests: def(resourceAmounts, () => ({})), limits: def(resourceAmounts, () => ({})) },
    { unsupported: notSupported(["claims"]) },
  ),
  ({ requests, limits }, report) => {
    if (requests.cpu !== undefined && limits.cpu !== undefined && requests.cpu > limits.cpu) {
      report(`expected at most the cpu limit (${limits.cpu}m), got ${requests.cpu}m`, "requests", "cpu");
    }
    if (requests.memory !== undefined && limits.memory !== undefined && requests.memory > limits.memory) {
      report(
        `expected at most the memory limit (${limits.memory} bytes), got ${requests.memory} bytes`,
        "requests",
        "memory",
      );
    }
  },
);

const httpHeader = fields({
  name: text((n) => (n === "" ? "expected a header name" : undefined)),
  value: v.string(),
});

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
  httpHeaders: def(v.array(httpHeader), () => []),
});

const tcpSocket = fields({ port: portRef, host: opt(v.string()) });
const execAction = fields({ command: nonEmptyList(v.string(), "word") });

const HANDLERS = ["httpGet", "tcpSocket", "exec"] as const;

function probe(kind: "liveness" | "readiness" | "startup") {
  // Kubernetes: liveness and startup probes must succeed once; only readiness may ask for more.
  const successThreshold =
    kind === "readiness"
      ? int(1, MAX_INT32)
      : v.pipe(
          v.number(),
          v.check(
            (n) => n === 1,
            (issue) => `expected 1 for a ${kind} probe, like Kubernetes, got ${describeValue(issue.input)}`,
          ),
        );
  return checked(
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
    (p, report) => {
      const given = HANDLERS.filter((h) => p[h] !== undefined);
      if (given.length === 0) report("expected one of httpGet, tcpSocket or exec");
      for (const extra of given.slice(1))
        report(`expected only one handler, and ${given[0]} is already given`, extra);
    },
  );
}

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;

const container = checkedWhere(
  fields(
    {
      name: text((name) => dns1123LabelError(name)),
      image: text((image) =>
        image === "" || /\s/.test(image)
          ? `expected an image reference without spaces, got ${describeValue(image)}`
          : undefined,
      ),
      imagePullPolicy: opt(v.picklist(["Always", "IfNotPresent", "Never"])),
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
  [["ports"]],
  (c, report, typed) => {
    const portNames = new Map<string, number>();
    for (const [i, port] of c.ports.entries()) {
      if (port.name === undefined) continue;
      const first = portNames.get(port.name);
      if (first === undefined) portNames.set(port.name, i);
      else
        report(
          `duplicate port name ${JSON.stringify(port.name)}, also used by ports[${first}]`,
          "ports",
          i,
          "name",
        );
    }
    for (const key of PROBES.filter((probe) => typed(probe))) {
      for (const handler of ["httpGet", "tcpSocket"] as const) {
        const port = c[key]?.[handler]?.port;
        if (typeof port !== "string" || portNames.has(port)) continue;
        const known = [...portNames.keys()].map((n) => JSON.stringify(n)).join(", ") || "none";
        report(
          `port ${JSON.stringify(port)} is not a named port of this container (named ports: ${known})`,
          key,
          handler,
          "port",
        );
      }
    }
  },
);

// ---- pod spec -----------------------------------------------------------------------------------

const toleration = checked(
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
  (t, report) => {
    if (t.operator === "Exists" && t.value) report("expected no value when operator is Exists", "value");
    if (t.operator === "Equal" && !t.key) report("expected operator Exists when key is empty", "operator");
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      report("expected effect NoExecute with tolerationSeconds", "tolerationSeconds");
    }
  },
);

/** A back-off duration: above zero and at most a day. */
export function parseBackoffMs(value: string | number): number {
  const ms = parseDurationMs(value);
  if (ms <= 0) throw new RangeError(`expected a duration above 0, got ${describeValue(value)}`);
  if (ms > MAX_BACKOFF_MS)
    throw new RangeError(`expected a duration of at most 24h, got ${describeValue(value)}`);
  return ms;
}

const backoffDuration = (example: string) => opt(converted(parseBackoffMs, `duration like "${example}"`));

/** mk extension (mk/v1 only): per-pod override of the crash-loop back-off. */
const restartBackoff = fields({
  initial: backoffDuration("1s"),
  max: backoffDuration("60s"),
  reset: backoffDuration("10m"),
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

const containers = checked(nonEmptyList(container, "container"), (list, report) => {
  const seen = new Set<string>();
  for (const [i, c] of list.entries()) {
    if (seen.has(c.name)) report(`duplicate container name ${JSON.stringify(c.name)}`, i, "name");
    seen.add(c.name);
  }
});

const podRestartPolicy = def(v.picklist(["Always", "OnFailure", "Never"]), "Always");
// A PodSet replaces pods; a pod that stops for good would never be replaced, as in Kubernetes.
const templateRestartPolicy = def(
  v.picklist(
    ["Always"],
    (issue) => `expected Always in a pod template, like Kubernetes, got ${describeValue(issue.input)}`,
  ),
  "Always",
);

function podSpecEntries<R extends v.GenericSchema>(restartPolicy: R) {
  return {
    containers,
    restartPolicy,
    nodeSelector: def(labels, () => ({})),
    tolerations: def(v.array(toleration), () => []),
    terminationGracePeriodSeconds: def(int(0, MAX_SECONDS), 30),
    nodeName: opt(text((name) => dns1123LabelError(name))),
  };
}

const kubePolicy = {
  ignored: IGNORED_POD_FIELDS,
  unsupported: notSupported([...UNSUPPORTED_POD_FIELDS, "restartBackoff"], {
    restartBackoff:
      "restartBackoff is an mk/v1 field; with this apiVersion use the mk/restart-backoff-* annotations",
  }),
};
const mkPolicy = { ignored: IGNORED_POD_FIELDS, unsupported: notSupported(UNSUPPORTED_POD_FIELDS) };

/** Pod spec of apiVersion v1 Pods. */
export const kubePodSpec = fields(podSpecEntries(podRestartPolicy), kubePolicy);
/** Pod spec of apps/v1 Deployment templates. */
export const kubeTemplateSpec = fields(podSpecEntries(templateRestartPolicy), kubePolicy);
/** Pod spec of mk/v1 Pods, with the restartBackoff extension. */
export const mkPodSpec = fields(
  { ...podSpecEntries(podRestartPolicy), restartBackoff: opt(restartBackoff) },
  mkPolicy,
);
/** Pod spec of mk/v1 PodSet templates, with the restartBackoff extension. */
export const mkTemplateSpec = fields(
  { ...podSpecEntries(templateRestartPolicy), restartBackoff: opt(restartBackoff) },
  mkPolicy,
);
