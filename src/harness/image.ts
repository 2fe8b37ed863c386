/**
 * The busybox image tar that scripts/build-image.sh builds for tests, and
 * the same image stored for a runtime driven without a daemon.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { layout } from "../effects/index.js";
import { ImageStore, loadArchive } from "../images/index.js";
import type { ImagePin } from "../machines/index.js";
import { repoRoot } from "./repo.js";

/** Absolute path of `<repo>/.cache/busybox.tar`; throws if it has not been built. */
export function busyboxTar(): string {
  const tar = join(repoRoot(), ".cache", "busybox.tar");
  if (!existsSync(tar)) {
    throw new Error(`${tar} is missing: run "bash scripts/build-image.sh" first`);
  }
  return tar;
}

/**
 * Stores the busybox image under `root` as the daemon's image store would and
 * returns what a container spec pins, for tests and benches that drive the
 * runtime without a daemon.
 */
export async function storeBusybox(root: string): Promise<ImagePin> {
  const l = layout(root);
  const store = new ImageStore(l);
  const [loaded] = await loadArchive(busyboxTar(), store.blobs);
  if (!loaded) throw new Error("the busybox tarball held no image");
  const image = await store.complete(loaded);
  return {
    id: image.id,
    manifestDigest: image.manifestDigest,
    configDigest: image.configDigest,
    layers: image.layers.map((x) => x.diffId),
  };
}
