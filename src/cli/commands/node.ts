// mk node add|ls|cordon|uncordon|drain|rm
import { UsageError } from "../../lib/errors.ts";
import type { Taint, TaintEffect } from "../../manifest/types.ts";
import { resolveIdentityPath } from "../../node/identity-path.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData } from "../output.ts";
import { runGet } from "./get.ts";

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

export function parseLabels(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf("=");
    if (i <= 0) throw new UsageError(`--label ${v}: expected key=value`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function parseTaint(v: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(v);
  if (!m) throw new UsageError(`--taint ${v}: expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
  return { key: m[1] ?? "", ...(m[2] ? { value: m[2] } : {}), effect: m[3] as TaintEffect };
}

export async function runNode(args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const [action, name] = args;
  if (action === "ls" || action === "list") return runGet(["nodes"], opts);
  if (!action || !["add", "cordon", "uncordon", "drain", "rm", "remove"].includes(action)) {
    throw new UsageError("mk node needs an action: add, ls, cordon, uncordon, drain or rm");
  }
  if (!name) throw new UsageError(`mk node ${action} needs a node name`);
  const api = await ctx.api();
  try {
    let result: unknown;
    let text: string;
    switch (action) {
      case "add": {
        if (typeof opts.docker !== "string")
          throw new UsageError("mk node add needs --docker ssh://user@host[:port] or unix:///path");
        const taints = list(opts.taint).map(parseTaint);
        const labels = parseLabels(list(opts.label));
        // Resolved here: the server reading the key runs in another directory (or as another user).
        const identityFile =
          typeof opts.identity === "string" ? resolveIdentityPath(opts.identity) : undefined;
        const socketPath = typeof opts.socket === "string" ? opts.socket : undefined;
        if (opts.docker.startsWith("ssh://")) {
          const { trustHostOnAdd } = await import("../../node/ssh-trust.ts");
          await trustHostOnAdd(opts.docker, {
            ...(identityFile ? { identityFile } : {}),
            acceptNew: opts.acceptNewHostKey === true,
          });
        }
        const r = await api.nodeAdd({
          name,
          docker: opts.docker,
          ...(identityFile ? { identityFile } : {}),
          ...(socketPath ? { socketPath } : {}),
          labels,
          taints,
        });
        result = r;
        text = `node/${r.name} ${r.action}`;
        break;
      }
      case "cordon":
      case "uncordon": {
        const r = await api.cordon(name, action === "cordon");
        result = r;
        text = `node/${r.name} ${action}ed`;
        break;
      }
      case "drain": {
        const r = await api.drain(name);
        result = r;
        text = [
          `node/${r.name} cordoned`,
          ...r.evicted.map((p) => `pod/${p} evicted`),
          `node/${r.name} drained`,
        ].join("\n");
        break;
      }
      default: {
        const r = await api.nodeRemove(name);
        result = r;
        text = `node/${r.name} removed`;
      }
    }
    ctx.out(ctx.output === "json" || ctx.output === "yaml" ? formatData(result, ctx.output) : text);
    return 0;
  } finally {
    api.close();
  }
}
