/**
 * Volume data on disk: `<root>/volumes/<name>/_data`, the parent folders
 * private to the daemon (0700) as Podman keeps them, so no other host user can
 * reach into a container's data. Every path here is built from a validated
 * volume name; nothing outside `<root>/volumes` is ever touched.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { assertVolumeName } from "./volume-name.js";

export class VolumeStore {
  /** Where every volume's folder lives. */
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, "volumes");
  }

  /** The folder a container mounts for volume `name`. */
  dataPath(name: string): string {
    return join(this.folder(name), "_data");
  }

  /** Makes the volume's folders (idempotent); returns the data path. */
  async make(name: string): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await mkdir(this.folder(name), { recursive: true, mode: 0o700 });
    const data = this.dataPath(name);
    await mkdir(data, { recursive: true, mode: 0o755 });
    return data;
  }

  /** Deletes the volume's folder and everything in it (symlinks inside are removed, never followed). */
  async delete(name: string): Promise<void> {
    await rm(this.folder(name), { recursive: true, force: true });
  }

  /**
   * Deletes folders that no volume of the catalog names: what a crash left
   * between making a folder and journaling it, or between journaling a
   * removal and deleting the folder.
   */
  async sweep(known: ReadonlySet<string>): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const stray = names.filter((n) => !known.has(n));
    // readdir gives single names (never `.`, `..` or a separator), so each stays inside `dir`.
    for (const n of stray) await rm(join(this.dir, n), { recursive: true, force: true });
    return stray;
  }

  private folder(name: string): string {
    return join(this.dir, assertVolumeName(name));
  }
}
