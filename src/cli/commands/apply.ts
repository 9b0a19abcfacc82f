// mk apply / mk diff
import { UsageError } from "../../lib/errors.ts";
import { parseDurationMs } from "../../manifest/quantity.ts";
import { readManifestSources } from "../../manifest/read.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData } from "../output.ts";
import { typeWord } from "../resource-ref.ts";
import { durationFlag, WAIT_FLAG } from "../timing-flags.ts";
import { applyProgress, waitFailure, waitFor } from "../wait.ts";
import { printPods } from "./get.ts";

export function filenames(opts: Record<string, unknown>, command: string): string[] {
  const f = opts.filename;
  const list = (Array.isArray(f) ? f : f === undefined ? [] : [f]).map(String);
  if (list.length === 0)
    throw new UsageError(`mk ${command} needs -f PATH (a file, a directory or - for stdin)`);
  return list;
}

export function durationOpt(v: unknown, flag: string): number {
  try {
    return parseDurationMs(String(v));
  } catch (err) {
    throw new UsageError(`${flag} ${String(v)}: ${(err as Error).message}`);
  }
}

export async function runApply(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const timeoutMs = durationFlag(WAIT_FLAG, opts.timeout);
  const sources = await readManifestSources(filenames(opts, "apply"));
  const dryRun = opts.dryRun === true;
  const api = await ctx.api();
  try {
    const results = await api.apply(sources, { dryRun });
    if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(results, ctx.output));
    else
      for (const r of results) {
        // The kind the user wrote (deployment.apps/web); -o wide also names what mk stores.
        const written = `${typeWord(r.kind, r.apiVersion)}/${r.name}`;
        const stored = `${r.kind.toLowerCase()}/${r.name}`;
        if (ctx.output === "name") ctx.out(written);
        else
          ctx.out(
            `${written} ${r.action}${dryRun ? " (dry run)" : ""}${ctx.output === "wide" && written !== stored ? ` (stored as ${stored})` : ""}`,
          );
      }
    const targets = results.filter((r) => r.kind === "Pod" || r.kind === "PodSet");
    if (dryRun || opts.wait === false || targets.length === 0) return 0;
    const outcome = await waitFor(
      api,
      (pods, sets) => applyProgress(targets, pods, sets),
      timeoutMs,
      ctx.log,
    );
    if (ctx.output === "table" || ctx.output === "wide") {
      const names = new Set(targets.map((t) => `${t.kind}/${t.name}`));
      const pods = (await api.pods()).filter((p) => names.has(`${p.owner.kind}/${p.owner.name}`));
      if (pods.length) ctx.out(`\n${printPods(pods, ctx.output === "wide")}`);
    }
    const failure = waitFailure(outcome, timeoutMs, "pods");
    if (failure) {
      process.stderr.write(`error: ${failure}\n`);
      return 1;
    }
    if (outcome.reconciledHere) {
      process.stderr.write(
        "note: no mk server is running for this state: nothing will restart these pods until `mk server` runs\n",
      );
    }
    return 0;
  } finally {
    api.close();
  }
}

export async function runDiff(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const sources = await readManifestSources(filenames(opts, "diff"));
  const api = await ctx.api();
  try {
    const results = await api.diff(sources);
    if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(results, ctx.output));
    else {
      for (const r of results) {
        if (r.action === "unchanged") continue;
        ctx.out(`${typeWord(r.kind, r.apiVersion)}/${r.name} would be ${r.action}`);
        for (const c of r.changes) ctx.out(`  ${c}`);
      }
    }
    return results.some((r) => r.action !== "unchanged") ? 1 : 0;
  } finally {
    api.close();
  }
}
