// Debian's headless chromium through playwright-core (never a downloaded browser), with the flags
// it needs on this machine: without them it hangs on first-run, sync and QUIC probes.
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.MK_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The browser, with `extraArgs` after the standard flags. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
