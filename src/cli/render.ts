// Printing a listing in every -o format: tables (with -L, --show-labels, --no-headers, several
// resource types at once), json/yaml (one object, or a `kind: List`), name, jsonpath,
// custom-columns (a table of the columns asked for).
import { stringify } from "yaml";
import { type KubeObject, kubeList } from "../ops/kube-objects.ts";
import type { Context } from "./context.ts";
import { type CustomColumn, customColumnCells, parseCustomColumns } from "./custom-columns.ts";
import { renderJsonPath } from "./jsonpath.ts";
import type { Listing } from "./listing.ts";
import { formatData } from "./output.ts";
import { RESOURCES, type Resource, typeWord } from "./resource-ref.ts";

export type Cell = string | number | null | undefined;

export interface Columns {
  headers: string[];
  rows: Cell[][];
}

export interface TableOptions {
  wide: boolean;
  showLabels: boolean;
  /** -L keys: one column per key with the label's value. */
  labelColumns: string[];
  noHeaders: boolean;
  /** -o custom-columns: these columns instead of the resource's. */
  customColumns?: CustomColumn[];
  tables: Record<Resource, (objects: readonly KubeObject[], wide: boolean) => Columns>;
}

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined || v === true ? [] : [v]).flatMap((x) =>
    String(x)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );

export function tableOptionsOf(
  ctx: Pick<Context, "output" | "customColumns">,
  opts: Record<string, unknown>,
  tables: TableOptions["tables"],
): TableOptions {
  return {
    wide: ctx.output === "wide",
    showLabels: opts.showLabels === true,
    labelColumns: list(opts.labelColumns ?? opts.L),
    noHeaders: opts.headers === false || opts.noHeaders === true,
    ...(ctx.customColumns !== undefined ? { customColumns: parseCustomColumns(ctx.customColumns) } : {}),
    tables,
  };
}

/** `pod/web`, `deployment.apps/web`, `node/local`: what -o name prints and `get all` shows. */
export function objectName(o: KubeObject): string {
  return `${typeWord(o.kind === "Deployment" ? "PodSet" : o.kind, o.apiVersion)}/${o.metadata.name}`;
}

const showCell = (c: Cell) => (c === null || c === undefined || c === "" ? "<none>" : String(c));

/** The resource's columns plus -L and --show-labels; names prefixed with their type when asked. */
export function columnsOf(
  resource: Resource,
  objects: readonly KubeObject[],
  opts: TableOptions,
  prefix: boolean,
): Columns {
  const custom = opts.customColumns;
  const base = custom
    ? { headers: custom.map((c) => c.header), rows: objects.map((o) => customColumnCells(custom, o)) }
    : opts.tables[resource](objects, opts.wide);
  const headers = [...base.headers];
  for (const key of opts.labelColumns) headers.push((key.split("/").pop() ?? key).toUpperCase());
  if (opts.showLabels) headers.push("LABELS");
  const rows = base.rows.map((row, i) => {
    const o = objects[i] as KubeObject;
    const labels = o.metadata.labels ?? {};
    const out: Cell[] = [...row];
    if (prefix && !custom) out[0] = objectName(o);
    for (const key of opts.labelColumns) out.push(labels[key] ?? "");
    if (opts.showLabels) {
      const text = Object.entries(labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      out.push(text);
    }
    return out;
  });
  return { headers, rows };
}

/** Aligned lines; `widths` (from an earlier table, for -w) are only ever widened. */
export function alignRows(
  rows: readonly string[][],
  widths: number[] = [],
): { lines: string[]; widths: number[] } {
  const w = [...widths];
  for (const r of rows) for (const [i, c] of r.entries()) w[i] = Math.max(w[i] ?? 0, c.length);
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] ?? 0)))
      .join("   ")
      .trimEnd(),
  );
  return { lines, widths: w };
}

export function tableRows(cols: Columns): string[][] {
  return cols.rows.map((r) => r.map(showCell));
}

/** Prints the listing as -o asks; returns the exit code (1 when a name was not found). */
export function printListing(ctx: Context, listing: Listing, single: boolean, opts: TableOptions): number {
  for (const m of listing.missing) process.stderr.write(`Error from server (NotFound): ${m}\n`);
  const all = listing.sections.flatMap((s) => s.objects);
  const code = listing.missing.length > 0 ? 1 : 0;
  const data = single && all.length === 1 ? all[0] : kubeList(all);
  switch (ctx.output) {
    case "json":
    case "yaml":
      if (!(single && all.length === 0)) ctx.out(formatData(data, ctx.output));
      return code;
    case "name":
      for (const o of all) ctx.out(objectName(o));
      return code;
    case "jsonpath":
      if (!(single && all.length === 0)) process.stdout.write(renderJsonPath(ctx.jsonpath ?? "", data));
      return code;
    default: {
      const shown = listing.sections.filter((s) => s.objects.length > 0);
      if (shown.length === 0) {
        if (listing.missing.length === 0) process.stderr.write("No resources found in default namespace.\n");
        return code;
      }
      const prefix = listing.sections.length > 1;
      const blocks = shown.map((s) => {
        const cols = columnsOf(s.resource, s.objects, opts, prefix);
        const rows = tableRows(cols);
        return alignRows(opts.noHeaders ? rows : [cols.headers, ...rows]).lines.join("\n");
      });
      ctx.out(blocks.join("\n\n"));
      return code;
    }
  }
}

/** One object for -w with -o json|yaml|name, optionally wrapped as a watch event. */
export function formatWatchObject(ctx: Context, o: KubeObject, type: string | undefined): string {
  const value = type ? { type, object: o } : o;
  switch (ctx.output) {
    case "json":
      return JSON.stringify(value, null, 2);
    case "yaml":
      return `---\n${stringify(value).trimEnd()}`;
    case "jsonpath":
      return renderJsonPath(ctx.jsonpath ?? "", o);
    default:
      return type ? `${type} ${objectName(o)}` : objectName(o);
  }
}

export function resourceTitle(resource: Resource): string {
  return RESOURCES[resource].resource;
}
