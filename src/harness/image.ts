/**
 * The busybox image tar that scripts/build-image.sh builds for tests.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo.js";

/** Absolute path of `<repo>/.cache/busybox.tar`; throws if it has not been built. */
export function busyboxTar(): string {
  const tar = join(repoRoot(), ".cache", "busybox.tar");
  if (!existsSync(tar)) {
    throw new Error(`${tar} is missing: run "bash scripts/build-image.sh" first`);
  }
  return tar;
}
