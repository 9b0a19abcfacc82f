// Writing the carried SQLite addon to a cache dir and loading it, one candidate dir after the
// other. File-system calls come in through `AddonOps`, so the fallback order and the error text
// are unit-tested without read-only, full or noexec mounts.
import { join } from "node:path";
import { addonFileName, type CacheDir, type DirStat, unsafeSharedDir } from "./cache-dir.ts";

export interface AddonOps {
  /** Creates the dir (mode 0700) if missing; a shared dir is created without parents. */
  ensureDir(dir: CacheDir): void;
  /** lstat of a dir. */
  statDir(dir: string): DirStat;
  /** The size of an existing file, or undefined when there is none. */
  fileSize(file: string): number | undefined;
  /** Writes a new file (fails if it exists). */
  writeFile(file: string, data: Uint8Array): void;
  rename(from: string, to: string): void;
  unlink(file: string): void;
  /** process.dlopen; returns the module's exports. */
  dlopen(file: string): unknown;
}

export interface Addon {
  bytes: Uint8Array;
  /** Hex SHA-256 of bytes, computed at build time. */
  sha256: string;
}

export interface AddonAttempt {
  dir: string;
  source: CacheDir["source"];
  step: "mkdir" | "check" | "write" | "load";
  /** errno code (ENOSPC, EROFS, ...) when there is one. */
  code: string | undefined;
  message: string;
}

export type AddonLoadResult =
  | { ok: true; file: string; exports: unknown; wrote: boolean; attempts: AddonAttempt[] }
  | { ok: false; attempts: AddonAttempt[] };

function errCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string")
    return err.code;
  return undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Puts the addon into the first cache dir that takes it and loads it from there. A file already
 * present with the right size is reused: its name carries the content hash, and it only ever
 * appears through rename, so it is complete. Writing goes through a temp file in the same dir and
 * rename, so concurrent first runs never load a half-written file.
 */
export function extractAndLoadAddon(
  dirs: readonly CacheDir[],
  addon: Addon,
  ops: AddonOps,
  ids: { uid: number; pid: number; nonce: string },
): AddonLoadResult {
  const attempts: AddonAttempt[] = [];
  const fail = (d: CacheDir, step: AddonAttempt["step"], err: unknown) =>
    attempts.push({ dir: d.dir, source: d.source, step, code: errCode(err), message: errMessage(err) });
  for (const d of dirs) {
    try {
      ops.ensureDir(d);
    } catch (err) {
      fail(d, "mkdir", err);
      continue;
    }
    if (d.shared) {
      let why: string | undefined;
      try {
        why = unsafeSharedDir(ops.statDir(d.dir), ids.uid);
      } catch (err) {
        why = errMessage(err);
      }
      if (why) {
        fail(d, "check", new Error(why));
        continue;
      }
    }
    const file = join(d.dir, addonFileName(addon.sha256));
    let wrote = false;
    if (ops.fileSize(file) !== addon.bytes.byteLength) {
      const tmp = join(d.dir, `.${addonFileName(addon.sha256)}.${ids.pid}.${ids.nonce}.tmp`);
      try {
        ops.writeFile(tmp, addon.bytes);
        ops.rename(tmp, file);
        wrote = true;
      } catch (err) {
        try {
          ops.unlink(tmp);
        } catch {
          // never written, or already gone
        }
        fail(d, "write", err);
        continue;
      }
    }
    try {
      return { ok: true, file, exports: ops.dlopen(file), wrote, attempts };
    } catch (err) {
      fail(d, "load", err);
    }
  }
  return { ok: false, attempts };
}

type Cause = "no_space" | "noexec" | "not_writable" | "unsafe" | "other";

function causeOf(a: AddonAttempt): Cause {
  if (a.code === "ENOSPC" || a.code === "EDQUOT") return "no_space";
  if (a.step === "check") return "unsafe";
  if (a.step === "load")
    return /failed to map segment|operation not permitted|permission denied/i.test(a.message)
      ? "noexec"
      : "other";
  if (a.code === "EACCES" || a.code === "EROFS" || a.code === "EPERM") return "not_writable";
  return "other";
}

function describeAttempt(a: AddonAttempt): string {
  // dlopen messages start with the file's path, which the dir already names.
  const msg = (a.message.split("\n")[0] ?? "").replace(/^\S+\.node: /, "");
  switch (causeOf(a)) {
    case "no_space":
      return `${a.dir}: no space left on device (${a.code})`;
    case "noexec":
      return `${a.dir}: cannot load a library from it, is it mounted noexec? (${msg})`;
    case "not_writable":
      return `${a.dir}: not writable (${a.code})`;
    case "unsafe":
      return `${a.dir}: not used, it ${msg}`;
    default:
      return `${a.dir}: ${a.step} failed: ${a.code ? `${a.code} ` : ""}${msg}`;
  }
}

/** What to do, for the most telling cause among the failed attempts. */
function hintFor(causes: ReadonlySet<Cause>): string {
  if (causes.has("no_space"))
    return "free some disk space, or set XDG_CACHE_HOME to a directory on another file system";
  if (causes.has("noexec"))
    return "set XDG_CACHE_HOME to a writable directory on a file system mounted without noexec";
  if (causes.has("not_writable")) return "set XDG_CACHE_HOME to a writable directory";
  if (causes.has("unsafe")) return "remove that directory, or set XDG_CACHE_HOME to a writable directory";
  return "set XDG_CACHE_HOME to a writable directory that allows loading libraries";
}

/** One line naming every directory tried, why each failed, and what to do. */
export function describeAddonFailure(attempts: readonly AddonAttempt[]): string {
  const tried = attempts.map(describeAttempt).join("; ") || "no cache directory to write it to";
  const hint = hintFor(new Set(attempts.map(causeOf)));
  return `Cannot load the SQLite library mk carries: ${tried}; ${hint}`.replace(/\s+/g, " ");
}
