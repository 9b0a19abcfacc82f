// Public entry of the manifest module: YAML text or files -> normalized mk objects, or every issue
// of the run at once. parseManifestText and parseManifestBytes are pure; loadManifests reads files.

import { duplicateNameIssues, type ObjectIdentity } from "./duplicates.ts";
import { ManifestError, type ManifestIssue, sortIssues } from "./errors.ts";
import { MAX_FILE_BYTES } from "./limits.ts";
import { type ParsedText, parseText } from "./parse-text.ts";
import { type ReadOptions, readSources } from "./sources.ts";
import type { MkObject } from "./types.ts";
import { decodeUtf8 } from "./utf8.ts";

export { formatIssue, ManifestError, type ManifestIssue } from "./errors.ts";

function parseBytes(bytes: Uint8Array, file: string): ParsedText {
  const issue = (message: string, line = 1, column = 1): ParsedText => ({
    objects: [],
    identities: [],
    issues: [{ file, line, column, path: "", message }],
  });
  if (bytes.length > MAX_FILE_BYTES)
    return issue(`file is larger than ${MAX_FILE_BYTES} bytes (1 MiB): ${bytes.length} bytes`);
  const decoded = decodeUtf8(bytes);
  if ("error" in decoded) return issue("file is not UTF-8 text", decoded.error.line, decoded.error.column);
  return parseText(decoded.text, file);
}

function finish(parsed: ParsedText[], fileOrder: string[]): { objects: MkObject[]; issues: ManifestIssue[] } {
  const identities: ObjectIdentity[] = parsed.flatMap((p) => p.identities);
  const issues = sortIssues(
    [...parsed.flatMap((p) => p.issues), ...duplicateNameIssues(identities)],
    fileOrder,
  );
  return { objects: issues.length === 0 ? parsed.flatMap((p) => p.objects) : [], issues };
}

/**
 * Parses every YAML document of one file. `objects` is empty unless `issues` is: a run applies all
 * of its objects or none. Duplicate names are checked within this text only.
 */
export function parseManifestText(
  text: string,
  file: string,
): { objects: MkObject[]; issues: ManifestIssue[] } {
  return finish([parseText(text, file)], [file]);
}

/** parseManifestText for raw bytes (an HTTP body): refuses oversized, NUL-containing or non-UTF-8 input. */
export function parseManifestBytes(
  bytes: Uint8Array,
  file: string,
): { objects: MkObject[]; issues: ManifestIssue[] } {
  return finish([parseBytes(bytes, file)], [file]);
}

/**
 * Loads manifests from files, directories (every .yaml/.yml below, sorted by path) and "-" (stdin).
 * Throws one ManifestError with every issue of every file, duplicate names across files included.
 */
export async function loadManifests(paths: string[], opts: ReadOptions = {}): Promise<MkObject[]> {
  const { sources, issues: readIssues } = await readSources(paths, opts);
  const parsed = sources.map((source) =>
    source.text === undefined
      ? parseBytes(source.bytes ?? new Uint8Array(), source.file)
      : parseText(source.text, source.file),
  );
  const order = [...paths, ...sources.map((s) => s.file)];
  const { objects, issues } = finish(parsed, order);
  const all = sortIssues([...readIssues, ...issues], order);
  if (all.length > 0) throw new ManifestError(all);
  return objects;
}
