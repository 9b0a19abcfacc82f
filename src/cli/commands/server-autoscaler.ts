// mk server's autoscaler flags -> AutoscalerSettings, each bad value refused naming its flag.
import type { AutoscalerSettings } from "../../autoscaler/loop.ts";
import { UsageError } from "../../lib/errors.ts";
import { durationOpt } from "./apply.ts";

function positiveDuration(v: unknown, fallback: string, flag: string, maxMs = 24 * 3_600_000): number {
  const ms = durationOpt(v ?? fallback, flag);
  if (ms <= 0 || ms > maxMs)
    throw new UsageError(`${flag} ${String(v)}: expected a duration above 0 and at most ${maxMs / 1000}s`);
  return ms;
}

export function prometheusUrl(v: unknown): string | undefined {
  if (v === undefined || v === "" || v === false) return undefined;
  const text = String(v);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--prometheus ${text}: expected an http(s) URL such as http://127.0.0.1:9090`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--prometheus ${text}: expected an http(s) URL such as http://127.0.0.1:9090`);
  return url.toString();
}

export function autoscalerSettings(opts: Record<string, unknown>): AutoscalerSettings {
  const tolerance = Number(opts.autoscalerTolerance ?? 0.1);
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance >= 1)
    throw new UsageError(
      `--autoscaler-tolerance ${String(opts.autoscalerTolerance)}: expected a number 0 <= x < 1`,
    );
  const cpuInit = durationOpt(opts.autoscalerCpuInit ?? "30s", "--autoscaler-cpu-init");
  const url = prometheusUrl(opts.prometheus);
  // Checked even without --prometheus: a bad flag is an error, never silently unused.
  const timeoutMs = positiveDuration(opts.prometheusTimeout, "5s", "--prometheus-timeout", 300_000);
  return {
    syncMs: positiveDuration(opts.autoscalerSync, "15s", "--autoscaler-sync", 3_600_000),
    windowMs: positiveDuration(opts.autoscalerWindow, "1m", "--autoscaler-window", 3_600_000),
    tolerance,
    cpuInitializationMs: cpuInit,
    ...(url
      ? {
          prometheus: {
            url,
            timeoutMs,
          },
        }
      : {}),
  };
}

/** --stats-interval: how often Docker stats are read on every node. */
export function statsInterval(opts: Record<string, unknown>): number {
  return positiveDuration(opts.statsInterval, "10s", "--stats-interval", 3_600_000);
}
