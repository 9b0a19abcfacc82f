// Entry of mk (and of the single executable): hand argv to the CLI, nothing else. The single
// executable first loads the SQLite addon it carries, except for --version and --help.
import { isSea } from "node:sea";
import { reportError, runCli } from "./cli/index.ts";
import { exitQuietlyOnEpipe } from "./lib/epipe.ts";
import { needsNativeAddon, SQL_CHILD_COMMAND, wantsJsonErrors } from "./sea/argv.ts";

async function main(argv: string[]): Promise<number> {
  exitQuietlyOnEpipe();
  if (isSea() && needsNativeAddon(argv.slice(2))) {
    const { loadSeaAddon } = await import("./sea/native.ts");
    try {
      loadSeaAddon();
    } catch (err) {
      return reportError(err, wantsJsonErrors(argv));
    }
  }
  if (argv[2] === SQL_CHILD_COMMAND) {
    const { runSqlChild } = await import("./api/sql-child.ts");
    return runSqlChild();
  }
  return runCli(argv);
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${String(err)}\n`);
    process.exitCode = 3;
  },
);
