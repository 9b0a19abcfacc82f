// mk rollout status|history|undo|pause|resume|restart podset/NAME, and mk set image podset/NAME C=IMAGE.
// kubectl's words and exit codes: status exits 0 when rolled out, 1 on a passed progress deadline,
// a failing new pod, or --timeout.
import { stringify } from "yaml";
import type { LocalApi } from "../../api/local.ts";
import type { MkApi } from "../../api/types.ts";
import { sleep } from "../../lib/clock.ts";
import { MkError, RuntimeError, UsageError } from "../../lib/errors.ts";
import { describeRollout, type RolloutStatusView } from "../../ops/rollout.ts";
import { type Context, createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { age, formatData, table } from "../output.ts";
import { durationOpt } from "./apply.ts";

const KIND_WORDS = /^(podset|podsets|ps|deployment|deployments|deploy)$/;

/** podset/NAME, deployment/NAME, or "podset NAME": the name, and the word to use in messages. */
export function podSetTarget(
  args: string[],
  command: string,
): { name: string; kind: string; rest: string[] } {
  const [first = "", second] = args;
  const slash = /^([a-z]+)(?:\.apps)?\/(.+)$/.exec(first);
  const word = slash ? slash[1] : first;
  const name = slash ? slash[2] : KIND_WORDS.test(first) ? second : undefined;
  if (!word || !KIND_WORDS.test(word) || !name) {
    throw new UsageError(`mk ${command} needs podset/NAME or deployment/NAME, e.g. mk ${command} podset/web`);
  }
  const kind = word.startsWith("deploy") ? "deployment" : "podset";
  return { name, kind, rest: args.slice(slash ? 1 : 2) };
}

/** `deployment.apps/web rolled back` as kubectl prints it, or the whole answer with -o json|yaml. */
function printAction(ctx: Context, ref: string, r: { action: string }): void {
  const shown = ref.replace(/^deployment\//, "deployment.apps/");
  ctx.out(
    ctx.output === "json" || ctx.output === "yaml" ? formatData(r, ctx.output) : `${shown} ${r.action}`,
  );
}

function revisionOpt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${String(v)}: expected a revision number`);
  return n === 0 ? undefined : n;
}

class RolloutFailed extends MkError {
  constructor(message: string) {
    super("rollout_failed", message, { exitCode: 1, httpStatus: 409 });
  }
}

export async function runRollout(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const [action = "", ...rest] = args;
  const actions = ["status", "history", "undo", "pause", "resume", "restart"];
  if (!actions.includes(action))
    throw new UsageError(`mk rollout needs one of ${actions.join(", ")}, e.g. mk rollout status podset/web`);
  const { name, kind } = podSetTarget(rest, `rollout ${action}`);
  const api = await ctx.api();
  try {
    switch (action) {
      case "status":
        return await status(ctx, api, name, kind, opts);
      case "history": {
        const revision = revisionOpt(opts.revision, "--revision");
        const list = await api.rolloutHistory(name, revision);
        if (ctx.output === "json" || ctx.output === "yaml")
          ctx.out(formatData(revision ? list[0] : list, ctx.output));
        else if (revision !== undefined && list[0]) {
          ctx.out(`${kind} "${name}" with revision #${revision}`);
          ctx.out(`Pod Template:\n${stringify(list[0].template).trimEnd().replace(/^/gm, "  ")}`);
        } else {
          ctx.out(`${kind} "${name}"`);
          ctx.out(
            table(
              ["REVISION", "CHANGE-CAUSE", "AGE", "IMAGES"],
              list.map((r) => [r.revision, r.changeCause, age(r.createdAt), r.images.join(",")]),
            ),
          );
        }
        return 0;
      }
      case "undo": {
        const r = await api.rolloutUndo(name, revisionOpt(opts.toRevision, "--to-revision"));
        printAction(ctx, `${kind}/${name}`, r);
        return 0;
      }
      case "pause":
      case "resume": {
        const r = await api.rolloutPause(name, action === "pause");
        printAction(ctx, `${kind}/${name}`, r);
        return 0;
      }
      default: {
        const r = await api.rolloutRestart(name);
        printAction(ctx, `${kind}/${name}`, r);
        return 0;
      }
    }
  } finally {
    api.close();
  }
}

/** Prints kubectl's waiting lines until the rollout is done, failed or --timeout passed. */
async function status(
  ctx: Context,
  api: MkApi,
  name: string,
  kind: string,
  opts: Record<string, unknown>,
): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? 0 : durationOpt(opts.timeout, "--timeout");
  const watch = opts.watch !== false;
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let last = "";
  let outcome: { done: boolean; error?: string } = { done: false };
  const look = (s: RolloutStatusView): boolean => {
    const d = describeRollout(s, kind);
    outcome = d;
    if (d.error) return true;
    if (d.message !== last) {
      if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(s, ctx.output));
      else ctx.out(d.message);
      last = d.message;
    }
    return d.done || !watch;
  };
  const local = "store" in api ? (api as LocalApi) : undefined;
  if (local) {
    // No server: reconcile here while waiting, like apply does; a live server's lease: watch it.
    const { Engine } = await import("../../engine/engine.ts");
    const q = await import("../../ops/rollout.ts");
    const engine = new Engine({ store: local.store, log: ctx.log.child("rollout"), resyncMs: 1000 });
    const check = () => look(q.rolloutStatus(local.store, name));
    if (!check()) {
      const left = () => (Number.isFinite(deadline) ? Math.max(0, deadline - Date.now()) : 2 ** 31 - 1);
      for (;;) {
        const r = await engine.converge(check, left());
        if (r !== "lease-held" || check() || Date.now() >= deadline) break;
        await sleep(250);
      }
    }
  } else {
    // A dropped connection (a keep-alive socket reset, a server restarting) is retried for a while,
    // as kubectl's watch does, instead of ending the wait with an error.
    let failingSince: number | undefined;
    for (;;) {
      let s: RolloutStatusView | undefined;
      try {
        s = await api.rolloutStatus(name);
        failingSince = undefined;
      } catch (err) {
        if (!(err instanceof RuntimeError)) throw err;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > 15_000) throw err;
      }
      if (s && look(s)) break;
      if (Date.now() >= deadline) break;
      await sleep(250);
    }
  }
  if (outcome.error) throw new RolloutFailed(outcome.error);
  if (!outcome.done && watch) throw new RolloutFailed("timed out waiting for the condition");
  return 0;
}

export async function runSet(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const [what, ...rest] = args;
  if (what !== "image")
    throw new UsageError("mk set supports image: mk set image podset/NAME CONTAINER=IMAGE");
  const { name, kind, rest: pairs } = podSetTarget(rest, "set image");
  if (pairs.length === 0)
    throw new UsageError("mk set image needs CONTAINER=IMAGE, e.g. mk set image podset/web app=nginx:1.27");
  const images: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0 || i === p.length - 1)
      throw new UsageError(`mk set image: expected CONTAINER=IMAGE, got "${p}"`);
    images[p.slice(0, i)] = p.slice(i + 1);
  }
  const api = await ctx.api();
  try {
    const r = await api.setImage(name, images);
    printAction(ctx, `${kind}/${name}`, r);
    return 0;
  } finally {
    api.close();
  }
}
