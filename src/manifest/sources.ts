// The I/O half of loadManifests: expands paths (files, directories searched recursively for
// .yaml/.yml, "-" for stdin) and reads each source once, within the size limits, before any byte
// of an oversized file is read.

import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ManifestIssue } from "./errors.ts";
import { MAX_FILE_BYTES, MAX_TOTAL_BYTES } from "./limits.ts";

export interface Source {
  /** As the user named it (a path, a path under a named directory, or "<stdin>"). */
  file: string;
  bytes?: Uint8Array;
  text?: string;
}

export interface ReadOptions {
  /** Reads standard input for the path "-"; by default process.stdin, up to the file size limit. */
  stdin?: () => Promise<string>;
}

export const STDIN_NAME = "<stdin>";
const MANIFEST_FILE = /\.ya?ml$/;

const fileIssue = (file: string, message: string): ManifestIssue => ({
  file,
  line: 1,
  column: 1,
  path: "",
  message,
});

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}

/** Manifest files under `dir`, sorted by path; symlinked directories are followed once. */
async function filesUnder(dir: string, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      isDirectory = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDirectory) files.push(...(await filesUnder(path, seen)));
    else if (isFile && MANIFEST_FILE.test(entry.name)) files.push(path);
  }
  return files.sort();
}

async function readStdinBytes(): Promise<{ bytes: Uint8Array; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_FILE_BYTES) return { bytes: new Uint8Array(), tooLarge: true };
    chunks.push(buffer);
  }
  return { bytes: Buffer.concat(chunks), tooLarge: false };
}

export async function readSources(
  paths: readonly string[],
  opts: ReadOptions = {},
): Promise<{ sources: Source[]; issues: ManifestIssue[] }> {
  const sources: Source[] = [];
  const issues: ManifestIssue[] = [];
  const seenFiles = new Set<string>();
  let total = 0;

  const addBytes = (file: string, size: number): boolean => {
    if (size > MAX_FILE_BYTES) {
      issues.push(fileIssue(file, `file is larger than ${MAX_FILE_BYTES} bytes (1 MiB): ${size} bytes`));
      return false;
    }
    total += size;
    if (total > MAX_TOTAL_BYTES) {
      issues.push(fileIssue(file, `manifests exceed ${MAX_TOTAL_BYTES} bytes (16 MiB) in total; not read`));
      return false;
    }
    return true;
  };

  const readOne = async (file: string) => {
    try {
      const real = await realpath(file);
      if (seenFiles.has(real)) return; // named twice (e.g. a directory and a file in it): read once
      seenFiles.add(real);
      if (!addBytes(file, (await stat(file)).size)) return;
      sources.push({ file, bytes: await readFile(file) });
    } catch (err) {
      issues.push(fileIssue(file, `cannot read file: ${reason(err)}`));
    }
  };

  for (const path of paths) {
    if (path === "-") {
      if (opts.stdin) {
        const text = await opts.stdin();
        if (addBytes(STDIN_NAME, Buffer.byteLength(text, "utf8"))) sources.push({ file: STDIN_NAME, text });
      } else {
        const { bytes, tooLarge } = await readStdinBytes();
        if (tooLarge)
          issues.push(fileIssue(STDIN_NAME, `input is larger than ${MAX_FILE_BYTES} bytes (1 MiB)`));
        else if (addBytes(STDIN_NAME, bytes.length)) sources.push({ file: STDIN_NAME, bytes });
      }
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (err) {
      issues.push(fileIssue(path, `cannot read file: ${reason(err)}`));
      continue;
    }
    if (!isDirectory) {
      await readOne(path);
      continue;
    }
    let files: string[];
    try {
      files = await filesUnder(path, new Set());
    } catch (err) {
      issues.push(fileIssue(path, `cannot read directory: ${reason(err)}`));
      continue;
    }
    if (files.length === 0) issues.push(fileIssue(path, "directory has no .yaml or .yml files"));
    for (const file of files) await readOne(file);
  }
  return { sources, issues };
}
