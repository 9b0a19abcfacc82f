// Public entry of the manifest module: YAML text or files -> normalized mk objects, or every issue
// of the run at once. parseManifestText and parseManifestBytes are pure; loadManifests reads files.
// The client/server split uses read.ts (readManifestSources) and sources.ts (parseManifestSources).

import { ManifestError, type ManifestIssue, sortIssues } from "./errors.ts";
import { type ReadOptions, readSources } from "./read.ts";
import { parseSources } from "./sources.ts";
import type { MkObject } from "./types.ts";
import { decodeUtf8 } from "./utf8.ts";

export { formatIssue, ManifestError, type ManifestIssue } from "./errors.ts";
export { readManifestSources } from "./read.ts";
export { type ManifestText, parseManifestSources } from "./sources.ts";

/**
 * Parses every YAML document of one file. `objects` is empty unless `issues` is: a run applies all
 * of its objects or none. Duplicate names are checked within this text.
 */
export function parseManifestText(
  text: string,
  file: string,
): { objects: MkObject[]; issues: ManifestIssue[] } {
  return parseSources([{ file, text }]);
}

/** parseManifestText for raw bytes (an upload): refuses NUL bytes and invalid UTF-8 with their position. */
export function parseManifestBytes(
  bytes: Uint8Array,
  file: string,
): { objects: MkObject[]; issues: ManifestIssue[] } {
  const decoded = decodeUtf8(bytes);
  if ("error" in decoded) {
    return { objects: [], issues: [{ file, ...decoded.error, path: "", message: "file is not UTF-8 text" }] };
  }
  return parseManifestText(decoded.text, file);
}

/**
 * Loads manifests from files, directories (every .yaml/.yml below, sorted by path) and "-" (stdin).
 * Throws one ManifestError with every issue of every file, duplicate names across files included.
 */
export async function loadManifests(paths: string[], opts: ReadOptions = {}): Promise<MkObject[]> {
  const read = await readSources(paths, opts);
  const parsed = parseSources(read.sources);
  const issues = sortIssues([...read.issues, ...parsed.issues], read.files);
  if (issues.length > 0) throw new ManifestError(issues);
  return parsed.objects;
}
