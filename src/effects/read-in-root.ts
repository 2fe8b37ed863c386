/**
 * Reading one small file out of an untrusted root filesystem: never a host
 * file outside it, never a FIFO or device (a FIFO with no writer blocks a
 * read forever), never more than a bounded number of bytes.
 */
import { constants, type Stats } from "node:fs";
import * as fs from "node:fs/promises";
import { InternalError, RootfsFileUnsafeError } from "../errors.js";
import { errnoCode } from "./fsutil.js";
import { isInRoot, lstatIfExists, realRoot, resolveInRoot } from "./path-in-root.js";

/** Larger than any real passwd or group file, small enough to hold in memory. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;

const CHUNK = 64 * 1024;

/** Options of {@link readFileInRoot}. */
export interface ReadInRootOptions {
  /** Refuse files larger than this; default {@link DEFAULT_MAX_FILE_BYTES}. */
  maxBytes?: number;
}

function unsafe(message: string, cause?: unknown): RootfsFileUnsafeError {
  return new RootfsFileUnsafeError(message, { cause });
}

/**
 * Reads `target` (a path as the container sees it) from `rootfs`, or gives
 * undefined when it does not exist there.
 *
 * The path is resolved with {@link resolveInRoot}, then checked twice: with
 * `lstat` before opening, so a device or FIFO is never opened at all, and on
 * the open descriptor, whose real path (`/proc/self/fd`) must still lie in
 * the rootfs. The second check covers a tree changed in between, such as a
 * running container's processes swapping a folder for a symlink.
 *
 * @throws RootfsFileUnsafeError when the file is not a regular file, is larger
 *   than `maxBytes`, ends outside the rootfs, or the path loops.
 */
export async function readFileInRoot(
  rootfs: string,
  target: string,
  options: ReadInRootOptions = {},
): Promise<Buffer | undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const root = await realRoot(rootfs);
  const host = await resolveInRoot(root, target);
  const seen = await lstatIfExists(host);
  if (seen === undefined) return undefined;
  checkFile(target, seen, maxBytes);

  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: should a FIFO be swapped in after the lstat, opening it must not wait for a writer.
    handle = await fs.open(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoCode(err);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (code === "ELOOP") throw unsafe(`${target} became a symlink while being opened`, err);
    throw new InternalError(`cannot open ${target} in ${root}: ${String(err)}`, { cause: err });
  }
  try {
    checkFile(target, await handle.stat(), maxBytes);
    const actual = await fs.readlink(`/proc/self/fd/${handle.fd}`).catch((err: unknown) => {
      // Without /proc there is no telling where the descriptor ended up, so nothing is read.
      throw new InternalError(`cannot check where ${target} was opened: ${String(err)}`, {
        cause: err,
      });
    });
    if (!isInRoot(root, actual)) throw unsafe(`${target} resolved outside ${root}`);
    return await readBounded(handle, target, maxBytes);
  } finally {
    await handle.close();
  }
}

function checkFile(target: string, stat: Stats, maxBytes: number): void {
  if (!stat.isFile()) throw unsafe(`${target} is not a regular file`);
  if (stat.size > maxBytes) {
    throw unsafe(`${target} is ${stat.size} bytes, more than the ${maxBytes} bytes allowed`);
  }
}

/** Reads to the end, refusing a file that grew past the limit after its size was checked. */
async function readBounded(
  handle: fs.FileHandle,
  target: string,
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) throw unsafe(`${target} grew past the ${maxBytes} bytes allowed`);
    chunks.push(chunk.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}
