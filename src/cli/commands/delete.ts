// mk delete -f PATH | TYPE NAME... | TYPE/NAME... | TYPE -l SELECTOR | TYPE --all
// kubectl's flags: --grace-period N, --force (grace 0, gone from the state at once), --now,
// --ignore-not-found, --wait (default) with progress while pods stop.
import { UsageError } from "../../lib/errors.ts";
import { readManifestSources } from "../../manifest/read.ts";
import type { DeleteOptions, ObjectRef } from "../../ops/commands.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { filtersOf, listObjects } from "../listing.ts";
import { notFoundLine } from "../not-found.ts";
import { formatData } from "../output.ts";
import { parseResourceArgs, RESOURCES, typeWord } from "../resource-ref.ts";
import { durationFlag, WAIT_FLAG } from "../timing-flags.ts";
import { deleteProgress, waitFor } from "../wait.ts";
import { filenames } from "./apply.ts";

const FORCE_WARNING =
  "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n";

/** --grace-period, --force and --now as kubectl reads them. */
export function deleteOptionsOf(opts: Record<string, unknown>): DeleteOptions {
  let grace: number | undefined;
  if (opts.gracePeriod !== undefined) {
    const s = String(opts.gracePeriod);
    if (!/^-?\d+$/.test(s))
      throw new UsageError(`--grace-period ${s}: expected a whole number of seconds (-1 for the pod's own)`);
    const n = Number(s);
    if (n >= 0) grace = n;
  }
  if (opts.now === true) {
    if (grace !== undefined) throw new UsageError("--now and --grace-period cannot be used together");
    grace = 1;
  }
  const force = opts.force === true;
  // kubectl: --grace-period 0 without --force means 1 (a stop, not a kill); --force means 0.
  if (grace === 0 && !force) grace = 1;
  if (force && grace === undefined) grace = 0;
  if (force && grace !== 0)
    throw new UsageError("--force deletes at once: use it with --grace-period 0 (or without --grace-period)");
  return { ...(grace !== undefined ? { graceSeconds: grace } : {}), ...(force ? { force } : {}) };
}

export async function runDelete(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const timeoutMs = durationFlag(WAIT_FLAG, opts.timeout);
  const delOpts = deleteOptionsOf(opts);
  const ignoreNotFound = opts.ignoreNotFound === true;
  const api = await ctx.api();
  try {
    let refs: ObjectRef[];
    if (opts.filename !== undefined) {
      if (args.length > 0) throw new UsageError("mk delete takes -f PATH or resources by name, not both");
      refs = await api.refs(await readManifestSources(filenames(opts, "delete")));
    } else {
      if (args.length === 0)
        throw new UsageError(
          "mk delete needs -f PATH or a resource, e.g. mk delete pod web, mk delete deploy/web",
        );
      const groups = parseResourceArgs(args, "delete");
      const bySelector = opts.selector !== undefined || opts.all === true;
      for (const g of groups) {
        if (g.resource === "events") throw new UsageError("mk delete does not take events");
        if (g.names.length > 0 && bySelector)
          throw new UsageError("mk delete takes names or -l/--all, not both");
        if (g.names.length === 0 && !bySelector)
          throw new UsageError(
            `mk delete ${RESOURCES[g.resource].resource} needs names, -l SELECTOR or --all`,
          );
      }
      if (bySelector) {
        const listing = await listObjects(api, groups, filtersOf(opts, groups));
        refs = listing.sections.flatMap((s) =>
          s.objects.map((o) => ({ kind: RESOURCES[s.resource].kind, name: o.metadata.name })),
        );
        if (refs.length === 0 && !ignoreNotFound) process.stderr.write("No resources found\n");
      } else {
        refs = groups.flatMap((g) => g.names.map((name) => ({ kind: RESOURCES[g.resource].kind, name })));
      }
    }
    if (delOpts.force) process.stderr.write(FORCE_WARNING);
    const results = refs.length > 0 ? await api.delete(refs, delOpts) : [];
    const name = (r: { kind: string; name: string; apiVersion?: string }) =>
      `${typeWord(r.kind, r.apiVersion)}/${r.name}`;
    if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(results, ctx.output));
    for (const r of results) {
      if (r.action === "deleted") {
        if (ctx.output === "name") ctx.out(name(r));
        else if (ctx.output !== "json" && ctx.output !== "yaml")
          ctx.out(`${name(r)} deleted${delOpts.force ? " (force)" : ""}`);
      } else if (!ignoreNotFound) {
        process.stderr.write(`${notFoundLine(r.kind, r.name, [...args, typeWord(r.kind, r.apiVersion)])}\n`);
      }
    }
    const missing = !ignoreNotFound && results.some((r) => r.action === "not-found");
    const targets = results.filter(
      (r) => r.action === "deleted" && (r.kind === "Pod" || r.kind === "PodSet"),
    );
    if (opts.wait !== false && targets.length > 0) {
      // Progress instead of silence while pods stop (each takes up to its grace period).
      let said = "";
      const outcome = await waitFor(
        api,
        (pods) => {
          const p = deleteProgress(targets, pods);
          const now = p.waiting.join("\n");
          if (!p.done && now !== said) {
            process.stderr.write(
              `waiting for ${p.waiting.length} pod(s) to stop:\n  ${p.waiting.join("\n  ")}\n`,
            );
            said = now;
          }
          return p;
        },
        timeoutMs,
        ctx.log,
      );
      if (outcome.result === "timeout") {
        process.stderr.write(`error: timed out waiting for deletion:\n  ${outcome.waiting.join("\n  ")}\n`);
        return 1;
      }
    }
    return missing ? 1 : 0;
  } finally {
    api.close();
  }
}
