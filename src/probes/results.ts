// Probe verdicts from consecutive results, as the kubelet counts them: a verdict flips only after
// successThreshold successes or failureThreshold failures in a row.

export interface ThresholdState {
  successes: number;
  failures: number;
  /** undefined until the first verdict. */
  verdict: boolean | undefined;
}

export const INITIAL_THRESHOLD_STATE: ThresholdState = { successes: 0, failures: 0, verdict: undefined };

export function countResult(
  s: ThresholdState,
  ok: boolean,
  thresholds: { successThreshold: number; failureThreshold: number },
): ThresholdState {
  const successes = ok ? s.successes + 1 : 0;
  const failures = ok ? 0 : s.failures + 1;
  let verdict = s.verdict;
  if (ok && successes >= thresholds.successThreshold) verdict = true;
  if (!ok && failures >= thresholds.failureThreshold) verdict = false;
  return { successes, failures, verdict };
}
