// mk delete -f PATH | mk delete <resource> <name>
import { UsageError } from "../../lib/errors.ts";
import { readManifestSources } from "../../manifest/read.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData } from "../output.ts";
import { deleteProgress, waitFor } from "../wait.ts";
import { durationOpt, filenames } from "./apply.ts";
import { resourceOf } from "./get.ts";

export async function runDelete(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const timeoutMs = durationOpt(opts.timeout ?? "120s", "--timeout");
  const api = await ctx.api();
  try {
    let refs: { kind: string; name: string }[];
    if (opts.filename !== undefined) {
      refs = await api.refs(await readManifestSources(filenames(opts, "delete")));
    } else {
      const [word, ...names] = args;
      const slash = word?.includes("/") ? word.split("/") : undefined;
      const resource = resourceOf(slash ? slash[0] : word);
      const kind = { pods: "Pod", podsets: "PodSet", nodes: "Node", events: "", autoscalers: "Autoscaler" }[
        resource
      ];
      if (!kind) throw new UsageError("mk delete takes pod, podset, node or hpa");
      const all = slash ? [slash[1] ?? "", ...names] : names;
      if (all.length === 0 || all.some((n) => !n))
        throw new UsageError("mk delete needs -f PATH or a resource and name(s)");
      refs = all.map((name) => ({ kind, name }));
    }
    const results = await api.delete(refs);
    if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(results, ctx.output));
    else
      for (const r of results)
        ctx.out(
          r.action === "deleted"
            ? `${r.kind.toLowerCase()}/${r.name} deleted`
            : `${r.kind.toLowerCase()}/${r.name} not found`,
        );
    const missing = results.some((r) => r.action === "not-found");
    const targets = results.filter(
      (r) => r.action === "deleted" && (r.kind === "Pod" || r.kind === "PodSet"),
    );
    if (opts.wait !== false && targets.length > 0) {
      const outcome = await waitFor(api, (pods) => deleteProgress(targets, pods), timeoutMs, ctx.log);
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
