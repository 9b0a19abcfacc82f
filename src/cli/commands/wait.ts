// mk wait --for=condition=Ready|delete TYPE/NAME...|TYPE -l SEL [--timeout 30s]: kubectl's wait for pods and
// podsets. Succeeds only when every pod is Running and Ready (or gone, for --for=delete); a pod
// stuck in a crash loop, an image pull, a failed start or with no node to run on fails at once.
import type { MkApi } from "../../api/types.ts";
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { filtersOf, listObjects } from "../listing.ts";
import { groupNoun } from "../not-found.ts";
import { parseResourceArgs, RESOURCES, type ResourceGroup } from "../resource-ref.ts";
import { applyProgress, deleteProgress, type Target, waitFailure, waitFor } from "../wait.ts";
import { parseJsonPathFor, waitJsonPath } from "../wait-jsonpath.ts";
import { durationOpt } from "./apply.ts";

/**
 * The objects to wait for: TYPE/NAME..., TYPE NAME..., or TYPE -l SELECTOR (every match, as
 * kubectl); pods and podsets (deployment/NAME) only. Also the groups as typed, for the names printed.
 */
export async function waitTargets(
  api: MkApi,
  args: readonly string[],
  opts: Record<string, unknown>,
): Promise<{ targets: Target[]; groups: ResourceGroup[] }> {
  if (args.length === 0)
    throw new UsageError("mk wait needs an object, e.g. pod/web, deployment/web or pods -l app=web");
  const groups = parseResourceArgs(args, "wait");
  for (const g of groups) {
    if (g.resource !== "pods" && g.resource !== "podsets")
      throw new UsageError(`mk wait works on pods and podsets (deployments), not ${g.resource}`);
  }
  // --all is every object of the type: the selector that matches everything.
  const selector = opts.selector !== undefined || opts.all === true;
  if (!selector && groups.some((g) => g.names.length === 0))
    throw new UsageError("mk wait needs names (pod/web, pods a b), -l SELECTOR or --all");
  if (selector && groups.some((g) => g.names.length > 0))
    throw new UsageError("mk wait takes names or -l SELECTOR/--all, not both");
  if (!selector)
    return {
      targets: groups.flatMap((g) => g.names.map((name) => ({ kind: RESOURCES[g.resource].kind, name }))),
      groups,
    };
  const listing = await listObjects(api, groups, filtersOf(opts, groups));
  return {
    targets: listing.sections.flatMap((s) =>
      s.objects.map((o) => ({ kind: RESOURCES[s.resource].kind, name: o.metadata.name })),
    ),
    groups,
  };
}

type Condition = "ready" | "delete";

export function parseFor(v: unknown): Condition {
  const s = typeof v === "string" ? v : "";
  if (/^condition=(Ready|Available)(=true)?$/i.test(s)) return "ready";
  if (s === "delete") return "delete";
  throw new UsageError(
    `--for ${s || "(missing)"}: expected --for=condition=Ready (pods), --for=condition=Available (podsets), --for=delete or --for=jsonpath='{.status.phase}'=Running`,
  );
}

export async function runWait(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const jsonPath = parseJsonPathFor(typeof opts.for === "string" ? opts.for : "");
  const condition = jsonPath ? "ready" : parseFor(opts.for);
  const timeoutMs = durationOpt(opts.timeout ?? "30s", "--timeout");
  const api = await ctx.api();
  try {
    const { targets, groups } = await waitTargets(api, args, opts);
    if (targets.length === 0) {
      process.stderr.write("error: no matching resources found\n");
      return 1;
    }
    if (condition === "ready") {
      // kubectl fails at once for an object that does not exist.
      for (const t of targets) await (t.kind === "Pod" ? api.pod(t.name) : api.podSet(t.name));
    }
    // As kubectl names them: deployment.apps/web when the user typed deploy/web.
    const deploy = groups.some(
      (g) => g.resource === "podsets" && groupNoun("podsets", g.typed) === "deployments.apps",
    );
    const names = targets.map(
      (t) => `${t.kind === "PodSet" && deploy ? "deployment.apps" : t.kind.toLowerCase()}/${t.name}`,
    );
    if (jsonPath) {
      const pending = await waitJsonPath(api, targets, jsonPath, timeoutMs);
      if (pending.length > 0) {
        process.stderr.write(
          `error: timed out after ${String(opts.timeout ?? "30s")} waiting for ${pending.join(", ")}\n`,
        );
        return 1;
      }
      for (const n of names) ctx.out(`${n} condition met`);
      return 0;
    }
    const outcome = await waitFor(
      api,
      (pods, sets) =>
        condition === "delete"
          ? deleteProgress(targets, pods)
          : applyProgress(targets, pods, sets, { succeededOk: false }),
      timeoutMs,
      ctx.log,
    );
    const failure = waitFailure(outcome, timeoutMs, names.join(", "));
    if (failure) {
      process.stderr.write(`error: ${failure}\n`);
      return 1;
    }
    for (const n of names) ctx.out(condition === "delete" ? `${n} deleted` : `${n} condition met`);
    return 0;
  } finally {
    api.close();
  }
}
