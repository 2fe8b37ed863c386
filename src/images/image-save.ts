/**
 * `docker save`: stored images written as one docker-archive tar, laid out as
 * docker 25+ writes it, so both kinds of loader read it: `manifest.json`
 * (the docker-archive index: config, names, layer files) and, beside it, an
 * OCI layout (`oci-layout`, `index.json`), all blobs under
 * `blobs/sha256/<hex>`. berth's own load and `docker load` read either.
 *
 * Why layers are written uncompressed: a docker-archive layer file is the
 * tar whose sha256 is the config's diff_id, and loaders check exactly that.
 * A layer stored as the registry gave it (gzip) is inflated twice: once to
 * learn its size (a tar header states it before the bytes) and verify it,
 * then again into the archive. That costs CPU only; buffering or a temp
 * copy would cost the whole layer in memory or on disk.
 *
 * Why blobs are read through open file handles: the caller opens every blob
 * while it holds the image gate, then lets go, so a slow reader never holds
 * up removals, pulls or creates; a blob removed meanwhile stays readable
 * through its handle until the archive is written.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { pack, type Pack } from "tar-stream";
import { DigestMismatchError } from "../errors.js";
import { digestHex, digestOf, type Digest } from "./digest.js";
import { MediaType } from "./manifest.js";

/** A tar entry's header, as tar-stream takes it. */
type EntryHeader = Parameters<Pack["entry"]>[0];

/** One image to save: the stored blobs it is made of and the names to give it. */
export interface SaveImage {
  configDigest: Digest;
  /** Bottom first: the stored blob and the uncompressed tar's digest. */
  layers: readonly { digest: Digest; diffId: Digest }[];
  /** Canonical names (`docker.io/library/busybox:latest`); none when saved by id. */
  names: readonly string[];
}

/** One entry of `manifest.json`, as docker writes it. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** One entry of the OCI `index.json`. */
export interface SaveIndexEntry {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
}

/** Where a blob sits in the archive. */
export const blobPath = (d: Digest): string => `blobs/sha256/${digestHex(d)}`;

/**
 * The `manifest.json` of an archive: one entry per image, naming its config
 * and its uncompressed layers (by diff_id) under `blobs/sha256/`, and its
 * names as `tagName` writes them (docker writes the familiar form).
 */
export function dockerArchiveManifest(
  images: readonly SaveImage[],
  tagName: (name: string) => string = (n) => n,
): DockerArchiveEntry[] {
  return images.map((image) => ({
    Config: blobPath(image.configDigest),
    RepoTags: image.names.length > 0 ? image.names.map(tagName) : null,
    Layers: image.layers.map((l) => blobPath(l.diffId)),
  }));
}

/**
 * The OCI manifest of a saved image: its config and its layers as the
 * archive holds them, uncompressed, each described by diff_id and size.
 */
export function savedImageManifest(
  config: { digest: Digest; size: number },
  layers: readonly { diffId: Digest; size: number }[],
): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: l.diffId, size: l.size })),
  });
}

/** The tag of a canonical name (`latest` of `docker.io/library/busybox:latest`), if it has one. */
function tagOf(name: string): string | undefined {
  const at = name.indexOf("@");
  const path = at === -1 ? name : name.slice(0, at);
  const colon = path.lastIndexOf(":");
  return colon > path.lastIndexOf("/") ? path.slice(colon + 1) : undefined;
}

/**
 * The entries of `index.json`: one per name of each image (as docker 25+
 * writes them: the full name for containerd, the tag as the OCI ref name),
 * or one without annotations for an image saved by id.
 */
export function saveIndexEntries(
  images: readonly { names: readonly string[]; manifest: { digest: Digest; size: number } }[],
): SaveIndexEntry[] {
  return images.flatMap(({ names, manifest }) => {
    const base = { mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size };
    if (names.length === 0) return [base];
    return names.map((name) => {
      const tag = tagOf(name);
      return {
        ...base,
        annotations: {
          "io.containerd.image.name": name,
          ...(tag !== undefined ? { "org.opencontainers.image.ref.name": tag } : {}),
        },
      };
    });
  });
}

/** Options of `writeImageArchive`. */
export interface WriteArchiveOptions {
  /** How `manifest.json` writes a canonical name; docker writes the familiar form. */
  tagName?: (name: string) => string;
  /** The modification time of every entry (default the epoch, so equal images give equal tars). */
  mtime?: Date;
}

/** Bytes of a read of the whole blob through its handle, from the start. */
const readFrom = (handle: FileHandle): Readable =>
  handle.createReadStream({ start: 0, autoClose: false });

/** The size and digest of the tar a gzip blob inflates to, read once without keeping it. */
async function inflatedSize(handle: FileHandle): Promise<{ size: number; digest: Digest }> {
  const hash = createHash("sha256");
  let size = 0;
  await pipeline(readFrom(handle), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
  });
  return { size, digest: `sha256:${hash.digest("hex")}` };
}

