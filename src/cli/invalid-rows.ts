// The rows a listing could not decode (a row damaged behind mk's back): the listing still prints
// the good ones, and each bad one is named on stderr with the column and field at fault.
import type { KubeObject } from "../ops/kube-objects.ts";

/** "podset/other: the stored row is invalid: column spec: not valid JSON (...)", one per bad row. */
export function invalidRowWarnings(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const s = (o.status ?? {}) as { invalidRow?: unknown; reason?: unknown; message?: unknown };
    const why =
      typeof s.invalidRow === "string"
        ? s.invalidRow
        : s.reason === "InvalidRow" && typeof s.message === "string"
          ? s.message
          : undefined;
    if (why) out.push(`${o.kind.toLowerCase()}/${o.metadata.name}: the stored row is invalid: ${why}`);
  }
  return out;
}
