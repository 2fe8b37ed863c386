/**
 * `pullImage`: one image from a registry into the blob store. The manifest
 * is negotiated (an index resolves to the host's platform) and verified
 * against its digest; layers stream into the store concurrently, each
 * verified by the store; blobs already there are not fetched again.
 *
 * Why the order: layers first, then the config, then the manifest. A pull
 * that fails part-way leaves only whole, verified layers (which the next
 * attempt reuses) and never a manifest whose blobs are missing.
 */
import {
  DigestMismatchError,
  InvalidArgError,
  ManifestInvalidError,
  NoMatchingPlatformError,
} from "../../errors.js";
import type { BlobStore } from "../blob-store.js";
import { digestOf, isDigest, type Digest } from "../digest.js";
import { MAX_CONFIG_BYTES, parseImageConfig } from "../image-config.js";
import {
  choosePlatform,
  hostPlatform,
  IMAGE_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  parseManifest,
  platformString,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from "../manifest.js";
import { isRegistryHost, isRepository, RegistryClient, type ClientOptions } from "./client.js";

/** What to pull, already parsed and normalised (reference.ts does that). */
export interface PullTarget {
  /** host[:port]; `docker.io` is Docker Hub. */
  registry: string;
  /** e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  /** Pins the exact manifest (or index); wins over `tag`. */
  digest?: Digest;
}

/** Bytes received for one blob, for a progress display. */
export interface BlobProgress {
  digest: Digest;
  size: number;
  received: number;
  /** True when the blob was already in the store and not downloaded. */
  skipped: boolean;
}

export interface PullOptions extends ClientOptions {
  /** The platform to choose in an index (default linux on this architecture). */
  platform?: Platform;
  /** Layers downloaded at once (default 3). */
  concurrency?: number;
  onProgress?: (p: BlobProgress) => void;
  /**
   * Called once per layer as soon as its blob is in the store (fetched or
   * already there), with the diffID the config gives it: a caller can unpack
   * it while the other layers are still downloading.
   */
  onLayerStored?: (layer: Descriptor, diffId: Digest) => void;
}

/** A pulled image: every blob it names is in the store. */
export interface PullResult {
  manifestDigest: Digest;
  /** The index (or manifest list) the manifest was chosen from, if any. */
  indexDigest?: Digest;
  manifestMediaType: string;
  manifest: ImageManifest;
  configDigest: Digest;
  /** The image configuration as JSON, already checked by parseImageConfig. */
  config: Record<string, unknown>;
  layers: Descriptor[];
}

/** Every manifest and index kind berth reads, single-image ones preferred. */
const MANIFEST_ACCEPT = IMAGE_MEDIA_TYPES.join(", ");
const TAG = /^[\w][\w.-]{0,127}$/;

/** Pulls `target` into `store` and describes what was pulled. */
export async function pullImage(
  target: PullTarget,
  store: BlobStore,
  options: PullOptions = {},
): Promise<PullResult> {
  const reference = checkTarget(target);
  const stop = new AbortController();
  const signal =
    options.signal !== undefined ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const client = new RegistryClient(target.registry, target.repository, { ...options, signal });
  try {
    await client.ping();
    const chosen = await resolveManifest(client, reference, options.platform ?? hostPlatform());
    const { manifest } = chosen;
    const configBytes = await fetchSmallBlob(client, manifest.config, MAX_CONFIG_BYTES);
    const { config, diffIds } = checkConfig(configBytes, manifest, where(client, reference));
    await downloadLayers(client, store, manifest.layers, diffIds, options, stop, signal);
    await store.put(configBytes, { digest: manifest.config.digest, signal });
    if (chosen.index !== undefined)
      await store.put(chosen.index.body, { digest: chosen.index.digest, signal });
    await store.put(chosen.body, { digest: chosen.digest, signal });
    return {
      manifestDigest: chosen.digest,
      ...(chosen.index !== undefined && { indexDigest: chosen.index.digest }),
      manifestMediaType: manifest.mediaType,
      manifest,
      configDigest: manifest.config.digest,
      config,
      layers: manifest.layers,
    };
  } finally {
    client.close();
  }
}

function checkTarget(t: PullTarget): string {
  if (!isRegistryHost(t.registry)) throw new InvalidArgError(`invalid registry ${t.registry}`);
  if (!isRepository(t.repository))
    throw new InvalidArgError(`invalid repository ${JSON.stringify(t.repository)}`);
  if (t.digest !== undefined) {
    if (!isDigest(t.digest))
      throw new InvalidArgError(`invalid digest ${JSON.stringify(t.digest)}`);
    return t.digest;
  }
  const tag = t.tag ?? "latest";
  if (!TAG.test(tag)) throw new InvalidArgError(`invalid tag ${JSON.stringify(tag)}`);
  return tag;
}

interface ChosenManifest {
  digest: Digest;
  body: Buffer;
  manifest: ImageManifest;
  index?: { digest: Digest; body: Buffer };
}

/**
 * Fetches `reference` and, when it is an index, the entry for `platform`.
 * Each document must hash to the digest that named it (the reference, the
 * index entry) and to the registry's Docker-Content-Digest header.
 */
async function resolveManifest(
  client: RegistryClient,
  reference: string,
  platform: Platform,
): Promise<ChosenManifest> {
  const top = await fetchManifest(client, reference);
  if (top.doc.kind === "manifest") return { digest: top.digest, body: top.body, manifest: top.doc };
  const entry = chooseEntry(client, reference, top.doc, platform);
  const child = await fetchManifest(client, entry.digest);
  // The index's descriptor is a content-addressed claim about the child; a
  // child of another kind (a nested index, a Docker manifest under an OCI
  // type) is refused rather than reinterpreted.
  if (child.doc.kind !== "manifest" || child.doc.mediaType !== entry.mediaType)
    throw new ManifestInvalidError(
      `${where(client, reference)}: the index lists ${entry.digest} as ${entry.mediaType} but it is ${child.doc.mediaType}`,
    );
  return {
    digest: child.digest,
    body: child.body,
    manifest: child.doc,
    index: { digest: top.digest, body: top.body },
  };
}

/** choosePlatform, its error naming the image it was choosing in. */
function chooseEntry(
  client: RegistryClient,
  reference: string,
  index: ImageIndex,
  platform: Platform,
): Descriptor {
  try {
    return choosePlatform(index, platform);
  } catch (err) {
    if (!(err instanceof NoMatchingPlatformError)) throw err;
    throw new NoMatchingPlatformError(
      `${where(client, reference)} has no image for ${platformString(platform)}: ${err.message}`,
      { cause: err },
    );
  }
}

async function fetchManifest(client: RegistryClient, reference: string) {
  const got = await client.manifest(reference, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES);
  const digest = digestOf(got.body);
  const claimed = isDigest(reference) ? reference : got.digest;
  // A header in another algorithm cannot be checked here; the bytes' own digest is what is kept.
  if (claimed !== undefined && claimed.startsWith("sha256:") && claimed !== digest)
    throw mismatch(reference, digest);
  try {
    return { digest, body: got.body, doc: parseManifest(got.body, got.mediaType) };
  } catch (err) {
    if (!(err instanceof ManifestInvalidError)) throw err;
    throw new ManifestInvalidError(`${where(client, reference)}: ${err.message}`, { cause: err });
  }
}

/** `registry/repository:tag` or `registry/repository@digest`, for messages. */
const where = (client: RegistryClient, reference: string) =>
  `${client.registry}/${client.repository}${isDigest(reference) ? "@" : ":"}${reference}`;

/** Reads a small blob (the config) into memory and checks it against its descriptor. */
async function fetchSmallBlob(client: RegistryClient, d: Descriptor, max: number) {
  if (d.size > max)
    throw new ManifestInvalidError(`the blob ${d.digest} is ${d.size} bytes, more than ${max}`);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of client.blob(d.digest, d.size)) {
    total += chunk.length;
    if (total > d.size) break;
    parts.push(chunk);
  }
  const body = Buffer.concat(parts);
  if (total !== d.size || digestOf(body) !== d.digest) throw mismatch(d.digest, digestOf(body));
  return body;
}

