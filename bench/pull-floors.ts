/**
 * The skopeo and umoci floors of the pull bench: what the same work costs
 * with the tools berth is measured against.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

/** umoci chowns to the image's owners as root; elsewhere it must not try. */
const rootless = process.getuid?.() === 0 ? [] : ["--rootless"];

/** `skopeo copy` from `src` (a transport reference) to `dest`. */
export async function skopeoCopy(src: string, dest: string): Promise<void> {
  await execa("skopeo", ["copy", "--quiet", "--src-tls-verify=false", src, dest]);
}

/**
 * Copies `src` into an OCI layout at `layoutDir` (tag `bench`) and unpacks
 * it with `umoci raw unpack` to `rootfs`: a floor that, like berth, ends
 * with the layers on disk as files.
 */
export async function skopeoOciUnpack(
  src: string,
  layoutDir: string,
  rootfs: string,
): Promise<void> {
  await skopeoCopy(src, `oci:${layoutDir}:bench`);
  await execa("umoci", ["raw", "unpack", ...rootless, "--image", `${layoutDir}:bench`, rootfs]);
}

/** Bytes of the regular files directly in `dir` and its `blobs/sha256` (an OCI layout). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const sub of [dir, join(dir, "blobs", "sha256")]) {
    const names = await readdir(sub).catch(() => [] as string[]);
    for (const n of names) {
      const s = await stat(join(sub, n));
      if (s.isFile()) total += s.size;
    }
  }
  return total;
}
