// kubectl's JSONPath templates, the common subset (`-o jsonpath=...`, `--sort-by`). Pure.
//
//   {.a.b}  {.items[0].x}  {.items[*].metadata.name}  {.items[-1:]}  {.metadata.labels.app\.io/name}
//   {.metadata.labels['app.io/name']}  {.items[?(@.status.phase=="Running")].metadata.name}
//   {range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}   {@}   {"literal"}
//
// Several results of one expression are joined by a space; strings print raw, other values as
// JSON; a missing key prints nothing (kubectl's --allow-missing-template-keys=true).
import { UsageError } from "../lib/errors.ts";

export type Step =
  | { t: "field"; name: string }
  | { t: "wild" }
  | { t: "index"; i: number }
  | { t: "slice"; from?: number; to?: number }
  | { t: "filter"; path: Step[]; op: "==" | "!=" | "exists"; value?: string | number | boolean };

type Node =
  | { t: "text"; text: string }
  | { t: "path"; steps: Step[] }
  | { t: "range"; steps: Step[]; body: Node[] };

export class JsonPathError extends UsageError {
  constructor(template: string, why: string) {
    super(`Cannot parse jsonpath ${JSON.stringify(template)}: ${why}`);
  }
}

function unquote(s: string, template: string): string {
  try {
    const body = s.startsWith("'")
      ? s.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')
      : s.slice(1, -1);
    return JSON.parse(`"${body.replace(/\\([^"\\/bfnrtu])/g, "$1")}"`) as string;
  } catch {
    throw new JsonPathError(template, `bad string literal ${s}`);
  }
}

/** Parses `.a.b[*]['c'][?(@.x=="y")]` (a leading `@` or `$` is allowed). */
export function parsePath(expr: string, template = expr): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const s = expr.trim();
  if (s[0] === "@" || s[0] === "$") i = 1;
  const fail = (why: string): never => {
    throw new JsonPathError(template, why);
  };
  while (i < s.length) {
    const c = s[i];
    if (c === ".") {
      i++;
      if (s[i] === ".") fail("recursive descent (..) is not supported");
      let name = "";
      while (i < s.length && s[i] !== "." && s[i] !== "[") {
        if (s[i] === "\\" && i + 1 < s.length) {
          name += s[i + 1];
          i += 2;
        } else name += s[i++];
      }
      if (name === "*") steps.push({ t: "wild" });
      else if (name !== "") steps.push({ t: "field", name });
    } else if (c === "[") {
      const close = s[i + 1] === "?" ? findFilterEnd(s, i) : s.indexOf("]", i);
      if (close < 0) fail(`expected "]" after "${s.slice(i)}"`);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === "*") steps.push({ t: "wild" });
      else if (/^-?\d+$/.test(inner)) steps.push({ t: "index", i: Number(inner) });
      else if (/^-?\d*:-?\d*$/.test(inner)) {
        const [a = "", b = ""] = inner.split(":");
        steps.push({ t: "slice", ...(a ? { from: Number(a) } : {}), ...(b ? { to: Number(b) } : {}) });
      } else if (/^(['"]).*\1$/.test(inner)) steps.push({ t: "field", name: unquote(inner, template) });
      else if (inner.startsWith("?(") && inner.endsWith(")")) {
        const f = /^(@[^=!]*?)\s*(?:(==|!=)\s*(.+))?$/.exec(inner.slice(2, -1).trim());
        if (!f) return fail(`bad filter [${inner}]`);
        const [, lhs = "@", op, rhs] = f;
        let value: string | number | boolean | undefined;
        if (rhs !== undefined) {
          const r = rhs.trim();
          if (/^(['"]).*\1$/.test(r)) value = unquote(r, template);
          else if (r === "true" || r === "false") value = r === "true";
          else if (/^-?\d+(\.\d+)?$/.test(r)) value = Number(r);
          else fail(`expected a quoted string, number or boolean in filter [${inner}]`);
        }
        steps.push({
          t: "filter",
          path: parsePath(lhs, template),
          op: op === "==" || op === "!=" ? op : "exists",
          ...(value !== undefined ? { value } : {}),
        });
      } else fail(`unsupported subscript [${inner}]`);
    } else fail(`expected "." or "[" at "${s.slice(i)}"`);
  }
  return steps;
}

function findFilterEnd(s: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "]" && depth === 0) return i;
  }
  return -1;
}

/** Parses a whole template; text outside braces is literal. */
export function parseTemplate(template: string): Node[] {
  const src = template.includes("{") ? template : `{${template}}`;
  const root: Node[] = [];
  const stack: { body: Node[] }[] = [{ body: root }];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{", i);
    const top = stack[stack.length - 1] as { body: Node[] };
    if (open < 0) {
      top.body.push({ t: "text", text: src.slice(i) });
      break;
    }
    if (open > i) top.body.push({ t: "text", text: src.slice(i, open) });
    let close = -1;
    let quote: string | undefined;
    for (let j = open + 1; j < src.length; j++) {
      const c = src[j];
      if (quote) {
        if (c === "\\") j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "}") {
        close = j;
        break;
      }
    }
    if (close < 0) throw new JsonPathError(template, `expected "}" after "${src.slice(open)}"`);
    const expr = src.slice(open + 1, close).trim();
    i = close + 1;
    if (expr.startsWith("range ") || expr === "range") {
      const node: Node = { t: "range", steps: parsePath(expr.slice(5), template), body: [] };
      top.body.push(node);
      stack.push(node);
    } else if (expr === "end") {
      if (stack.length === 1) throw new JsonPathError(template, "{end} without {range}");
      stack.pop();
    } else if (/^(['"]).*\1$/s.test(expr)) top.body.push({ t: "text", text: unquote(expr, template) });
    else top.body.push({ t: "path", steps: parsePath(expr, template) });
  }
  if (stack.length > 1) throw new JsonPathError(template, "{range} without {end}");
  return root;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Every value `steps` reach from `root` (missing keys reach nothing). */
export function evaluate(steps: readonly Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (step.t) {
        case "field":
          if (isRecord(v) && Object.hasOwn(v, step.name)) next.push(v[step.name]);
          break;
        case "wild":
          if (Array.isArray(v)) next.push(...v);
          else if (isRecord(v)) next.push(...Object.values(v));
          break;
        case "index":
          if (Array.isArray(v)) {
            const x = v[step.i < 0 ? v.length + step.i : step.i];
            if (x !== undefined) next.push(x);
          }
          break;
        case "slice":
          if (Array.isArray(v)) next.push(...v.slice(step.from, step.to));
          break;
        case "filter":
          if (Array.isArray(v))
            for (const item of v) {
              const found = evaluate(step.path, item);
              const ok =
                step.op === "exists"
                  ? found.length > 0 && found[0] !== null && found[0] !== false
                  : (step.op === "==") === found.some((f) => f === step.value);
              if (ok) next.push(item);
            }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function run(nodes: readonly Node[], data: unknown): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text") out += n.text;
    else if (n.t === "path") out += evaluate(n.steps, data).map(show).join(" ");
    else
      for (const item of evaluate(n.steps, data).flatMap((v) => (Array.isArray(v) ? v : [v])))
        out += run(n.body, item);
  }
  return out;
}

/** Renders `template` over `data`. Throws JsonPathError (a usage error) on a bad template. */
export function renderJsonPath(template: string, data: unknown): string {
  return run(parseTemplate(template), data);
}
