// Printing results: aligned tables for people, JSON and YAML for scripts.
import { stringify } from "yaml";

/** `-o`: jsonpath carries its template in Context.jsonpath; commands without a list print name as table. */
export type OutputFormat = "table" | "wide" | "json" | "yaml" | "name" | "jsonpath" | "custom-columns";

export const OUTPUT_FORMATS = "table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC";

export function parseOutput(v: unknown): OutputFormat {
  const s = String(v ?? "table");
  if (s === "table" || s === "wide" || s === "json" || s === "yaml" || s === "name") return s;
  if (/^jsonpath=/.test(s)) return "jsonpath";
  if (/^custom-columns=/.test(s)) return "custom-columns";
  if (s === "jsonpath")
    throw new RangeError("-o jsonpath needs a template: -o jsonpath='{.items[*].metadata.name}'");
  throw new RangeError(`-o ${s}: expected ${OUTPUT_FORMATS}`);
}

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) =>
    r.map((c) => (c === null || c === undefined || c === "" ? "<none>" : String(c))),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n");
}

export function formatData(data: unknown, format: "json" | "yaml"): string {
  return format === "json" ? JSON.stringify(data, null, 2) : stringify(data).trimEnd();
}

/** Kubernetes-style age: 5s, 3m, 2h, 4d. */
export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return "<none>";
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function formatCpu(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

export function formatBytes(n: number): string {
  const units = ["", "Ki", "Mi", "Gi", "Ti"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)}${units[i]}`;
}
