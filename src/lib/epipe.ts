// `mk get pods | head -1`: when the reader of stdout goes away, stop quietly, as kubectl does (Go
// dies of SIGPIPE), instead of crashing with an unhandled EPIPE stack trace.
import type { Writable } from "node:stream";

export function exitQuietlyOnEpipe(
  streams: readonly Writable[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const s of streams) {
    s.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
      else throw err;
    });
  }
}
