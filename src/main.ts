// Entry of mk (and of the single executable): hand argv to the CLI, nothing else.
import { runCli } from "./cli/index.ts";

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${String(err)}\n`);
    process.exitCode = 3;
  },
);
