// mk wait --for=condition=Ready|delete TYPE/NAME... [--timeout 30s]: kubectl's wait for pods and
// podsets. Succeeds only when every pod is Running and Ready (or gone, for --for=delete); a pod
// stuck in a crash loop, an image pull, a failed start or with no node to run on fails at once.
import { UsageError } from "../../lib/errors.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { applyProgress, deleteProgress, type Target, waitFailure, waitFor } from "../wait.ts";
import { durationOpt } from "./apply.ts";

const KINDS: Record<string, string> = {
  pod: "Pod",
  pods: "Pod",
  po: "Pod",
  podset: "PodSet",
  podsets: "PodSet",
  deployment: "PodSet",
  deployments: "PodSet",
  deploy: "PodSet",
};

/** `pod/a`, `pods a b`, `deployment.apps/web`: the objects to wait for. */
export function waitTargets(args: readonly string[]): Target[] {
  if (args.length === 0) throw new UsageError("mk wait needs an object, e.g. pod/web or podset/web");
  const kindOf = (word: string) => {
    const kind = KINDS[word.toLowerCase().replace(/\.apps$/, "")];
    if (!kind) throw new UsageError(`mk wait: unknown resource type "${word}"; expected pod or podset`);
    return kind;
  };
  if (args.every((a) => a.includes("/"))) {
    return args.map((a) => {
      const [type = "", name = ""] = a.split("/", 2);
      if (!name) throw new UsageError(`mk wait: "${a}" names no object; expected TYPE/NAME`);
      return { kind: kindOf(type), name };
    });
  }
  const [type = "", ...names] = args;
  if (names.length === 0 || names.some((n) => n.includes("/")))
    throw new UsageError(`mk wait: expected TYPE NAME... or TYPE/NAME..., got "${args.join(" ")}"`);
  const kind = kindOf(type);
  return names.map((name) => ({ kind, name }));
}

type Condition = "ready" | "delete";

export function parseFor(v: unknown): Condition {
  const s = typeof v === "string" ? v : "";
  if (/^condition=(Ready|Available)(=true)?$/i.test(s)) return "ready";
  if (s === "delete") return "delete";
  throw new UsageError(
    `--for ${s || "(missing)"}: expected --for=condition=Ready (pods), --for=condition=Available (podsets) or --for=delete`,
  );
}

export async function runWait(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const condition = parseFor(opts.for);
  const timeoutMs = durationOpt(opts.timeout ?? "30s", "--timeout");
  const targets = waitTargets(args);
  const api = await ctx.api();
  try {
    if (condition === "ready") {
      // kubectl fails at once for an object that does not exist.
      for (const t of targets) await (t.kind === "Pod" ? api.pod(t.name) : api.podSet(t.name));
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
    const names = targets.map((t) => `${t.kind.toLowerCase()}/${t.name}`);
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
