// Whether a command line needs SQLite. Kept apart from native.ts (which pulls in the store) so
// that `mk --version` and `mk --help` load nothing heavy and never touch the addon cache.

const NO_STORE_FLAGS = new Set(["-h", "--help", "-v", "--version"]);

/** `args` is argv without the executable and script: false for help, version and a bare `mk`. */
export function needsNativeAddon(args: readonly string[]): boolean {
  if (args.length === 0) return false;
  return !args.some((a) => NO_STORE_FLAGS.has(a));
}

/** Whether errors go out as a JSON envelope, as cli/index.ts does under `-o json`. */
export function wantsJsonErrors(args: readonly string[]): boolean {
  return args.some(
    (a, i) =>
      ((a === "-o" || a === "--output") && args[i + 1] === "json") ||
      a === "--output=json" ||
      a === "-ojson" ||
      a === "-o=json",
  );
}

/** argv[2] of the child process that runs one `mk sql` query (api/sql-runner.ts). Not a command. */
export const SQL_CHILD_COMMAND = "__mk-sql-child";
