// mk wait --for=jsonpath='{.status.phase}'=Running (kubectl 1.23+): poll each object's
// Kubernetes-shaped form until the JSONPath renders to the value (or, without `=VALUE`, to
// anything at all). A plain wait for a field: no fail-fast on stuck pods (--for=condition=Ready
// does that).
import type { MkApi } from "../api/types.ts";
import { UsageError } from "../lib/errors.ts";
import { parseTemplate, renderJsonPath } from "./jsonpath.ts";

export interface JsonPathCondition {
  template: string;
  /** undefined: the field only has to exist (render to something). */
  value?: string;
}

/** `jsonpath={.status.phase}=Running`, `jsonpath='{.a}'=x`, `jsonpath={.a}`; undefined if not jsonpath. Pure. */
export function parseJsonPathFor(s: string): JsonPathCondition | undefined {
  const m = /^jsonpath=(.*)$/s.exec(s);
  if (!m) return undefined;
  let rest = (m[1] as string).trim();
  // A template quoted in the argument itself (no shell took the quotes): 'TEMPLATE'=VALUE.
  const q = /^(['"])(\{.*?\})\1(.*)$/s.exec(rest);
  if (q) rest = `${q[2]}${q[3]}`;
  // The template ends at the } that closes the first {; what follows "=" is the value.
  const close = rest.startsWith("{") ? rest.indexOf("}") : -1;
  const unquote = (t: string) => t.replace(/^'(.*)'$/s, "$1").replace(/^"(.*)"$/s, "$1");
  let template: string;
  let value: string | undefined;
  if (close > 0) {
    template = rest.slice(0, close + 1);
    const tail = rest.slice(close + 1);
    if (tail !== "" && !tail.startsWith("="))
      throw new UsageError(
        `--for ${s}: expected jsonpath={.path}=VALUE, e.g. --for=jsonpath='{.status.phase}'=Running`,
      );
    value = tail === "" ? undefined : unquote(tail.slice(1));
  } else {
    const eq = rest.lastIndexOf("=");
    template = unquote(eq > 0 ? rest.slice(0, eq) : rest);
    value = eq > 0 ? unquote(rest.slice(eq + 1)) : undefined;
    if (!template.startsWith("{")) template = `{${template.startsWith(".") ? "" : "."}${template}}`;
  }
  try {
    parseTemplate(template);
  } catch (err) {
    throw new UsageError(`--for ${s}: ${(err as Error).message}`);
  }
  return { template, ...(value !== undefined ? { value } : {}) };
}

/** Whether the object meets the condition. Pure. */
export function meetsJsonPath(c: JsonPathCondition, object: unknown): boolean {
  const got = renderJsonPath(c.template, object);
  return c.value === undefined ? got !== "" : got === c.value;
}

/** Polls until every object meets the condition; the names still waited for on timeout. */
export async function waitJsonPath(
  api: MkApi,
  targets: readonly { kind: string; name: string }[],
  c: JsonPathCondition,
  timeoutMs: number,
  pollMs = 500,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending: string[] = [];
    for (const t of targets) {
      const [o] = await api.objects(t.kind, t.name);
      if (!meetsJsonPath(c, o)) pending.push(`${t.kind.toLowerCase()}/${t.name}`);
    }
    if (pending.length === 0 || Date.now() >= deadline) return pending;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
