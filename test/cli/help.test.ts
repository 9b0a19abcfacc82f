import assert from "node:assert/strict";
import { test } from "node:test";
import { buildCli, COMMANDS } from "../../src/cli/index.ts";

/** What `mk COMMAND --help` prints, captured in process. */
function helpOf(command: string): string {
  const cli = buildCli(() => undefined);
  const lines: string[] = [];
  const info = console.info;
  console.info = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    cli.parse(["node", "mk", command, "--help"], { run: false });
  } finally {
    console.info = info;
  }
  return lines.join("\n");
}

test("every command's help has a description, examples and exit codes, and never says its default twice", () => {
  for (const c of COMMANDS) {
    const h = helpOf(c.name);
    assert.match(h, /\nDescription:\n {2}\S/, c.name);
    assert.match(h, /\nExamples:\n {2}\$ mk /, c.name);
    assert.match(h, /\nExit codes:\n/, c.name);
    for (const line of h.split("\n")) {
      assert.doesNotMatch(line, /\(default[;:,][^)]*\).*\(default: /, `${c.name}: ${line}`);
      assert.doesNotMatch(line, /^\s+--no-\S+.*\(default: true\)/, `${c.name}: ${line}`);
    }
  }
  assert.match(
    helpOf("rollout"),
    /-w, --watch +status: keep watching until the rollout ends \(default; --no-watch for one look\)$/m,
  );
});
