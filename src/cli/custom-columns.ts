// kubectl's -o custom-columns=NAME:.metadata.name,NODE:.status.node: one column per
// HEADER:JSONPATH pair, each cell the field's value (several results joined by ","; a missing one
// "<none>"). Pure.
import { UsageError } from "../lib/errors.ts";
import type { KubeObject } from "../ops/kube-objects.ts";
import { evaluate, parsePath, type Step } from "./jsonpath.ts";

export interface CustomColumn {
  header: string;
  steps: Step[];
}

export function parseCustomColumns(spec: string): CustomColumn[] {
  const flag = `-o custom-columns=${spec}`;
  if (spec.trim() === "")
    throw new UsageError(`${flag}: expected HEADER:JSONPATH[,HEADER:JSONPATH...], e.g. NAME:.metadata.name`);
  return spec.split(",").map((part) => {
    const colon = part.indexOf(":");
    const header = colon < 0 ? "" : part.slice(0, colon).trim();
    const path = colon < 0 ? "" : part.slice(colon + 1).trim();
    if (header === "" || path === "")
      throw new UsageError(`${flag}: "${part}" is not HEADER:JSONPATH (e.g. NAME:.metadata.name)`);
    const p = path.replace(/^\{(.*)\}$/, "$1");
    try {
      return { header, steps: parsePath(p.startsWith(".") || p.startsWith("[") ? p : `.${p}`, path) };
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
  });
}

const show = (v: unknown) =>
  v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);

export function customColumnCells(columns: readonly CustomColumn[], o: KubeObject): string[] {
  return columns.map((c) =>
    evaluate(c.steps, o)
      .map(show)
      .filter((s) => s !== "")
      .join(","),
  );
}
