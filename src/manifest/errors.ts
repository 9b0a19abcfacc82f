// ManifestIssue: one problem at one place of one file. ManifestError: all issues of a run at once.

import { MkError } from "../lib/errors.ts";

export interface ManifestIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Field path such as `spec.containers[0].image`; empty for a problem with the whole file or document. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `["spec", "containers", 0, "image"]` -> `spec.containers[0].image`; odd keys are quoted. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `manifests/web.yaml:12:9 spec.containers[0].ports[0].containerPort: expected integer 1..65535, got "eighty"` */
export function formatIssue(issue: ManifestIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === "" ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** Orders issues by file (in the order given; other files last), then line, then column. */
export function sortIssues(issues: readonly ManifestIssue[], fileOrder: readonly string[]): ManifestIssue[] {
  const rank = new Map<string, number>();
  for (const file of fileOrder) if (!rank.has(file)) rank.set(file, rank.size);
  const rankOf = (file: string) => rank.get(file) ?? rank.size;
  return [...issues].sort(
    (a, b) => rankOf(a.file) - rankOf(b.file) || a.line - b.line || a.column - b.column,
  );
}

/** The manifests of a run are invalid; `issues` lists every problem found, in file order. */
export class ManifestError extends MkError {
  readonly issues: ManifestIssue[];

  constructor(issues: ManifestIssue[]) {
    super("invalid_manifest", issues.map(formatIssue).join("\n"), {
      details: { issues },
      exitCode: 1,
      httpStatus: 400,
    });
    this.issues = issues;
  }
}
