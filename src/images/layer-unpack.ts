/**
 * Layer application (issue 11): one layer tarball, gzip or plain, unpacked
 * into its own folder as an overlayfs lower directory. OCI whiteouts become
 * overlay whiteouts there (`.wh.NAME` → a 0/0 character device NAME,
 * `.wh..wh..opq` → `trusted.overlay.opaque=y` on its folder), so mounting the
 * image's layers as `lowerdir=top:…:bottom` shows the image's tree.
 *
 * Why entries are applied one by one rather than by GNU tar: every name is
 * checked before anything is written (see tar-entry-check.ts), no path is
 * ever written through a symlink, and the diffID is hashed on the same pass.
 * Why a temp folder: the layer appears at `target` by one rename, complete,
 * or not at all.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import {
  chmod,
  type FileHandle,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  symlink,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { execa } from "execa";
import { extract, type Header as Headers } from "tar-stream";
import {
  BerthError,
  DigestMismatchError,
  InvalidArgError,
  LayerInvalidError,
  LayerUnsafeError,
  PayloadTooLargeError,
  UnsupportedError,
} from "../errors.js";
import type { Digest } from "./digest.js";
import { entryComponents, entryRole, xattrAllowed } from "./tar-entry-check.js";
import { applyXattrs, type XattrWrite } from "./xattr-apply.js";

/** How a caller wants a layer unpacked. */
export interface UnpackOptions {
  /** The diffID the uncompressed tar must hash to (the image config's `rootfs.diff_ids`). */
  diffId?: Digest;
  /**
   * The most uncompressed bytes the tar may hold; beyond it the unpack stops
   * with PayloadTooLargeError (a few MB of gzip can inflate to terabytes).
   */
  maxSize?: number;
  signal?: AbortSignal;
}

/** What was unpacked. */
export interface UnpackedLayer {
  /** sha256 of the uncompressed tar: the layer's identity in an image config. */
  diffId: Digest;
  /** Bytes of the uncompressed tar. */
  size: number;
}

/** The bytes of a layer: a blob's path, the bytes themselves, or a stream of them. */
export type LayerSource = string | Uint8Array | AsyncIterable<Uint8Array>;

const TEMP_MARK = ".tmp-";
const TEMP_NAME = /\.tmp-[0-9a-f]{12}$/;
const XATTR_PAX = "SCHILY.xattr.";
const WRITE_BATCH = 1 << 20;

/**
 * Unpacks the layer tarball `source` into the folder `target`, which must not
 * exist yet (its parent must). Throws LayerUnsafeError for a tar that would
 * write outside `target`, LayerInvalidError for one that is not a readable
 * tar, UnsupportedError for zstd, DigestMismatchError when `opts.diffId` is
 * given and not met, PayloadTooLargeError beyond `opts.maxSize`; on any
 * failure or abort nothing is left at `target`.
 */
export async function unpackLayer(
  source: LayerSource,
  target: string,
  opts: UnpackOptions = {},
): Promise<UnpackedLayer> {
  const taken = await lstat(target).then(
    () => true,
    () => false,
  );
  if (taken) throw new InvalidArgError(`layer folder ${target} already exists`);
  const tmp = `${target}${TEMP_MARK}${randomBytes(6).toString("hex")}`;
  // 0700 while filling: nobody else can see or race the half-written tree.
  await mkdir(tmp, { mode: 0o700 });
  try {
    const result = await extractInto(source, tmp, opts);
    if (opts.diffId !== undefined && result.diffId !== opts.diffId)
      throw new DigestMismatchError(
        `layer tar hashes to ${result.diffId}, not the expected diffID ${opts.diffId}`,
      );
    opts.signal?.throwIfAborted();
    // One syncfs for the whole tree (far cheaper than an fsync per file), so a
    // layer that survives a crash under its final name is whole.
    await execa("sync", ["-f", tmp]);
    await rename(tmp, target);
    await syncFolder(dirname(target));
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw asLayerError(err);
  }
}

/**
 * Removes the temp folders that unpacks cut off by a crash left in
 * `layersDir` (the folder holding the layer folders); returns how many.
 */
export async function sweepLayerTemps(layersDir: string): Promise<number> {
  const names = await readdir(layersDir).catch(() => [] as string[]);
  const temps = names.filter((n) => TEMP_NAME.test(n));
  await Promise.all(temps.map((n) => rm(join(layersDir, n), { recursive: true, force: true })));
  return temps.length;
}

