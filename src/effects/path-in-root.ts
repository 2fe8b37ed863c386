/**
 * Paths inside a container's root filesystem, resolved the way the container
 * itself would see them. The rootfs comes from an untrusted image, so any
 * component may be a symlink aimed at the host (`/etc -> /host/etc`,
 * `passwd -> ../../../../etc/shadow`); following it with the host's own
 * resolution would read host files. Here an absolute link target restarts at
 * the rootfs, and `..` stops at the rootfs, as it would under chroot.
 */
import type { Stats } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { InternalError, InvalidArgError, RootfsFileUnsafeError } from "../errors.js";
import { errnoCode } from "./fsutil.js";

/** The kernel's own limit (MAXSYMLINKS), so a path that works in the container works here. */
export const MAX_SYMLINK_HOPS = 40;

/** The non-empty components of a path, `.` dropped; `..` is kept for the walk to apply. */
function components(p: string): string[] {
  return p.split("/").filter((part) => part !== "" && part !== ".");
}

/** `lstat`, or undefined when the path (or a folder on the way) does not exist. */
export async function lstatIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new InternalError(`cannot inspect ${file}: ${String(err)}`, { cause: err });
  }
}

/** The rootfs as a canonical host path, so containment checks compare like with like. */
export async function realRoot(rootfs: string): Promise<string> {
  try {
    return await fs.realpath(path.resolve(rootfs));
  } catch (err) {
    throw new InternalError(`root filesystem ${rootfs} cannot be resolved: ${String(err)}`, {
      cause: err,
    });
  }
}

/** True when the host path `file` is `root` itself or lies below it. */
export function isInRoot(root: string, file: string): boolean {
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return file === root || file.startsWith(prefix);
}

/**
 * Resolves `target` (a path as the container sees it; relative means from its
 * `/`) to a host path that is always inside `rootfs`.
 *
 * Every symlink on the way is followed within the rootfs; components that do
 * not exist are kept as written, so the result may name a missing file.
 * Nothing is opened: a caller that reads the result should still refuse a
 * final symlink (`O_NOFOLLOW`), since the tree may change after this returns.
 *
 * @throws InvalidArgError when `target` holds a NUL byte.
 * @throws RootfsFileUnsafeError after more than {@link MAX_SYMLINK_HOPS} symlinks (a loop, say).
 */
export async function resolveInRoot(rootfs: string, target: string): Promise<string> {
  if (target.includes("\0")) {
    throw new InvalidArgError(`path ${JSON.stringify(target)} holds a NUL byte`);
  }
  const root = await realRoot(rootfs);
  // A stack, next component last, so a link's target can be pushed in front of the rest.
  const pending = components(target).reverse();
  const done: string[] = [];
  let hops = 0;
  for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
    if (part === "..") {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, part);
    const stat = await lstatIfExists(host);
    if (stat?.isSymbolicLink() !== true) {
      done.push(part);
      continue;
    }
    hops += 1;
    if (hops > MAX_SYMLINK_HOPS) {
      throw new RootfsFileUnsafeError(
        `${target} in ${root} goes through more than ${MAX_SYMLINK_HOPS} symlinks`,
      );
    }
    const link = await fs.readlink(host).catch((err: unknown) => {
      throw new InternalError(`cannot read the symlink ${host}: ${String(err)}`, { cause: err });
    });
    if (link.startsWith("/")) done.length = 0;
    pending.push(...components(link).reverse());
  }
  return path.join(root, ...done);
}
