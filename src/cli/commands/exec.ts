// mk exec POD|pod/POD|deploy/NAME [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]: a command in a pod's container, with
// stdin (-i) and a terminal (-t: raw mode here, resizes passed on); exits with the command's code.
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { parsePodArg, resolvePod } from "../pod-of.ts";
import { defaultContainer } from "./logs.ts";

export async function runExec(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  parsePodArg(args[0], "exec");
  const afterDashes = Array.isArray(opts["--"]) ? (opts["--"] as unknown[]).map(String) : [];
  const cmd = afterDashes.length > 0 ? afterDashes : args.slice(1);
  if (cmd.length === 0)
    throw new UsageError(
      "mk exec needs a command: mk exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]",
    );
  const stdinWanted = opts.stdin === true;
  let tty = opts.tty === true;
  if (tty && !(stdinWanted && process.stdin.isTTY)) {
    // kubectl's behaviour: go on without a terminal.
    process.stderr.write("Unable to use a TTY - input is not a terminal or the right kind of file\n");
    tty = false;
  }
  const api = await ctx.api();
  let raw = false;
  const onResize = () => void session?.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
  let session: Awaited<ReturnType<typeof api.exec>> | undefined;
  try {
    const pod = await resolvePod(api, args[0], "exec");
    const container = typeof opts.container === "string" ? opts.container : await defaultContainer(api, pod);
    session = await api.exec(pod, {
      ...(container ? { container } : {}),
      cmd,
      tty,
      stdin: stdinWanted,
    });
    const out = session.stdout;
    const done = Promise.all([
      new Promise<void>((r) => out.pipe(process.stdout, { end: false }).once("unpipe", () => r())),
      new Promise<void>((r) =>
        session?.stderr.pipe(process.stderr, { end: false }).once("unpipe", () => r()),
      ),
    ]);
    if (tty) {
      process.stdin.setRawMode(true);
      raw = true;
      onResize();
      process.stdout.on("resize", onResize);
    }
    if (session.stdin) process.stdin.pipe(session.stdin);
    const code = await session.exitCode;
    await done;
    return code;
  } finally {
    if (raw) process.stdin.setRawMode(false);
    process.stdout.off("resize", onResize);
    if (session?.stdin) process.stdin.unpipe(session.stdin);
    process.stdin.pause();
    session?.close();
    api.close();
  }
}
