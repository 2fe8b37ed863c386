/**
 * The content-addressed blob store: manifests, configs and layer tarballs,
 * each stored once under its sha256 digest (`<dir>/sha256/<hex>`).
 *
 * Why every write is verified and atomic: a blob's name is a promise about
 * its bytes. Bytes are streamed into a temp file in the same folder, hashed
 * on the way, fsynced, and renamed to their digest only when the hash (and
 * the size, when known) match what the caller expected. A pull cut off or a
 * digest that lies leaves no file under a digest name; at most a temp file,
 * which `sweep` removes at start.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { DigestMismatchError } from "../errors.js";
import { digestHex, type Digest } from "./digest.js";

/** What a caller knows about the blob it hands over. */
export interface PutExpectation {
  /** The digest the bytes must have; without it the store computes and returns it. */
  digest?: Digest;
  /** The size the bytes must have (a descriptor's `size`). */
  size?: number;
  signal?: AbortSignal;
}

const TEMP_PREFIX = ".tmp-";

export class BlobStore {
  private readonly folder: string;

  constructor(dir: string) {
    this.folder = join(dir, "sha256");
  }

  /** Where the blob `d` lives (whether or not it is there yet). */
  path(d: Digest): string {
    return join(this.folder, digestHex(d));
  }

  async has(d: Digest): Promise<boolean> {
    return stat(this.path(d)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** The whole blob, for small ones (manifests, configs). */
  read(d: Digest): Promise<Buffer> {
    return readFile(this.path(d));
  }

  /** The blob as a stream, for layers. */
  stream(d: Digest): Readable {
    return createReadStream(this.path(d));
  }

  /**
   * Stores the bytes of `source` and returns their digest. Throws
   * DigestMismatchError (and stores nothing) when they do not match `expect`.
   * A blob already present is not written again, but its source is still
   * read to the end so the caller's stream is consumed either way.
   */
  async put(
    source: AsyncIterable<Uint8Array> | Uint8Array,
    expect: PutExpectation = {},
  ): Promise<Digest> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const tmp = join(this.folder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    const hash = createHash("sha256");
    let size = 0;
    const file = await open(tmp, "wx", 0o600);
    try {
      const chunks = source instanceof Uint8Array ? [source] : source;
      for await (const chunk of chunks) {
        expect.signal?.throwIfAborted();
        hash.update(chunk);
        size += chunk.byteLength;
        if (expect.size !== undefined && size > expect.size)
          throw new DigestMismatchError(
            `blob ${expect.digest ?? "(no digest)"} is larger than its ${expect.size} bytes: refused`,
          );
        await file.write(chunk);
      }
      await file.sync();
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await file.close();
    const actual: Digest = `sha256:${hash.digest("hex")}`;
    const wrong =
      expect.digest !== undefined && actual !== expect.digest
        ? `has digest ${actual}`
        : expect.size !== undefined && size !== expect.size
          ? `is ${size} bytes, not ${expect.size}`
          : undefined;
    if (wrong !== undefined) {
      await rm(tmp, { force: true });
      throw new DigestMismatchError(`blob ${expect.digest ?? actual} ${wrong}: refused`);
    }
    await rename(tmp, this.path(actual));
    // The rename is only durable once the folder is: a journaled "pulled" must not outlive its blob.
    const folder = await open(this.folder, "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    return actual;
  }

  /** Removes temp files a crash left (a put cut off half-way). */
  async sweep(): Promise<number> {
    const names = await readdir(this.folder).catch(() => [] as string[]);
    const temps = names.filter((n) => n.startsWith(TEMP_PREFIX));
    await Promise.all(temps.map((n) => rm(join(this.folder, n), { force: true })));
    return temps.length;
  }

  /** Removes the blob `d` (image removal and prune decide which ones may go). */
  async remove(d: Digest): Promise<void> {
    await rm(this.path(d), { force: true });
  }
}
