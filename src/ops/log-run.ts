// Which of a container's runs `mk logs` reads, as the kubelet chooses: the current run, or with -p
// the last terminated one. While a container waits to be restarted (crash-loop back-off) its
// newest run has already exited and *is* the last terminated one, so `-p` shows it, as
// `kubectl logs -p` does for a pod in CrashLoopBackOff; otherwise `-p` is the run before. Pure.
import { type Attempts, isActive } from "../reconcile/attempts.ts";
import type { RuntimeContainer } from "../runtime/runtime.ts";

export function logRun(
  runs: Attempts,
  previous: boolean,
  waitingToRestart: boolean,
): RuntimeContainer | undefined {
  if (!previous) return runs.current;
  if (runs.current && !isActive(runs.current) && waitingToRestart) return runs.current;
  return runs.previous;
}
