/**
 * Where a bind mount's host path really is. The daemon only reads metadata
 * here (realpath, stat); it never creates a host path nobody named.
 *
 * Why symlinks are resolved and the resolved path recorded, rather than
 * refused: runc follows them anyway when it mounts, so recording the link
 * would hide what was really mounted; recording the target makes the create
 * event say exactly which folder the container got.
 */
import { realpath, stat } from "node:fs/promises";
import { relative, isAbsolute } from "node:path";
import { InvalidArgError } from "../errors.js";

const inside = (parent: string, child: string) => {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * The real path of bind source `source` (absolute, already free of `..`):
 * it must exist and be a regular file or a folder, and must not be the
 * daemon's `root` or inside it (a container must never reach the journal or
 * another container's files).
 */
export async function resolveBindSource(source: string, root: string): Promise<string> {
  const real = await realpath(source).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidArgError(
      code === "ENOENT"
        ? `bind source ${JSON.stringify(source)} does not exist (berth does not create host paths)`
        : `bind source ${JSON.stringify(source)} cannot be resolved: ${code ?? String(err)}`,
      { cause: err },
    );
  });
  const found = await stat(real);
  if (!found.isDirectory() && !found.isFile())
    throw new InvalidArgError(
      `bind source ${JSON.stringify(source)} is neither a file nor a folder (devices, sockets and FIFOs are refused)`,
    );
  const realRoot = await realpath(root).catch(() => root);
  if (inside(realRoot, real))
    throw new InvalidArgError(
      `bind source ${JSON.stringify(source)} is inside berth's root ${realRoot}: use a named volume`,
    );
  return real;
}
