// Two objects of the same kind with the same name: the second one is reported, naming the first.

import type { ManifestIssue } from "./errors.ts";
import type { Kind } from "./types.ts";

export interface ObjectIdentity {
  kind: Kind;
  /** The kind as written: Deployment for a Deployment, which is a PodSet in mk. */
  writtenKind: string;
  name: string;
  file: string;
  line: number;
  column: number;
}

export function duplicateNameIssues(identities: readonly ObjectIdentity[]): ManifestIssue[] {
  const first = new Map<string, ObjectIdentity>();
  const issues: ManifestIssue[] = [];
  for (const id of identities) {
    const key = `${id.kind}/${id.name}`;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, id);
      continue;
    }
    const note =
      earlier.writtenKind !== id.writtenKind
        ? ` (a ${earlier.writtenKind} and a ${id.writtenKind} are both ${id.kind}s in mk)`
        : "";
    issues.push({
      file: id.file,
      line: id.line,
      column: id.column,
      path: "metadata.name",
      message: `duplicate ${id.kind} ${JSON.stringify(id.name)}: first defined at ${earlier.file}:${earlier.line}:${earlier.column}${note}`,
    });
  }
  return issues;
}
