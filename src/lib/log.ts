// One logger for the process, a child per module. Pretty on a terminal, JSON lines otherwise (or
// with --log-format json): each line carries ts, level, msg and, for pods, pod/node/event fields.
import { type ConsolaInstance, createConsola, type LogObject } from "consola";

export type LogFormat = "pretty" | "json";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(module: string): Logger;
}

const LEVEL_NAMES: Record<number, string> = {
  0: "error",
  1: "warn",
  2: "info",
  3: "info",
  4: "debug",
  5: "trace",
};

function jsonReporter(stream: NodeJS.WritableStream) {
  return {
    log(obj: LogObject) {
      const [msg, fields] = obj.args as [unknown, LogFields | undefined];
      const line = {
        ts: obj.date.toISOString(),
        level:
          obj.type === "warn"
            ? "warn"
            : obj.type === "error"
              ? "error"
              : (LEVEL_NAMES[obj.level] ?? obj.type),
        msg: String(msg),
        ...(obj.tag ? { module: obj.tag } : {}),
        ...(fields ?? {}),
      };
      stream.write(`${JSON.stringify(line)}\n`);
    },
  };
}

function prettyReporter(stream: NodeJS.WritableStream) {
  return {
    log(obj: LogObject) {
      const [msg, fields] = obj.args as [unknown, LogFields | undefined];
      const time = obj.date.toISOString().slice(11, 23);
      const lvl = obj.type.toUpperCase().padEnd(5);
      const extra = fields
        ? Object.entries(fields)
            .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join(" ")
        : "";
      stream.write(
        `${time} ${lvl} ${obj.tag ? `[${obj.tag}] ` : ""}${String(msg)}${extra ? `  ${extra}` : ""}\n`,
      );
    },
  };
}

function wrap(c: ConsolaInstance): Logger {
  return {
    debug: (m, f) => c.debug(m, f),
    info: (m, f) => c.info(m, f),
    warn: (m, f) => c.warn(m, f),
    error: (m, f) => c.error(m, f),
    child: (module) => wrap(c.withTag(module)),
  };
}

export function createLogger(
  opts: { format?: LogFormat; level?: number; stream?: NodeJS.WritableStream } = {},
): Logger {
  const stream = opts.stream ?? process.stderr;
  const format = opts.format ?? ((stream as { isTTY?: boolean }).isTTY ? "pretty" : "json");
  const c = createConsola({
    level: opts.level ?? 3,
    reporters: [format === "json" ? jsonReporter(stream) : prettyReporter(stream)],
  });
  return wrap(c);
}

/** A logger that drops everything: for unit tests and quiet CLI paths. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
