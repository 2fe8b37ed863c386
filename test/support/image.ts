/**
 * The busybox image tar that scripts/build-image.sh builds for tests.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Absolute path of `<repo>/.cache/busybox.tar`; throws if it has not been built. */
export function busyboxTar(): string {
  const tar = fileURLToPath(new URL("../../.cache/busybox.tar", import.meta.url));
  if (!existsSync(tar)) {
    throw new Error(`${tar} is missing: run "bash scripts/build-image.sh" first`);
  }
  return tar;
}
