/**
 * Finds the repository root from source (src/…) and from the build (dist/src/…) alike.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error("cannot find berth's package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}
