/**
 * The image store: each image is a read-only rootfs folder plus an
 * `image.json` manifest. Imports extract into a hidden temp folder and rename
 * it into place, so an image folder is either complete or absent.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { InternalError, InvalidArgError, NameInUseError } from "../errors.js";
import { throwIfAborted } from "./abort.js";
import { imagePaths, type Layout } from "./paths.js";
import { errnoCode, parseJson, writeFileAtomic } from "./fsutil.js";
import type { ImageInfo } from "./types.js";

const ImageInfoSchema = z.object({
  name: z.string(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  importedAt: z.string(),
});

/** Hidden prefix: valid image names never start with a dot. */
const TEMP_PREFIX = ".import-";

/** sha256 of a file as `sha256:<hex>`, and its size in bytes. */
async function digestFile(
  file: string,
  signal?: AbortSignal,
): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file, { signal }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

/**
 * The archive must be an absolute path: GNU tar reads `host:file` (a colon
 * before any slash) as a file on a remote host and runs a remote shell for
 * it, so a relative `127.0.0.1:x` must never reach tar.
 */
async function assertTarFile(tarPath: string): Promise<void> {
  if (!path.isAbsolute(tarPath)) {
    throw new InvalidArgError(
      `image archive ${JSON.stringify(tarPath)} must be an absolute path on the daemon's host`,
    );
  }
  const stat = await fs.stat(tarPath).catch((err: unknown) => {
    const reason = errnoCode(err) ?? String(err);
    throw new InvalidArgError(`cannot read image archive ${tarPath}: ${reason}`, { cause: err });
  });
  if (!stat.isFile()) throw new InvalidArgError(`image archive ${tarPath} is not a regular file`);
}

/**
 * Extracts with numeric ids so the image keeps the archive's owners rather
 * than names mapped through the host's /etc/passwd. `--force-local` makes
 * tar read a name with a colon as a local file, never as `host:file`.
 */
async function extractTar(tarPath: string, dest: string, signal?: AbortSignal): Promise<void> {
  const result = await execa(
    "tar",
    [
      "--extract",
      "--force-local",
      `--file=${tarPath}`,
      "--directory",
      dest,
      "--numeric-owner",
      "--same-permissions",
    ],
    { cancelSignal: signal, reject: false, stdin: "ignore" },
  );
  throwIfAborted(signal);
  if (result.failed) {
    const text = result.stderr.trim() || result.message;
    throw new InvalidArgError(`${tarPath} is not a valid image archive: ${text}`);
  }
}

/** Renames the finished import into place; an existing image wins. */
async function publish(tmp: string, dir: string, name: string): Promise<void> {
  try {
    await fs.rename(tmp, dir);
  } catch (err) {
    const code = errnoCode(err);
    if (code === "ENOTEMPTY" || code === "EEXIST") {
      throw new NameInUseError(`image ${name} already exists`, { cause: err });
    }
    throw err;
  }
}

/**
 * Imports the tar at `tarPath` as image `name`. Fails with NameInUseError if
 * the name is taken, InvalidArgError if the archive is unreadable; on any
 * failure no image folder is left behind.
 */
export async function importImage(
  l: Layout,
  tarPath: string,
  name: string,
  signal?: AbortSignal,
): Promise<ImageInfo> {
  const paths = imagePaths(l, name);
  if (await readImage(l, name)) throw new NameInUseError(`image ${name} already exists`);
  await assertTarFile(tarPath);
  await fs.mkdir(l.images, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(l.images, TEMP_PREFIX));
  try {
    const rootfs = path.join(tmp, "rootfs");
    await fs.mkdir(rootfs, { mode: 0o755 });
    const { digest, size } = await digestFile(tarPath, signal);
    await extractTar(tarPath, rootfs, signal);
    const info: ImageInfo = { name, digest, size, importedAt: new Date().toISOString() };
    await writeFileAtomic(path.join(tmp, "image.json"), `${JSON.stringify(info, null, 2)}\n`);
    throwIfAborted(signal);
    await publish(tmp, paths.dir, name);
    return info;
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The manifest of image `name`, or undefined when no such image was imported. */
export async function readImage(l: Layout, name: string): Promise<ImageInfo | undefined> {
  const { manifest } = imagePaths(l, name);
  let text: string;
  try {
    text = await fs.readFile(manifest, "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
  const parsed = ImageInfoSchema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new InternalError(`image manifest ${manifest} is malformed: ${parsed.error.message}`);
  }
  return parsed.data;
}
