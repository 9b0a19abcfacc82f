// apiVersion + kind -> the schema that validates a document and the function that normalizes it.

import * as v from "valibot";
import { schemaMessage } from "./messages.ts";
import {
  normalizeAutoscaler,
  normalizeHpaV1,
  normalizeHpaV2,
  normalizeNode,
  normalizePod,
  normalizePodSet,
} from "./normalize.ts";
import {
  autoscalerSchema,
  deploymentSchema,
  hpaV1Schema,
  hpaV2Schema,
  kubePodSchema,
  mkPodSchema,
  nodeSchema,
  podSetSchema,
} from "./schema.ts";
import type { Kind, MkObjectBody } from "./types.ts";

export interface KindHandler {
  /** The mk kind the document becomes (a Deployment becomes a PodSet). */
  kind: Kind;
  schema: v.GenericSchema;
  validate(value: unknown): { body: MkObjectBody; issues?: undefined } | { issues: v.BaseIssue<unknown>[] };
}

function handler<S extends v.GenericSchema>(
  kind: Kind,
  schema: S,
  normalize: (input: v.InferOutput<S>) => MkObjectBody,
): KindHandler {
  return {
    kind,
    schema,
    validate(value) {
      const result = v.safeParse(schema, value, { message: schemaMessage });
      return result.success ? { body: normalize(result.output) } : { issues: result.issues };
    },
  };
}

const HANDLERS: Record<string, Record<string, KindHandler>> = {
  "mk/v1": {
    Pod: handler("Pod", mkPodSchema, normalizePod),
    PodSet: handler("PodSet", podSetSchema, normalizePodSet),
    Node: handler("Node", nodeSchema, normalizeNode),
    Autoscaler: handler("Autoscaler", autoscalerSchema, normalizeAutoscaler),
  },
  v1: { Pod: handler("Pod", kubePodSchema, normalizePod) },
  "apps/v1": { Deployment: handler("PodSet", deploymentSchema, normalizePodSet) },
  "autoscaling/v1": { HorizontalPodAutoscaler: handler("Autoscaler", hpaV1Schema, normalizeHpaV1) },
  "autoscaling/v2": { HorizontalPodAutoscaler: handler("Autoscaler", hpaV2Schema, normalizeHpaV2) },
};

const SUPPORTED =
  "Pod (mk/v1, v1), PodSet (mk/v1), Deployment (apps/v1), Node (mk/v1), Autoscaler (mk/v1), HorizontalPodAutoscaler (autoscaling/v2, autoscaling/v1)";

export function kindHandler(apiVersion: string, kind: string): KindHandler | undefined {
  const kinds = Object.hasOwn(HANDLERS, apiVersion) ? HANDLERS[apiVersion] : undefined;
  return kinds && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
}

/** Why a document's apiVersion/kind is refused, and which of the two fields to point at. */
export function unsupportedKind(
  apiVersion: string,
  kind: string,
): { field: "apiVersion" | "kind"; message: string } {
  const versions = Object.keys(HANDLERS).filter((version) => kindHandler(version, kind));
  if (versions.length > 0) {
    const expected = versions.map((version) => JSON.stringify(version)).join(" or ");
    return {
      field: "apiVersion",
      message: `expected ${expected} for kind ${kind}, got ${JSON.stringify(apiVersion)}`,
    };
  }
  const hint = kind === "List" ? "; put each object in its own YAML document, separated by ---" : "";
  return {
    field: "kind",
    message: `kind ${kind} (${apiVersion}) is not supported by mk; supported: ${SUPPORTED}${hint}`,
  };
}
