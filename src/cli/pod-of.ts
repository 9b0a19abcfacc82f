// The one pod a command acts on (exec, port-forward, logs), named as kubectl takes it: NAME,
// pod/NAME, po/NAME, or a podset's TYPE/NAME (deploy/web, podset/web), which means one of its
// pods: a running one first, the oldest of those, as kubectl picks for `kubectl exec deploy/web`.
import type { MkApi } from "../api/types.ts";
import { UsageError } from "../lib/errors.ts";
import { RESOURCES, resourceOf } from "./resource-ref.ts";

/** Which pod `arg` names directly, or the podset whose pod it means. Pure. */
export function parsePodArg(
  arg: string | undefined,
  command: string,
): { pod: string } | { podset: string; typed: string } {
  if (!arg) throw new UsageError(`mk ${command} needs a pod name (NAME, pod/NAME or deploy/NAME)`);
  const slash = arg.indexOf("/");
  if (slash < 0) return { pod: arg };
  const typed = arg.slice(0, slash);
  const name = arg.slice(slash + 1);
  if (name === "") throw new UsageError(`mk ${command}: "${arg}" has no name after the "/"`);
  const resource = resourceOf(typed);
  if (resource === "pods") return { pod: name };
  if (resource === "podsets") return { podset: name, typed };
  throw new UsageError(
    `mk ${command} works on pods, not ${RESOURCES[resource].resource}: expected NAME, pod/NAME or deploy/NAME`,
  );
}

/** The podset's pod to act on: running first, then the oldest; an error if it has none. */
export async function podOfPodSet(
  api: MkApi,
  podset: string,
  typed: string,
  say?: (line: string) => void,
): Promise<string> {
  const pods = (await api.pods())
    .filter((p) => p.owner.kind === "PodSet" && p.owner.name === podset && !p.deletionRequestedAt)
    .sort(
      (a, b) =>
        Number(b.phase === "Running") - Number(a.phase === "Running") ||
        (a.createdAt ?? "").localeCompare(b.createdAt ?? ""),
    );
  const first = pods[0];
  // kubectl logs deploy/web: "Found 2 pods, using pod/web-..." on stderr.
  if (first && pods.length > 1) say?.(`Found ${pods.length} pods, using pod/${first.name}`);
  if (first) return first.name;
  await api.podSet(podset); // not found: says so
  throw new UsageError(`${typed}/${podset} has no pods`);
}

export async function resolvePod(api: MkApi, arg: string | undefined, command: string): Promise<string> {
  const p = parsePodArg(arg, command);
  return "pod" in p ? p.pod : podOfPodSet(api, p.podset, p.typed);
}
