// Label and field selectors with Kubernetes' grammar (k8s.io/apimachinery/pkg/labels and
// .../fields). Pure: parse once, then match against an object's labels or fields.
//
//   label selector   requirement ("," requirement)*        comma means AND
//   requirement      key | "!" key | key ("=" | "==" | "!=") value | key ("in" | "notin") "(" values ")"
//                    | key (">" | "<") integer
//   field selector   field ("=" | "==" | "!=") value ("," ...)*
//
// As in Kubernetes, `key!=v` and `key notin (v)` also match objects without the key.
import { InvalidInputError } from "../lib/errors.ts";

export type LabelOp = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

/** A selector that cannot be parsed: the message names the selector and what was expected. */
export class SelectorError extends InvalidInputError {
  constructor(selector: string, why: string) {
    // A huge selector (hostile, or a script gone wrong) is named by its start, not echoed whole.
    const cut = (t: string, n: number) => (t.length > n ? `${t.slice(0, n)}...` : t);
    const shown = cut(selector, 200);
    const whyShort = why.replace(/"([^"]{100})[^"]+"/g, '"$1..."');
    super(`Cannot parse selector ${JSON.stringify(shown)}: ${whyShort}`, { selector: shown });
  }
}

type Token =
  | { t: "id"; v: string; at: number }
  | { t: "op"; v: "=" | "==" | "!=" | "!" | ">" | "<" | "(" | ")" | ","; at: number }
  | { t: "end"; at: number };

const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);

function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === "==" || two === "!=") {
      out.push({ t: "op", v: two, at: i });
      i += 2;
    } else if (SPECIAL.has(c)) {
      out.push({ t: "op", v: c as "=", at: i });
      i++;
    } else {
      const start = i;
      while (i < text.length && !SPECIAL.has(text[i] ?? "") && !/\s/.test(text[i] ?? "")) i++;
      out.push({ t: "id", v: text.slice(start, i), at: start });
    }
  }
  out.push({ t: "end", at: text.length });
  return out;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is invalid (Kubernetes' qualified name), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `key prefix "${prefix}" must be a DNS subdomain (lower case letters, digits, "-" and ".")`;
  if (!NAME.test(name))
    return `key "${key}" must be 63 characters or fewer of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value === "" || NAME.test(value)) return undefined;
  return `value "${value}" must be empty or 63 characters or fewer of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
}