/** Writes one entry, its body from memory or streamed with back-pressure. */
async function entry(tar: Pack, header: EntryHeader, body: Buffer | Readable): Promise<void> {
  if (Buffer.isBuffer(body)) {
    await new Promise<void>((resolve, reject) =>
      tar.entry(header, body, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  await pipeline(body, tar.entry(header));
}

/** Writes every entry of the archive into `tar`. */
async function fill(
  tar: Pack,
  images: readonly SaveImage[],
  handles: ReadonlyMap<Digest, FileHandle>,
  options: WriteArchiveOptions,
): Promise<void> {
  const mtime = options.mtime ?? new Date(0);
  const handle = (d: Digest): FileHandle => {
    const h = handles.get(d);
    if (h === undefined) throw new Error(`blob ${d} was not opened for the save`);
    return h;
  };
  const file = (name: string, size: number): EntryHeader => ({ name, size, mode: 0o644, mtime });
  for (const name of ["blobs/", "blobs/sha256/"])
    await entry(tar, { name, type: "directory", mode: 0o755, mtime }, Buffer.alloc(0));
  const written = new Map<Digest, number>();
  const manifests: { names: readonly string[]; manifest: { digest: Digest; size: number } }[] = [];
  for (const image of images) {
    const sizes: { diffId: Digest; size: number }[] = [];
    for (const layer of image.layers) {
      let size = written.get(layer.diffId);
      if (size === undefined) {
        const blob = handle(layer.digest);
        // A blob whose digest is its diff_id is the uncompressed tar itself; any other is gzip.
        if (layer.digest === layer.diffId) size = (await blob.stat()).size;
        else {
          const inflated = await inflatedSize(blob);
          if (inflated.digest !== layer.diffId)
            throw new DigestMismatchError(
              `layer ${layer.digest} inflates to ${inflated.digest}, not its diff_id ${layer.diffId}`,
            );
          size = inflated.size;
        }
        const header = file(blobPath(layer.diffId), size);
        if (layer.digest === layer.diffId) await entry(tar, header, readFrom(blob));
        else await pipeline(readFrom(blob), createGunzip(), tar.entry(header));
        written.set(layer.diffId, size);
      }
      sizes.push({ diffId: layer.diffId, size });
    }
    let configSize = written.get(image.configDigest);
    if (configSize === undefined) {
      const config = handle(image.configDigest);
      configSize = (await config.stat()).size;
      await entry(tar, file(blobPath(image.configDigest), configSize), readFrom(config));
      written.set(image.configDigest, configSize);
    }
    const manifest = savedImageManifest({ digest: image.configDigest, size: configSize }, sizes);
    const digest = digestOf(manifest);
    if (!written.has(digest)) {
      await entry(tar, file(blobPath(digest), Buffer.byteLength(manifest)), Buffer.from(manifest));
      written.set(digest, Buffer.byteLength(manifest));
    }
    manifests.push({ names: image.names, manifest: { digest, size: Buffer.byteLength(manifest) } });
  }
  const metadata: [string, unknown][] = [
    ["index.json", { schemaVersion: 2, manifests: saveIndexEntries(manifests) }],
    ["manifest.json", dockerArchiveManifest(images, options.tagName)],
    ["oci-layout", { imageLayoutVersion: "1.0.0" }],
  ];
  for (const [name, value] of metadata) {
    const bytes = Buffer.from(JSON.stringify(value));
    await entry(tar, file(name, bytes.byteLength), bytes);
  }
}

/**
 * Streams the archive of `images` into `out`, reading each blob through its
 * handle in `handles` (by stored digest; the caller opens and closes them).
 * Resolves once `out` has every byte; rejects when `out` fails or closes
 * early, or with DigestMismatchError when a layer does not inflate to its
 * diff_id (then `out` is destroyed: a cut-off tar, never a wrong one).
 */
export async function writeImageArchive(
  images: readonly SaveImage[],
  handles: ReadonlyMap<Digest, FileHandle>,
  out: Writable,
  options: WriteArchiveOptions = {},
): Promise<void> {
  const tar = pack();
  const piped = pipeline(tar, out);
  // Observed at once so an early failure of `out` is never an unhandled rejection.
  piped.catch(() => undefined);
  try {
    await fill(tar, images, handles, options);
    tar.finalize();
  } catch (err) {
    tar.destroy(err as Error);
  }
  await piped;
}

/** The stored digests a save of `images` reads: every layer blob and config, once. */
export function saveBlobDigests(images: readonly SaveImage[]): Digest[] {
  const digests = new Set<Digest>();
  for (const image of images) {
    for (const layer of image.layers) digests.add(layer.digest);
    digests.add(image.configDigest);
  }
  return [...digests];
}
