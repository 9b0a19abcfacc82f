// The single executable's SQLite addon: better_sqlite3.node travels inside the binary as a SEA
// asset; before the first database opens it is written once to a cache dir, loaded with
// process.dlopen and handed to the store (a path would not do: a SEA's require loads built-ins
// only). The file is named after its build-time SHA-256, so hashing never happens at start.
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { getRawAsset } from "node:sea";
import { MkError } from "../lib/errors.ts";
import { setNativeBinding } from "../store/db.ts";
import { addonCacheDirs, type CacheDir } from "./cache-dir.ts";
import { type AddonOps, describeAddonFailure, extractAndLoadAddon } from "./extract.ts";

declare const __MK_ADDON_SHA256__: string | undefined;

/** The asset name in sea-config.json (build.config.ts). */
export const ADDON_ASSET = "better_sqlite3.node";

/** The carried SQLite addon could not be written to any cache dir, or not loaded from it. */
export class AddonLoadError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("addon_unavailable", message, { details, exitCode: 3, httpStatus: 500 });
  }
}

const fsOps: AddonOps = {
  ensureDir(d: CacheDir) {
    // The shared temp dir must be created by us (mode 0700), never through a parent someone made.
    if (d.shared) {
      try {
        mkdirSync(d.dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    } else mkdirSync(d.dir, { recursive: true, mode: 0o700 });
  },
  statDir(dir) {
    const s = lstatSync(dir);
    return { isDirectory: s.isDirectory(), isSymbolicLink: s.isSymbolicLink(), uid: s.uid, mode: s.mode };
  },
  fileSize(file) {
    try {
      return statSync(file).size;
    } catch {
      return undefined;
    }
  },
  writeFile(file, data) {
    writeFileSync(file, data, { flag: "wx", mode: 0o755 });
  },
  rename: renameSync,
  unlink: unlinkSync,
  dlopen(file) {
    const mod: { exports: unknown } = { exports: {} };
    process.dlopen(mod, file);
    return mod.exports;
  },
};

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return ""; // no HOME and no passwd entry: only the temp dir is left
  }
}

/** Loads the carried addon and hands it to the store; returns the file it was loaded from. */
export function loadSeaAddon(env: NodeJS.ProcessEnv = process.env): string {
  // getRawAsset maps the asset without copying; its types also allow a string, which never happens here.
  const raw = getRawAsset(ADDON_ASSET);
  const bytes = typeof raw === "string" ? Buffer.from(raw) : new Uint8Array(raw);
  if (typeof __MK_ADDON_SHA256__ === "undefined")
    throw new AddonLoadError("Cannot load the SQLite library mk carries: this build lacks its checksum");
  const uid = process.getuid?.() ?? 0;
  const dirs = addonCacheDirs({ env, homedir: safeHomedir(), tmpdir: tmpdir(), uid });
  const res = extractAndLoadAddon(dirs, { bytes, sha256: __MK_ADDON_SHA256__ }, fsOps, {
    uid,
    pid: process.pid,
    nonce: randomBytes(4).toString("hex"),
  });
  if (!res.ok) throw new AddonLoadError(describeAddonFailure(res.attempts), { attempts: res.attempts });
  setNativeBinding(res.exports);
  return res.file;
}