/** Parses a label selector; an empty string selects everything. Throws SelectorError. */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = lex(text);
  let pos = 0;
  const peek = () => tokens[pos] as Token;
  const next = () => tokens[pos++] as Token;
  const fail = (why: string): never => {
    throw new SelectorError(text, why);
  };
  const describe = (t: Token) => (t.t === "end" ? "the end" : `"${t.v}" at position ${t.at + 1}`);
  const key = (): string => {
    const t = next();
    if (t.t !== "id") return fail(`expected a label key, found ${describe(t)}`);
    const problem = labelKeyProblem(t.v);
    if (problem) fail(problem);
    return t.v;
  };
  const value = (): string => {
    const t = peek();
    if (t.t !== "id") return ""; // `a=` selects an empty value, as in Kubernetes
    pos++;
    const problem = valueProblem(t.v);
    if (problem) fail(problem);
    return t.v;
  };
  const reqs: LabelSelector = [];
  if (peek().t === "end") return reqs;
  for (;;) {
    const start = peek();
    if (start.t === "op" && start.v === "!") {
      pos++;
      reqs.push({ key: key(), op: "!", values: [] });
    } else {
      const k = key();
      const op = peek();
      if (op.t === "end" || (op.t === "op" && op.v === ",")) {
        reqs.push({ key: k, op: "exists", values: [] });
      } else if (op.t === "op" && (op.v === "=" || op.v === "==" || op.v === "!=")) {
        pos++;
        const v = value();
        const after = peek();
        if (after.t === "id" || (after.t === "op" && after.v !== ","))
          fail(`expected "," or the end after the value of "${k}", found ${describe(after)}`);
        reqs.push({ key: k, op: op.v === "!=" ? "!=" : "=", values: [v] });
      } else if (op.t === "op" && (op.v === ">" || op.v === "<")) {
        pos++;
        const t = next();
        if (t.t !== "id" || !/^-?\d+$/.test(t.v))
          fail(`expected an integer after "${k} ${op.v}", found ${describe(t)}`);
        reqs.push({ key: k, op: op.v, values: [t.t === "id" ? t.v : ""] });
      } else if (op.t === "id" && (op.v === "in" || op.v === "notin")) {
        pos++;
        const open = next();
        if (open.t !== "op" || open.v !== "(")
          fail(`expected "(" after "${k} ${op.v}", found ${describe(open)}`);
        const values: string[] = [];
        for (;;) {
          const t = peek();
          if (t.t === "op" && t.v === ")") {
            pos++;
            break;
          }
          if (t.t === "end") fail(`expected ")" to close the values of "${k} ${op.v}"`);
          if (values.length > 0 || (t.t === "op" && t.v === ",")) {
            if (t.t !== "op" || t.v !== ",")
              fail(`expected "," or ")" in the values of "${k}", found ${describe(t)}`);
            if (values.length === 0) fail(`expected a value before "," in the values of "${k}"`);
            pos++;
          }
          values.push(value());
        }
        if (values.length === 0) fail(`expected at least one value in "${k} ${op.v} ()"`);
        reqs.push({ key: k, op: op.v, values });
      } else {
        fail(
          `expected "=", "==", "!=", "in", "notin", ">" or "<" after "${k}", or "," to end it, found ${describe(op)}`,
        );
      }
    }
    const sep = next();
    if (sep.t === "end") return reqs;
    if (sep.t !== "op" || sep.v !== ",") fail(`expected "," between requirements, found ${describe(sep)}`);
    if (peek().t === "end") fail(`expected a requirement after the last ","`);
  }
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string>): boolean {
  return selector.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = has ? labels[r.key] : undefined;
    switch (r.op) {
      case "exists":
        return has;
      case "!":
        return !has;
      case "=":
      case "in":
        return has && r.values.includes(v ?? "");
      case "!=":
      case "notin":
        return !has || !r.values.includes(v ?? "");
      case ">":
      case "<": {
        if (!has || !/^-?\d+$/.test(v ?? "")) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === ">" ? n > bound : n < bound;
      }
      default:
        return false;
    }
  });
}

/** The selector in Kubernetes' canonical text, e.g. for messages. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case "exists":
          return r.key;
        case "!":
          return `!${r.key}`;
        case "in":
        case "notin":
          return `${r.key} ${r.op} (${r.values.join(",")})`;
        default:
          return `${r.key}${r.op}${r.values[0] ?? ""}`;
      }
    })
    .join(",");
}

// ---- field selectors ------------------------------------------------------------------------------

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

/**
 * Parses a field selector against the fields a resource supports. Values may contain "=" and
 * "," escaped as "\," (Kubernetes' escaping); an unknown field names the supported ones.
 */
export function parseFieldSelector(text: string, supported: readonly string[]): FieldRequirement[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      cur += text[i + 1];
      i++;
    } else if (c === ",") {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  if (text.trim() === "") return [];
  return parts.map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) {
      throw new SelectorError(
        text,
        part.trim() === ""
          ? "expected field=value between the commas"
          : `expected field=value, field==value or field!=value, got "${part.trim()}"`,
      );
    }
    const [, field = "", op = "", value = ""] = m;
    if (!supported.includes(field)) {
      throw new SelectorError(
        text,
        `"${field}" is not a known field selector: supported are ${supported.map((f) => `"${f}"`).join(", ")}`,
      );
    }
    return { field, op: op === "!=" ? "!=" : "=", value };
  });
}

export function matchesFields(
  selector: readonly FieldRequirement[],
  get: (field: string) => string | undefined,
): boolean {
  return selector.every((r) => {
    const v = get(r.field) ?? "";
    return r.op === "=" ? v === r.value : v !== r.value;
  });
}
