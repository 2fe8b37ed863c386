/**
 * The image store on disk: blobs by digest (`<root>/blobs/sha256/<hex>`) and
 * layers unpacked once, by diffID (`<root>/layers/<hex>`), each one an
 * overlay lower folder shared by every image and container that has it.
 *
 * Why it keeps the blobs after unpacking: they are the bytes the journal's
 * digests name, so `history` and an audit can always show (and re-verify)
 * exactly what a container ran; the unpacked trees alone could not.
 */
import { lstat, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ManifestInvalidError, NoSpaceError } from "../errors.js";
import { BlobStore } from "./blob-store.js";
import { digestHex, isDigest, type Digest } from "./digest.js";
import { imageIdOf, type ImageAdded, type ImageLayer } from "./image-index.js";
import { parseImageConfig, type ImageConfig } from "./image-config.js";
import { sweepLayerTemps, unpackLayer } from "./layer-unpack.js";

/** The most bytes one layer may unpack to unless the daemon says otherwise (64 GiB). */
export const DEFAULT_MAX_LAYER_BYTES = 64 * 1024 ** 3;

/** Layers unpacked at once by `complete`. */
const UNPACK_CONCURRENCY = 3;

/** An image whose blobs are all stored: what a pull or a load hands to `complete`. */
export interface StoredImage {
  manifestDigest: Digest;
  configDigest: Digest;
  layers: { digest: Digest; size: number; mediaType: string }[];
}

/** What prune removed. */
export interface StorePruned {
  blobs: number;
  layers: number;
  /** Bytes of the removed blobs (unpacked layers are not counted). */
  bytes: number;
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** Turns a full disk into the typed error, whatever step it hit. */
export function noSpace(err: unknown, what: string): unknown {
  return errno(err) === "ENOSPC" || errno((err as { cause?: unknown }).cause) === "ENOSPC"
    ? new NoSpaceError(`${what}: no space left on the device`, { cause: err })
    : err;
}

export class ImageStore {
  readonly blobs: BlobStore;
  readonly layersDir: string;
  private readonly blobsDir: string;
  /** Unpacks in flight by diffID: two images sharing a layer wait on one unpack. */
  private readonly unpacking = new Map<string, Promise<void>>();

  constructor(
    dirs: { blobs: string; layers: string },
    private readonly maxLayerBytes = DEFAULT_MAX_LAYER_BYTES,
  ) {
    this.blobsDir = dirs.blobs;
    this.blobs = new BlobStore(this.blobsDir);
    this.layersDir = dirs.layers;
  }

  /** Removes what a crash cut off: blob temp files and half-unpacked layers. */
  async sweep(): Promise<number> {
    return (await this.blobs.sweep()) + (await sweepLayerTemps(this.layersDir));
  }

  /** The folder of an unpacked layer (an overlay lower directory). */
  layerPath(diffId: Digest): string {
    return join(this.layersDir, digestHex(diffId));
  }

  /** The parsed configuration of a stored image. */
  async config(configDigest: Digest): Promise<ImageConfig> {
    return parseImageConfig(await this.blobs.read(configDigest));
  }

  /**
   * Unpacks every layer of a stored image that is not unpacked yet and
   * describes the image for its journal event. Throws ManifestInvalidError
   * when the config and the manifest disagree on the layers, and
   * DigestMismatchError when a layer does not unpack to its diffID.
   */
  async complete(
    image: StoredImage,
    signal?: AbortSignal,
  ): Promise<Omit<ImageAdded, "names" | "source">> {
    const config = await this.config(image.configDigest);
    if (config.diffIds.length !== image.layers.length)
      throw new ManifestInvalidError(
        `image ${image.manifestDigest} has ${image.layers.length} layers but its config lists ${config.diffIds.length} diff_ids`,
      );
    const layers: ImageLayer[] = image.layers.map((layer, i) => ({
      ...layer,
      diffId: config.diffIds[i] as Digest,
    }));
    // A few at once: unpacking is CPU-bound (gunzip, sha256) and the layers are independent.
    const queue = [...layers];
    const worker = async () => {
      for (let l = queue.shift(); l !== undefined; l = queue.shift())
        await this.ensureLayer(l.digest, l.diffId, signal);
    };
    await Promise.all(Array.from({ length: UNPACK_CONCURRENCY }, worker));
    const manifestSize = (await lstat(this.blobs.path(image.manifestDigest))).size;
    const configSize = (await lstat(this.blobs.path(image.configDigest))).size;
    const raw = await this.blobs.read(image.configDigest);
    const created = (JSON.parse(raw.toString("utf8")) as { created?: unknown }).created;
    return {
      id: imageIdOf(image.configDigest),
      manifestDigest: image.manifestDigest,
      configDigest: image.configDigest,
      layers,
      size: manifestSize + configSize + layers.reduce((n, l) => n + l.size, 0),
      architecture: config.architecture,
      os: config.os,
      ...(typeof created === "string" ? { created } : {}),
    };
  }

  /** True when every layer folder of `diffIds` exists. */
  async hasLayers(diffIds: readonly Digest[]): Promise<boolean> {
    for (const d of diffIds) if (!(await exists(this.layerPath(d)))) return false;
    return true;
  }

  /**
   * Unpacks the stored blob `blob` as the layer `diffId` unless it is
   * unpacked already; concurrent calls for one layer share one unpack.
   */
  async ensureLayer(blob: Digest, diffId: Digest, signal?: AbortSignal): Promise<void> {
    const target = this.layerPath(diffId);
    const running = this.unpacking.get(target);
    if (running) return running;
    const work = (async () => {
      if (await exists(target)) return;
      await mkdir(this.layersDir, { recursive: true, mode: 0o700 });
      await unpackLayer(this.blobs.path(blob), target, {
        diffId,
        maxSize: this.maxLayerBytes,
        ...(signal ? { signal } : {}),
      }).catch((err: unknown) => {
        throw noSpace(err, `unpacking layer ${diffId}`);
      });
    })();
    this.unpacking.set(target, work);
    try {
      await work;
    } finally {
      this.unpacking.delete(target);
    }
  }

  /**
   * Removes every blob and layer not kept. The caller names what is kept
   * (every image's blobs and layers, and every container's layers), and
   * holds the image lock so no image is being added meanwhile.
   */
  async prune(
    keepBlobs: ReadonlySet<Digest>,
    keepLayers: ReadonlySet<Digest>,
  ): Promise<StorePruned> {
    const pruned: StorePruned = { blobs: 0, layers: 0, bytes: 0 };
    const blobFolder = join(this.blobsDir, "sha256");
    for (const hex of await readdir(blobFolder).catch(() => [] as string[])) {
      const d = `sha256:${hex}`;
      if (!isDigest(d) || keepBlobs.has(d)) continue;
      const info = await lstat(join(blobFolder, hex)).catch(() => undefined);
      await this.blobs.remove(d);
      pruned.blobs++;
      pruned.bytes += info?.size ?? 0;
    }
    for (const hex of await readdir(this.layersDir).catch(() => [] as string[])) {
      const d = `sha256:${hex}`;
      if (!isDigest(d) || keepLayers.has(d)) continue;
      await rm(join(this.layersDir, hex), { recursive: true, force: true });
      pruned.layers++;
    }
    return pruned;
  }
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );
