/**
 * `npm run diagrams`: writes diagrams/container-lifecycle.md from the machine.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../src/harness/repo.js";
import { diagramDocument } from "./diagram-document.js";

const file = join(repoRoot(), "diagrams", "container-lifecycle.md");
writeFileSync(file, diagramDocument());
process.stdout.write(`wrote ${file}\n`);