async function syncFolder(path: string): Promise<void> {
  const dir = await open(path, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Errors from zlib or the tar parser mean a broken layer; berth's own and I/O errors pass as they are. */
function asLayerError(err: unknown): unknown {
  if (err instanceof BerthError || !(err instanceof Error)) return err;
  if (err.name === "AbortError" || "syscall" in err) return err;
  return new LayerInvalidError(`layer is not a readable tarball: ${err.message}`, { cause: err });
}

type Compression = "gzip" | "zstd" | "none";

function sniff(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  return "none";
}

/** The first `n` bytes of `it` (fewer at its end), and the whole stream again. */
async function peek(
  source: LayerSource,
  n: number,
): Promise<{ head: Buffer; whole: AsyncIterable<Uint8Array>; close: () => void }> {
  const input =
    typeof source === "string"
      ? createReadStream(source, { highWaterMark: 1 << 20 })
      : Readable.from(source instanceof Uint8Array ? [source] : source);
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const seen: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const next = await it.next();
    if (next.done) break;
    seen.push(Buffer.from(next.value));
    length += next.value.byteLength;
  }
  async function* whole(): AsyncIterable<Uint8Array> {
    yield* seen;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return {
    head: Buffer.concat([...seen, Buffer.alloc(4)]),
    whole: whole(),
    close: () => input.destroy(),
  };
}

async function extractInto(
  source: LayerSource,
  root: string,
  { maxSize = Infinity, signal }: UnpackOptions,
): Promise<UnpackedLayer> {
  const { head, whole, close } = await peek(source, 4);
  const compression = sniff(head);
  if (compression === "zstd")
    throw new UnsupportedError("zstd-compressed layers are not supported; use gzip or plain tar");
  const raw = Readable.from(whole);
  const plain =
    compression === "gzip"
      ? pipeline(raw, createGunzip({ chunkSize: 1 << 18 }), () => undefined)
      : raw;
  const hash = createHash("sha256");
  let size = 0;
  async function* counted(): AsyncIterable<Buffer> {
    for await (const chunk of plain as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      hash.update(chunk);
      size += chunk.byteLength;
      if (size > maxSize)
        throw new PayloadTooLargeError(`layer tar is larger than the ${maxSize} bytes allowed`);
      yield chunk;
    }
  }
  const feed = Readable.from(counted());
  const tar = extract();
  const fed = new Promise<void>((resolve, reject) => {
    feed.on("end", resolve);
    feed.on("error", (err) => {
      tar.destroy(err);
      reject(err);
    });
  });
  fed.catch(() => undefined);
  feed.pipe(tar);
  const writer = new LayerWriter(root, signal);
  try {
    for await (const entry of tar) {
      signal?.throwIfAborted();
      await writer.apply(entry.header, entry as AsyncIterable<Buffer>);
    }
    await fed;
    await writer.finish();
  } finally {
    feed.destroy();
    raw.destroy();
    close();
  }
  return { diffId: `sha256:${hash.digest("hex")}`, size };
}

/** Applies entries to `root`, remembering what must be set once all are written. */
class LayerWriter {
  private readonly xattrs: XattrWrite[] = [];
  /** Folders' times are set last: writing their children would change them. */
  private readonly dirTimes = new Map<string, Date>();
  private rootMode: number | undefined;
  /**
   * Folders this unpack made or found to be real folders (not symlinks), so
   * each is checked once rather than for every entry below it. Only this
   * unpack writes in its 0700 temp folder, so nothing changes them behind it.
   */
  private readonly dirs = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly signal?: AbortSignal,
  ) {}

  async apply(header: Headers, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = entryComponents(header.name);
    const role = entryRole(parts);
    // Only regular files carry content; anything else a tar claims to hold is skipped.
    if (header.type !== "file" && header.type !== "contiguous-file") await drain(body);
    if (role.kind === "reserved") return;
    const parent = await this.folder(parts.slice(0, -1));
    if (role.kind === "opaque") {
      this.xattrs.push({ path: parent, name: "trusted.overlay.opaque", value: "y" });
      return;
    }
    if (role.kind === "whiteout") {
      const path = join(parent, role.name);
      await this.clear(path);
      await this.mknod(path, ["c", "0", "0"]);
      return;
    }
    if (parts.length === 0) {
      if (header.type !== "directory")
        throw new LayerUnsafeError(`layer entry ${JSON.stringify(header.name)} replaces its root`);
      await this.meta(this.root, header);
      this.rootMode = header.mode;
      return;
    }
    const path = join(parent, parts.at(-1) as string);
    switch (header.type) {
      case "directory": {
        const st = await lstat(path).catch(() => undefined);
        if (st && !st.isDirectory()) await this.clear(path);
        if (!st?.isDirectory()) await mkdir(path, { mode: 0o700 });
        await this.meta(path, header);
        break;
      }
      case "file":
      case "contiguous-file":
        await this.writeFile(path, body, header);
        break;
      case "symlink":
        await this.clear(path);
        await symlink(header.linkname ?? "", path);
        await this.meta(path, header);
        break;
      case "link":
        await this.hardLink(path, header.linkname ?? "");
        return;
      case "character-device":
      case "block-device":
        await this.clear(path);
        await this.mknod(path, [
          header.type === "block-device" ? "b" : "c",
          String(header.devmajor ?? 0),
          String(header.devminor ?? 0),
        ]);
        await this.meta(path, header);
        break;
      case "fifo":
        await this.clear(path);
        await this.mknod(path, ["p"]);
        await this.meta(path, header);
        break;
      default:
        throw new LayerInvalidError(
          `layer entry ${JSON.stringify(header.name)} has a type berth cannot apply (${String(header.type)})`,
        );
    }
    this.collectXattrs(path, header);
  }

  /** Sets what had to wait for every entry: xattrs, then the folders' times and the root's mode. */
  async finish(): Promise<void> {
    await applyXattrs(this.xattrs, this.signal);
    for (const [path, mtime] of this.dirTimes) await lutimes(path, mtime, mtime);
    if (this.rootMode === undefined) await chmod(this.root, 0o755);
  }

  /**
   * The folder `parts` under the root, created (root-owned, 0755) where the tar
   * did not list it. A component that is a symlink is refused: writing through
   * it could land anywhere on the host.
   */
  private async folder(parts: readonly string[]): Promise<string> {
    let path = this.root;
    for (const part of parts) {
      path = join(path, part);
      if (this.dirs.has(path)) continue;
      const st = await lstat(path).catch(() => undefined);
      if (st?.isSymbolicLink())
        throw new LayerUnsafeError(
          `layer writes through the symlink ${JSON.stringify(parts.join("/"))}`,
        );
      if (st && !st.isDirectory())
        throw new LayerInvalidError(`layer uses the file ${JSON.stringify(part)} as a folder`);
      if (!st) {
        await mkdir(path, { mode: 0o755 });
        await chmod(path, 0o755);
      }
      this.dirs.add(path);
    }
    return path;
  }

  /**
   * Removes whatever an earlier entry put at `path` (a later entry wins), and
   * forgets it and everything under it as checked folders: a folder replaced
   * by a symlink must be checked again before anything is written below it.
   */
  private async clear(path: string): Promise<void> {
    if (this.dirs.has(path))
      for (const dir of this.dirs)
        if (dir === path || dir.startsWith(`${path}/`)) this.dirs.delete(dir);
    await rm(path, { recursive: true, force: true });
  }

  /**
   * A regular file at `path`. Creating it is tried first: only when an earlier
   * entry left something there is it cleared, which saves a lookup per file.
   */
  private async writeFile(path: string, body: AsyncIterable<Buffer>, header: Headers) {
    const file = await createNew(path).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
      await this.clear(path);
      return createNew(path);
    });
    await fillFile(file, body, header);
  }

  /** A hard link to an entry already written in this layer, never to anything else. */
  private async hardLink(path: string, linkname: string): Promise<void> {
    const parts = entryComponents(linkname, "hard link target");
    if (parts.length === 0)
      throw new LayerUnsafeError(`layer hard link ${JSON.stringify(path)} points at the root`);
    const existing = await this.folder(parts.slice(0, -1));
    const to = join(existing, parts.at(-1) as string);
    const st = await lstat(to).catch(() => undefined);
    if (!st || st.isDirectory())
      throw new LayerInvalidError(
        `layer hard link to ${JSON.stringify(linkname)}, which is not a file of this layer`,
      );
    if (to === path) return;
    await this.clear(path);
    await link(to, path);
  }

  private async mknod(path: string, args: string[]): Promise<void> {
    await execa("mknod", ["--", path, ...args], this.signal ? { cancelSignal: this.signal } : {});
  }

  /** Owner, mode (after chown, which clears setuid) and time; never through a symlink. */
  private async meta(path: string, header: Headers): Promise<void> {
    await lchown(path, header.uid ?? 0, header.gid ?? 0);
    const mtime = header.mtime ?? new Date(0);
    if (header.type === "symlink") {
      await lutimes(path, mtime, mtime);
      return;
    }
    await chmod(path, header.mode ?? 0o644);
    if (header.type === "directory") this.dirTimes.set(path, mtime);
    else await lutimes(path, mtime, mtime);
  }

  private collectXattrs(path: string, header: Headers): void {
    for (const [key, value] of Object.entries(header.pax ?? {})) {
      if (!key.startsWith(XATTR_PAX) || typeof value !== "string") continue;
      const name = key.slice(XATTR_PAX.length);
      if (xattrAllowed(name, value)) this.xattrs.push({ path, name, value });
    }
  }
}

/** Creates a regular file that must not exist, refusing to follow a symlink at its name. */
const createNew = (path: string) =>
  open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );

/** Writes `body` and the entry's owner, mode (after chown, which clears setuid) and time through the open file. */
async function fillFile(file: FileHandle, body: AsyncIterable<Buffer>, header: Headers) {
  try {
    // The parser hands out small chunks; one writev per MiB saves a thread-pool round trip each.
    let batch: Buffer[] = [];
    let held = 0;
    for await (const chunk of body) {
      batch.push(chunk);
      held += chunk.byteLength;
      if (held < WRITE_BATCH) continue;
      await file.writev(batch);
      batch = [];
      held = 0;
    }
    if (batch.length > 0) await file.writev(batch);
    await file.chown(header.uid ?? 0, header.gid ?? 0);
    await file.chmod(header.mode ?? 0o644);
    const mtime = header.mtime ?? new Date(0);
    await file.utimes(mtime, mtime);
  } finally {
    await file.close();
  }
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of body) void chunk;
}
