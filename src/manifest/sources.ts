// Manifest texts (as read by the client, or received by the server) -> normalized objects, with
// the duplicate-name check across all of them. Pure.

import { duplicateNameIssues } from "./duplicates.ts";
import { ManifestError, type ManifestIssue, sortIssues } from "./errors.ts";
import { parseText } from "./parse-text.ts";
import type { MkObject } from "./types.ts";

/** One manifest file: its name for issues (and SourceRef.file), and its text. */
export interface ManifestText {
  file: string;
  text: string;
}

/** Every object and every issue of the texts; `objects` is empty unless `issues` is. */
export function parseSources(sources: readonly ManifestText[]): {
  objects: MkObject[];
  issues: ManifestIssue[];
} {
  const parsed = sources.map((source) => parseText(source.text, source.file));
  const identities = parsed.flatMap((p) => p.identities);
  const issues = sortIssues(
    [...parsed.flatMap((p) => p.issues), ...duplicateNameIssues(identities)],
    sources.map((s) => s.file),
  );
  return { objects: issues.length === 0 ? parsed.flatMap((p) => p.objects) : [], issues };
}

/** The objects of all texts, or one ManifestError with every issue: a run applies all or nothing. */
export function parseManifestSources(sources: readonly ManifestText[]): MkObject[] {
  const { objects, issues } = parseSources(sources);
  if (issues.length > 0) throw new ManifestError(issues);
  return objects;
}