/**
 * The config as JSON, once parseImageConfig accepts it and it lists one
 * diff_id per layer: checked before any layer is fetched, so an image whose
 * layers could never be verified once unpacked costs no download.
 */
function checkConfig(
  bytes: Buffer,
  manifest: ImageManifest,
  at: string,
): { config: Record<string, unknown>; diffIds: Digest[] } {
  let diffIds: Digest[];
  try {
    diffIds = parseImageConfig(bytes).diffIds;
  } catch (err) {
    if (!(err instanceof ManifestInvalidError)) throw err;
    throw new ManifestInvalidError(`${at}: ${err.message}`, { cause: err });
  }
  if (diffIds.length !== manifest.layers.length)
    throw new ManifestInvalidError(
      `${at}: the config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`,
    );
  // parseImageConfig has just parsed it as an object.
  return { config: JSON.parse(bytes.toString("utf8")) as Record<string, unknown>, diffIds };
}

/**
 * Streams the layers into the store, `concurrency` at a time. On the first
 * failure the others are aborted, and the pull fails with that first error.
 */
async function downloadLayers(
  client: RegistryClient,
  store: BlobStore,
  layers: Descriptor[],
  diffIds: readonly Digest[],
  options: PullOptions,
  stop: AbortController,
  signal: AbortSignal,
): Promise<void> {
  const queue = [...new Map(layers.map((l) => [l.digest, l])).values()];
  const diffIdOf = new Map(layers.map((l, i) => [l.digest, diffIds[i] as Digest]));
  const stored = (layer: Descriptor) => {
    const diffId = diffIdOf.get(layer.digest);
    if (diffId !== undefined) options.onLayerStored?.(layer, diffId);
  };
  let failed: Error | undefined;
  const worker = async () => {
    for (
      let layer = queue.shift();
      layer !== undefined && failed === undefined;
      layer = queue.shift()
    ) {
      const { digest, size } = layer;
      try {
        if (await store.has(digest)) {
          options.onProgress?.({ digest, size, received: size, skipped: true });
          stored(layer);
          continue;
        }
        const progress = (received: number) =>
          options.onProgress?.({ digest, size, received, skipped: false });
        await store.put(client.blob(digest, size, progress), { digest, size, signal });
        stored(layer);
      } catch (err) {
        failed ??= err instanceof Error ? err : new Error(String(err));
        stop.abort(err);
      }
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? 3, 16));
  await Promise.all(Array.from({ length: n }, worker));
  if (failed !== undefined) throw failed;
}

const mismatch = (wanted: string, actual: Digest) =>
  new DigestMismatchError(`the registry's bytes for ${wanted} hash to ${actual}: refused`);
