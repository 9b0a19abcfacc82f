// The normalized object model: what the manifest parser produces (with every default filled in)
// and what the store, scheduler and reconciler consume. Kubernetes quantities are already converted
// (cpu to millicores, memory to bytes), Deployments are already PodSets, v1 Pods are mk Pods.
// The parser pins its valibot output to these types with compile-time assignments.

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  labels: Labels;
  annotations: Labels;
}

export type ProbeHandler =
  | {
      type: "httpGet";
      path: string;
      /** A number, or the name of one of the container's ports. */
      port: number | string;
      host?: string;
      scheme: "HTTP";
      httpHeaders: { name: string; value: string }[];
    }
  | { type: "tcpSocket"; port: number | string; host?: string }
  | { type: "exec"; command: string[] };

export interface Probe {
  handler: ProbeHandler;
  initialDelaySeconds: number; // default 0
  periodSeconds: number; // default 10
  timeoutSeconds: number; // default 1
  successThreshold: number; // default 1
  failureThreshold: number; // default 3
}

export interface ResourceAmounts {
  cpuMilli?: number;
  memoryBytes?: number;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol: "TCP" | "UDP";
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** Kubernetes default: Always for a `:latest` or untagged image, IfNotPresent otherwise. */
  imagePullPolicy: "Always" | "IfNotPresent" | "Never";
  command?: string[];
  args?: string[];
  workingDir?: string;
  env: { name: string; value: string }[];
  ports: ContainerPort[];
  resources: { requests: ResourceAmounts; limits: ResourceAmounts };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Toleration {
  key?: string;
  operator: "Equal" | "Exists";
  value?: string;
  effect?: TaintEffect;
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** Per-pod override of the server's crash-loop back-off (mk extension). */
export interface RestartBackoff {
  initialMs?: number;
  maxMs?: number;
  resetMs?: number;
}

export interface PodSpec {
  containers: ContainerSpec[];
  restartPolicy: "Always" | "OnFailure" | "Never"; // default Always
  nodeSelector: Labels;
  tolerations: Toleration[];
  terminationGracePeriodSeconds: number; // default 30
  /** Pins the pod to one node, bypassing the scheduler's scoring (filters still apply). */
  nodeName?: string;
  restartBackoff?: RestartBackoff;
}

export interface PodTemplate {
  metadata: { labels: Labels; annotations: Labels };
  spec: PodSpec;
}

export interface PodSetSpec {
  replicas: number; // default 1
  selector: { matchLabels: Labels };
  template: PodTemplate;
  strategy:
    | { type: "Recreate" }
    | { type: "RollingUpdate"; maxSurge: number | string; maxUnavailable: number | string }; // defaults 25% / 25%
  minReadySeconds: number; // default 0
  progressDeadlineSeconds: number; // default 600
  revisionHistoryLimit: number; // default 10
  /** Set: apply pauses or resumes the rollout; absent: the paused state is left as it is. */
  paused?: boolean;
  /** mk extension: undo by itself when the progress deadline passes (default false). */
  rollbackOnFailure: boolean;
}

export interface NodeSpec {
  /** `unix:///var/run/docker.sock` or `ssh://user@host[:port]`. */
  docker: string;
  identityFile?: string;
  /** Docker socket path on the remote host (ssh only); default /var/run/docker.sock. */
  socketPath?: string;
  taints: Taint[];
  unschedulable: boolean;
}

/** What a metric is compared with: a percentage of the pods' requests, or an average amount. */
export type MetricTarget =
  | { type: "Utilization"; averageUtilization: number }
  /** Millicores for cpu, bytes for memory. */
  | { type: "AverageValue"; averageValue: number };

export interface ResourceMetric {
  type: "Resource";
  resource: "cpu" | "memory";
  target: MetricTarget;
}

export interface ScalingPolicy {
  type: "Pods" | "Percent";
  value: number;
  periodSeconds: number;
}

/** One direction of HorizontalPodAutoscaler behavior, with Kubernetes' defaults filled in. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: "Max" | "Min" | "Disabled";
  policies: ScalingPolicy[];
  /** This direction's tolerance, when the manifest sets one (else --autoscaler-tolerance). */
  tolerance?: number;
}

/**
 * mk/v1 Autoscaler, autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscaler all normalize to
 * this: Kubernetes' v2 model with every default filled in.
 */
export interface AutoscalerSpec {
  target: { kind: "PodSet"; name: string };
  minReplicas: number; // default 1
  maxReplicas: number;
  metrics: ResourceMetric[]; // default: cpu at 80 % of the request
  behavior: { scaleUp: ScalingRules; scaleDown: ScalingRules };
}

/** Where an object came from: for error messages and `mk describe`. */
export interface SourceRef {
  file: string;
  line: number;
  /** 0-based index of the YAML document in the file. */
  doc: number;
  apiVersion: string;
}

export type PodObject = { kind: "Pod"; metadata: ObjectMeta; spec: PodSpec };
export type PodSetObject = {
  kind: "PodSet";
  metadata: ObjectMeta;
  spec: PodSetSpec;
  /** The manifest left spec.replicas out: apply keeps the live count (an autoscaler's, mk scale's). */
  replicasOmitted?: true;
};
export type NodeObject = { kind: "Node"; metadata: ObjectMeta; spec: NodeSpec };
export type AutoscalerObject = { kind: "Autoscaler"; metadata: ObjectMeta; spec: AutoscalerSpec };

export type MkObjectBody = PodObject | PodSetObject | NodeObject | AutoscalerObject;
export type MkObject = MkObjectBody & { source: SourceRef };
export type Kind = MkObjectBody["kind"];
export const KINDS: readonly Kind[] = ["Pod", "PodSet", "Node", "Autoscaler"];
