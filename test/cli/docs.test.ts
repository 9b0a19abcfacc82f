import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cliMarkdown } from "../../src/cli/docs.ts";
import { COMMANDS } from "../../src/cli/index.ts";
import { PRODUCT_COMMANDS } from "./commands.ts";

test("docs/cli.md matches the CLI definition (regenerate: npx tsx scripts/gen-cli-doc.ts)", () => {
  const committed = readFileSync(join(import.meta.dirname, "../../docs/cli.md"), "utf8");
  assert.equal(committed, cliMarkdown());
});

test("every command has a description and examples for mk COMMAND --help", () => {
  for (const c of COMMANDS) {
    assert.ok(c.description.length > 10, `${c.name}: description`);
    assert.ok((c.examples ?? []).length > 0, `${c.name}: examples`);
    for (const e of c.examples ?? []) assert.ok(e.includes(`mk ${c.name}`), `${c.name}: example "${e}"`);
  }
});

test("COMMANDS lists every command of the product", () => {
  const names = COMMANDS.map((c) => c.name).sort();
  for (const n of [...PRODUCT_COMMANDS, "version"]) {
    assert.ok(names.includes(n), n);
  }
});
