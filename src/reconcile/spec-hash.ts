// Hashes that detect changes: a container's hash decides whether its Docker container is replaced.
import { createHash } from "node:crypto";
import type { ContainerSpec } from "../manifest/types.ts";

/** JSON with sorted keys, so equal values always give equal text. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

export function hashOf(value: unknown, length = 16): string {
  return createHash("sha256").update(stableJson(value)).digest("hex").slice(0, length);
}

/** The hash of a stored object (objects.spec_hash): apply and rollbacks agree on it. */
export function objectHash(o: { kind: string; metadata: unknown; spec: unknown }): string {
  return hashOf({ kind: o.kind, metadata: o.metadata, spec: o.spec });
}

/**
 * What, in a container's spec, is baked into its Docker container. Probes are not: changing a
 * probe changes how the agent watches the container, not the container.
 */
export function containerHash(c: ContainerSpec): string {
  return hashOf({
    image: c.image,
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: c.env,
    ports: c.ports,
    limits: c.resources.limits,
  });
}
