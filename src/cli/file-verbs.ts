/**
 * The verbs that read or write the CLI user's own files: image import,
 * export and artifact add. Apart from verbs.ts because node:fs/promises and
 * node:stream/promises cost every other verb about 5 ms of start-up
 * (bench/cli.ts) for nothing.
 */
import { createReadStream } from "node:fs";
import { open, readFile, rename, rm as removeFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { BerthClient } from "../client/index.js";
import { InvalidArgError } from "../errors.js";

const client = (socket: string) => new BerthClient({ socketPath: socket });
const out = (text: string) => process.stdout.write(text);
const enc = encodeURIComponent;

/** Refuses what the CLI's own user cannot read as an archive, before anything is sent. */
async function archiveSize(file: string): Promise<number> {
  const found = await stat(file).catch((err: unknown) => {
    throw new InvalidArgError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  });
  if (!found.isFile()) throw new InvalidArgError(`${file} is not a regular file`);
  return found.size;
}

/** The size is asked first: a stream opened on a missing file would fail with no one listening. */
async function uploadArchive(socket: string, tar: string, name: string | undefined) {
  const size = await archiveSize(tar);
  return client(socket).importImage<{ id: string }[]>(name, createReadStream(tar), size);
}

/**
 * Uploads the archive, read as the user who runs the CLI. With `--force-local`
 * the daemon reads the file itself from its host instead (an admin's option).
 */
export async function imageImport(
  socket: string,
  tar: string,
  name: string | undefined,
  opts: { forceLocal?: boolean } = {},
) {
  const images = opts.forceLocal
    ? await client(socket).call<{ id: string }[]>("POST", "/images", {
        path: resolve(tar),
        ...(name !== undefined ? { name } : {}),
        forceLocal: true,
      })
    : await uploadArchive(socket, tar, name);
  // Docker's `import` prints the new image's id.
  for (const image of images) out(`sha256:${image.id}\n`);
}

/**
 * A hidden file beside `output` for the tar to land in, opened before the
 * daemon is asked: a folder or an unwritable place is the CLI's own error,
 * and a failed export leaves whatever was at `output` as it was.
 */
async function exportTarget(output: string) {
  const fail = (why: string, cause?: unknown) =>
    new InvalidArgError(`cannot write ${output}: ${why}`, { cause });
  if ((await stat(output).catch(() => undefined))?.isDirectory()) throw fail("it is a folder");
  const tmp = join(dirname(output), `.${basename(output)}.berth-${process.pid}-${Date.now()}`);
  const file = await open(tmp, "wx", 0o644).catch((err: unknown) => {
    throw fail((err as Error).message, err);
  });
  return { file, tmp };
}

/**
 * Streams the container's root filesystem from the daemon and writes it, as
 * the user who runs the CLI, to `-o FILE` (replaced only once the whole tar
 * arrived) or to stdout, never a terminal.
 */
export async function exportRootfs(s: string, ref: string, opts: { output?: string }) {
  const { output } = opts;
  if (output === undefined) {
    if (process.stdout.isTTY) {
      throw new InvalidArgError(
        "refusing to write a tar archive to a terminal: use -o FILE or redirect",
      );
    }
    await pipeline(await client(s).exportRootfs(ref), process.stdout, { end: false });
    return;
  }
  const { file, tmp } = await exportTarget(output);
  try {
    await pipeline(await client(s).exportRootfs(ref), file.createWriteStream());
    await rename(tmp, output);
  } finally {
    await file.close().catch(() => undefined);
    await removeFile(tmp, { force: true });
  }
}

export async function artifactAdd(s: string, ref: string, name: string, file: string) {
  const data = await readFile(file);
  await client(s).call("PUT", `/containers/${enc(ref)}/artifacts/${enc(name)}`, data);
}
