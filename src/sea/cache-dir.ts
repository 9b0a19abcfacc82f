// Where the single executable writes the SQLite addon it carries, decided from the environment
// alone (pure, so the order is unit-tested): the user's cache first, a private temp dir second.
import { isAbsolute, join } from "node:path";

export interface CacheDirFacts {
  env: Readonly<Record<string, string | undefined>>;
  /** os.homedir(): HOME, or the passwd entry when HOME is unset. */
  homedir: string;
  /** os.tmpdir(): TMPDIR or /tmp. */
  tmpdir: string;
  /** process.getuid(); the temp fallback is per user. */
  uid: number;
}

export interface CacheDir {
  dir: string;
  /** A shared parent (the temp dir): the dir must be ours alone before a file in it is loaded. */
  shared: boolean;
  /** Where the choice came from, for error messages. */
  source: "XDG_CACHE_HOME" | "HOME" | "TMPDIR";
}

/**
 * The directories to try, in order: $XDG_CACHE_HOME/mk (or ~/.cache/mk), then <tmpdir>/mk-<uid>
 * for a read-only or full home. A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
 */
export function addonCacheDirs(facts: CacheDirFacts): CacheDir[] {
  const dirs: CacheDir[] = [];
  const xdg = facts.env.XDG_CACHE_HOME;
  const home = facts.env.HOME || facts.homedir;
  if (xdg && isAbsolute(xdg)) dirs.push({ dir: join(xdg, "mk"), shared: false, source: "XDG_CACHE_HOME" });
  else if (home && isAbsolute(home))
    dirs.push({ dir: join(home, ".cache", "mk"), shared: false, source: "HOME" });
  dirs.push({ dir: join(facts.tmpdir, `mk-${facts.uid}`), shared: true, source: "TMPDIR" });
  return dirs;
}

/** The cached addon's file name: keyed by content, so two mk versions never load each other's. */
export function addonFileName(sha256: string): string {
  return `better_sqlite3-${sha256.slice(0, 16)}.node`;
}

export interface DirStat {
  isDirectory: boolean;
  isSymbolicLink: boolean;
  uid: number;
  mode: number;
}

/**
 * Why a directory under a shared temp dir must not be used, or undefined when it is safe: it has
 * to be a real directory of ours that nobody else can write, or another user could plant a
 * library there for us to load.
 */
export function unsafeSharedDir(stat: DirStat, uid: number): string | undefined {
  if (stat.isSymbolicLink) return "is a symbolic link";
  if (!stat.isDirectory) return "is not a directory";
  if (stat.uid !== uid) return `is owned by uid ${stat.uid}, not ${uid}`;
  if ((stat.mode & 0o022) !== 0) return `is writable by others (mode ${(stat.mode & 0o777).toString(8)})`;
  return undefined;
}
