// Writes docs/cli.md from the CLI definition: npx tsx scripts/gen-cli-doc.ts
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliMarkdown } from "../src/cli/docs.ts";

writeFileSync(join(import.meta.dirname, "../docs/cli.md"), cliMarkdown());
