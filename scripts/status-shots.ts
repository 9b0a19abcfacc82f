// status-shots.ts — screenshots of the status page at named moments of a scripted run (demo.sh).
// Opens URL once in Debian's headless chromium (playwright-core; never a downloaded browser) and,
// for every line NAME read on stdin, writes DIR/NAME.png of the whole page. Ends at a line "." or
// at end of input (a line, because daemons the caller starts may hold the pipe open for ever).
// Usage: node --import tsx scripts/status-shots.ts URL DIR < fifo
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { launchChromium } from "../test/integration/chromium.ts";

const [url, dir] = process.argv.slice(2);
if (!url || !dir) {
  console.error("usage: status-shots.ts URL DIR  (names of the shots on stdin, one a line)");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(url);
  await page.locator("figure[data-series]").first().waitFor({ state: "attached", timeout: 30_000 });
  for await (const line of createInterface({ input: process.stdin })) {
    const name = line.trim();
    if (name === ".") break;
    if (!/^[a-z0-9][-a-z0-9]*$/.test(name)) {
      console.error(`status-shots: "${name}" is not a shot name (lower-case letters, digits and -)`);
      continue;
    }
    // One chart refresh after the moment, so the shot shows it.
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  }
} finally {
  await browser.close();
}
