import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/harness/repo.js";
import { lifecycleDiagram } from "../../src/machines/index.js";
import { diagramDocument } from "../../scripts/diagram-document.js";

describe("lifecycle diagram", () => {
  it("matches the committed diagrams/container-lifecycle.md (run npm run diagrams)", () => {
    const committed = readFileSync(join(repoRoot(), "diagrams", "container-lifecycle.md"), "utf8");
    expect(committed).toBe(diagramDocument());
  });

  it("draws every committed state and the effect behind each arrow", () => {
    const d = lifecycleDiagram();
    for (const s of [
      "configured",
      "created",
      "running",
      "paused",
      "stopped",
      "exited",
      "removing",
      "removed",
    ]) {
      expect(d).toContain(s);
    }
    expect(d).toContain("running --> paused: PAUSE / pauseContainer");
    expect(d).toContain("running --> stopped: EXITED (then cleanup)");
  });
});
