// kubectl's ways of writing flags that the parser (cac, on mri) does not read by itself, rewritten
// before parsing. Nothing after `--` (exec's command) is touched. Pure.
//   -oyaml, -o=yaml, -lapp=web, -ndefault   a short flag that takes a value, glued to it
//   --replicas -1, --grace-period -1        a negative number is the flag's value, not a flag
//   --wait=false, --watch=true              booleans written as kubectl's pflag takes them
//   --dry-run=client|server|none           kubectl's dry-run spellings
import { UsageError } from "../lib/errors.ts";

/** Flags that take a value: short letter -> long name, and every long name. */
export interface ValueFlags {
  short: ReadonlyMap<string, string>;
  long: ReadonlySet<string>;
}

/** The value-taking flags of cac-style declarations: "-o, --output <format>", "--timeout <d>". */
export function valueFlagsOf(declarations: readonly string[]): ValueFlags {
  const short = new Map<string, string>();
  const long = new Set<string>();
  for (const d of declarations) {
    if (!/[<[]/.test(d)) continue;
    const l = /--([a-z][a-z0-9-]*)/.exec(d)?.[1];
    if (!l) continue;
    long.add(l);
    const s = /(?:^|[\s,])-([A-Za-z])\b/.exec(d)?.[1];
    if (s) short.set(s, l);
  }
  return { short, long };
}

const NEGATIVE = /^-\d+(\.\d+)?$/;

const TRUE = new Set(["true", "t", "1", "yes"]);
const FALSE = new Set(["false", "f", "0", "no"]);

/**
 * `--flag=VALUE` for a flag that takes no value: true or false as pflag reads them, and kubectl's
 * `--dry-run=client|server|none`. Anything else is refused here, naming the flag, rather than read
 * as "not set" (`--dry-run=client` must never write).
 */
function booleanFlag(name: string, value: string): string[] {
  const v = value.toLowerCase();
  if (name === "dry-run" && (v === "client" || v === "server")) return ["--dry-run"];
  if (name === "dry-run" && v === "none") return [];
  const negated = name.startsWith("no-") ? name.slice(3) : undefined;
  if (TRUE.has(v)) return [`--${name}`];
  if (FALSE.has(v)) return [negated ? `--${negated}` : `--no-${name}`];
  const expected = name === "dry-run" ? "client, server or none" : "true or false";
  throw new UsageError(`--${name}=${value}: --${name} takes no value, or ${expected}`);
}

/** argv without the node and script entries, rewritten as described at the top of the file. */
export function rewriteKubectlArgv(args: readonly string[], flags: ValueFlags): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    const assigned = /^--([a-z][a-z0-9-]*)=(.*)$/s.exec(a);
    if (assigned && !flags.long.has(assigned[1] as string)) {
      out.push(...booleanFlag(assigned[1] as string, assigned[2] as string));
      continue;
    }
    const next = args[i + 1];
    const longFlag = /^--([a-z][a-z0-9-]*)$/.exec(a)?.[1];
    if (longFlag && flags.long.has(longFlag) && next !== undefined && NEGATIVE.test(next)) {
      out.push(`--${longFlag}=${next}`);
      i++;
      continue;
    }
    const short = /^-([A-Za-z])(.*)$/.exec(a);
    const shortLong = short ? flags.short.get(short[1] as string) : undefined;
    if (short && shortLong !== undefined) {
      const glued = short[2] as string;
      if (glued !== "") {
        out.push(`--${shortLong}=${glued.replace(/^=/, "")}`);
        continue;
      }
      if (next !== undefined && NEGATIVE.test(next)) {
        out.push(`--${shortLong}=${next}`);
        i++;
        continue;
      }
    }
    out.push(a);
  }
  return out;
}
