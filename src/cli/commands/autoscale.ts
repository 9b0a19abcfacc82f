// mk autoscale deployment/NAME --max N [--min N] [--cpu-percent N] [--name HPA]: kubectl
// autoscale. Writes the autoscaling/v2 HorizontalPodAutoscaler kubectl would create and applies it
// through the same manifest pipeline as `mk apply` (so its checks and messages are apply's).
import { stringify } from "yaml";
import { MkError, UsageError } from "../../lib/errors.ts";
import { MAX_UTILIZATION_PERCENT } from "../../manifest/autoscaler-schema.ts";
import { MAX_REPLICAS } from "../../manifest/limits.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData } from "../output.ts";
import { parseSingleRef } from "../resource-ref.ts";

/** An integer flag in lo..hi, or undefined when left out; a bad value is refused naming the flag. */
function intFlag(flag: string, v: unknown, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (v === true || !/^\d+$/.test(s) || Number(s) < lo || Number(s) > hi)
    throw new UsageError(`${flag} ${v === true ? "(no value)" : s}: expected a whole number ${lo}..${hi}`);
  return Number(s);
}

export interface AutoscaleRequest {
  target: string;
  name: string;
  min?: number;
  max: number;
  cpuPercent?: number;
}

/** The flags as kubectl autoscale reads them; -1 (kubectl's "unset") counts as left out. */
export function autoscaleRequest(target: string, opts: Record<string, unknown>): AutoscaleRequest {
  const unset = (v: unknown) => (v === -1 || v === "-1" ? undefined : v);
  const max = intFlag("--max", unset(opts.max), 1, MAX_REPLICAS);
  if (max === undefined)
    throw new UsageError(
      "mk autoscale needs --max N, e.g. mk autoscale deploy/web --min 1 --max 10 --cpu-percent 50",
    );
  const min = intFlag("--min", unset(opts.min), 1, MAX_REPLICAS);
  if (min !== undefined && min > max) throw new UsageError(`--min ${min}: expected at most --max (${max})`);
  const cpuPercent = intFlag("--cpu-percent", unset(opts.cpuPercent), 1, MAX_UTILIZATION_PERCENT);
  const name = opts.name === undefined ? target : String(opts.name);
  return {
    target,
    name,
    max,
    ...(min !== undefined ? { min } : {}),
    ...(cpuPercent !== undefined ? { cpuPercent } : {}),
  };
}

/** The manifest kubectl autoscale creates (no --cpu-percent: no metrics, Kubernetes' 80 % cpu). */
export function autoscaleDoc(r: AutoscaleRequest): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: r.target },
    ...(r.min !== undefined ? { minReplicas: r.min } : {}),
    maxReplicas: r.max,
  };
  if (r.cpuPercent !== undefined)
    spec.metrics = [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: r.cpuPercent } },
      },
    ];
  return { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: r.name }, spec };
}

export async function runAutoscale(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const { ref, rest } = parseSingleRef(args, {
    command: "autoscale",
    allowed: ["podsets"],
    example: "mk autoscale deploy/web --min 1 --max 10 --cpu-percent 50",
  });
  if (rest.length > 0) throw new UsageError(`mk autoscale takes one object, got also "${rest.join(" ")}"`);
  const request = autoscaleRequest(ref.name, opts);
  const doc = autoscaleDoc(request);
  const text = stringify(doc);
  const dryRun = opts.dryRun === true;
  if (dryRun && (ctx.output === "yaml" || ctx.output === "json")) {
    // kubectl autoscale --dry-run=client -o yaml: the manifest, to edit and apply later.
    ctx.out(formatData(doc, ctx.output));
    return 0;
  }
  const api = await ctx.api();
  try {
    await api.objects("PodSet", ref.name); // NotFound when there is no such podset
    const existing = await api.objects("Autoscaler", request.name).catch((err: unknown) => {
      if (err instanceof MkError && err.code === "not_found") return [];
      throw err;
    });
    if (existing.length > 0)
      throw new MkError("already_exists", `horizontalpodautoscaler "${request.name}" already exists`, {
        details: { kind: "Autoscaler", name: request.name },
        httpStatus: 409,
      });
    const [result] = await api.apply([{ file: "mk autoscale", text }], { dryRun });
    const word = `horizontalpodautoscaler.autoscaling/${result?.name ?? request.name}`;
    if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(result, ctx.output));
    else if (ctx.output === "name") ctx.out(word);
    else ctx.out(`${word} autoscaled${dryRun ? " (dry run)" : ""}`);
    return 0;
  } finally {
    api.close();
  }
}
