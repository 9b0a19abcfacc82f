// The I/O half of manifest loading, run by the client: expands paths (files, directories searched
// recursively for .yaml/.yml, "-" for stdin), checks sizes before reading, and decodes each file as
// UTF-8 text. The texts then go to parseManifestSources (sources.ts), possibly on the server.

import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { ManifestError, type ManifestIssue } from "./errors.ts";
import { MAX_FILE_BYTES, MAX_TOTAL_BYTES } from "./limits.ts";
import type { ManifestText } from "./sources.ts";
import { decodeUtf8 } from "./utf8.ts";

export interface ReadOptions {
  /** Reads standard input for the path "-"; by default process.stdin, up to the file size limit. */
  stdin?: () => Promise<string>;
}

export const STDIN_NAME = "<stdin>";
const MANIFEST_FILE = /\.ya?ml$/;

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

export interface ReadResult {
  sources: ManifestText[];
  /** Problems (missing, too large, not UTF-8), every one of them. */
  issues: ManifestIssue[];
  /** Every file met, read or not, in the order met: the order issues are reported in. */
  files: string[];
}

/** Reads every path, in order; a file named twice (a directory and a file in it) is read once. */
export async function readSources(paths: readonly string[], opts: ReadOptions = {}): Promise<ReadResult> {
  const result: ReadResult = { sources: [], issues: [], files: [] };
  const seenFiles = new Set<string>();
  let total = 0;

  const fail = (file: string, message: string, line = 1, column = 1) => {
    result.files.push(file);
    result.issues.push({ file, line, column, path: "", message });
  };
  const addText = (file: string, text: string) => {
    result.files.push(file);
    result.sources.push({ file, text });
  };
  const addBytes = (file: string, bytes: Uint8Array) => {
    const decoded = decodeUtf8(bytes);
    if ("text" in decoded) addText(file, decoded.text);
    else fail(file, "file is not UTF-8 text", decoded.error.line, decoded.error.column);
  };
  /** Counts a file against the limits before it is read. */
  const admit = (file: string, size: number): boolean => {
    if (size > MAX_FILE_BYTES) {
      fail(file, `file is larger than ${MAX_FILE_BYTES} bytes (1 MiB): ${size} bytes`);
      return false;
    }
    total += size;
    if (total > MAX_TOTAL_BYTES) {
      fail(file, `manifests exceed ${MAX_TOTAL_BYTES} bytes (16 MiB) in total; not read`);
      return false;
    }
    return true;
  };
  const readOne = async (file: string) => {
    try {
      const real = await realpath(file);
      if (seenFiles.has(real)) return;
      seenFiles.add(real);
      if (admit(file, (await stat(file)).size)) addBytes(file, await readFile(file));
    } catch (err) {
      fail(file, `cannot read file: ${reason(err)}`);
    }
  };

  for (const path of paths) {
    if (path === "-") {
      if (opts.stdin) {
        const text = await opts.stdin();
        if (admit(STDIN_NAME, Buffer.byteLength(text, "utf8"))) addText(STDIN_NAME, text);
      } else {
        const { bytes, tooLarge } = await readStdinBytes();
        if (tooLarge) fail(STDIN_NAME, `input is larger than ${MAX_FILE_BYTES} bytes (1 MiB)`);
        else if (admit(STDIN_NAME, bytes.length)) addBytes(STDIN_NAME, bytes);
      }
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (err) {
      fail(path, `cannot read file: ${reason(err)}`);
      continue;
    }
    if (!isDirectory) {
      await readOne(path);
      continue;
    }
    let found: string[];
    try {
      found = await filesUnder(path, new Set());
    } catch (err) {
      fail(path, `cannot read directory: ${reason(err)}`);
      continue;
    }
    if (found.length === 0) fail(path, "directory has no .yaml or .yml files");
    for (const file of found) await readOne(file);
  }
  return result;
}

/**
 * Reads the manifests named on a command line (`-f` values) as texts for parseManifestSources.
 * Throws one ManifestError listing every file that cannot be read.
 */
export async function readManifestSources(
  paths: readonly string[],
  opts: ReadOptions = {},
): Promise<ManifestText[]> {
  const { sources, issues } = await readSources(paths, opts);
  if (issues.length > 0) throw new ManifestError(issues);
  return sources;
}
