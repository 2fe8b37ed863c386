/**
 * Image archives (issue 11): `docker save` / `podman save` tarballs, OCI
 * archives (a tar of an OCI layout) and OCI layout folders, loaded into the
 * blob store.
 *
 * Why the tar is read as a stream and never extracted by name: an archive
 * comes from a client, and its entry names are its word. Each regular file
 * goes straight into the blob store (content-addressed, verified on the way
 * in when its name announces a digest); the few small metadata files are
 * kept in memory. Nothing is written at a path the archive chose, and a
 * name with `..`, an absolute name or a link is refused outright.
 *
 * A load that fails part-way returns nothing and records nothing: blobs it
 * already stored are unreferenced, and a prune of unreferenced blobs removes
 * them. No half-written blob exists (the store's temp files are removed on
 * failure).
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { extract } from "tar-stream";
import { ArchiveInvalidError, DigestMismatchError, ManifestInvalidError } from "../errors.js";
import type { BlobStore } from "./blob-store.js";
import { digestHex, digestOf, isDigest, type Digest } from "./digest.js";
import { parseImageConfig } from "./image-config.js";
import {
  choosePlatform,
  hostPlatform,
  MediaType,
  parseManifest,
  type ImageManifest,
} from "./manifest.js";

/** One image found in an archive, its blobs all in the store. */
export interface LoadedImage {
  manifestDigest: Digest;
  configDigest: Digest;
  layers: { digest: Digest; size: number; mediaType: string }[];
  /** The names the archive gives the image (RepoTags, `ref.name` annotations), as written. */
  names: string[];
  /** True for a plain rootfs tarball, made a one-layer image with an empty configuration. */
  plain?: boolean;
}

/** Metadata files read into memory; anything larger is refused. */
const MAX_METADATA_BYTES = 4 * 1024 * 1024;
/** Most entries one archive may hold. */
const MAX_ENTRIES = 100_000;
const METADATA = new Set(["manifest.json", "index.json", "oci-layout", "repositories"]);
const BLOB_NAME = /^blobs\/sha256\/([a-f0-9]{64})$/;
/** Where `docker save` puts configs (`<hex>.json`) and layers (`<hex>.tar`, `<id>/layer.tar`). */
const DOCKER_BLOB = /^(?:[^/]+\.json|[^/]+\.tar|[^/]+\/layer\.tar)$/;
const REF_NAME = "org.opencontainers.image.ref.name";

/** A file of the archive: where its bytes went. */
interface Stored {
  digest: Digest;
  size: number;
}

/** The archive read once: metadata in memory, every other file in the store. */
interface ReadArchive {
  metadata: Map<string, Buffer>;
  files: Map<string, Stored>;
}

const invalid = (message: string, cause?: unknown): never => {
  throw new ArchiveInvalidError(message, cause === undefined ? undefined : { cause });
};

/** The entry's name, refused when it could point outside the archive. */
function safeName(raw: string): string {
  const name = raw.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (raw.startsWith("/") || name.split("/").some((part) => part === ".."))
    invalid(`archive entry ${JSON.stringify(raw)} names a path outside the archive`);
  return name;
}

async function collect(
  stream: AsyncIterable<Uint8Array>,
  limit: number,
  name: string,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > limit) invalid(`archive file ${name} is larger than ${limit} bytes`);
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

/** Reads the tar once, sending each regular file to the store. */
async function readTar(source: Readable, store: BlobStore): Promise<ReadArchive> {
  const metadata = new Map<string, Buffer>();
  const files = new Map<string, Stored>();
  const tar = extract();
  source.on("error", (err) => tar.destroy(err));
  source.pipe(tar);
  let count = 0;
  try {
    for await (const entry of tar) {
      if (++count > MAX_ENTRIES) invalid(`archive holds more than ${MAX_ENTRIES} entries`);
      const { name: raw, type, size } = entry.header;
      const body = entry as unknown as AsyncIterable<Uint8Array>;
      const name = safeName(raw);
      // Links are never followed (skopeo writes legacy `<id>/layer.tar` links
      // next to the real files); a manifest naming one finds nothing there.
      if (type === "directory" || type === "symlink" || type === "link") {
        entry.resume();
        continue;
      }
      if (type !== "file" && type !== "contiguous-file")
        invalid(`archive entry ${JSON.stringify(raw)} is a ${type ?? "special file"}, not a file`);
      if (METADATA.has(name)) {
        metadata.set(name, await collect(body, MAX_METADATA_BYTES, name));
        continue;
      }
      const announced = BLOB_NAME.exec(name)?.[1];
      // Only names an image archive uses for blobs are stored, so the files
      // of a plain rootfs tarball do not each become an orphan blob.
      if (announced === undefined && !DOCKER_BLOB.test(name)) {
        entry.resume();
        continue;
      }
      const digest = await store.put(body, {
        ...(announced !== undefined ? { digest: `sha256:${announced}` } : {}),
        ...(size !== undefined ? { size } : {}),
      });
      files.set(name, { digest, size: size ?? 0 });
    }
  } catch (err) {
    source.unpipe(tar);
    source.destroy();
    if (err instanceof ArchiveInvalidError || err instanceof DigestMismatchError) throw err;
    return invalid(`not a readable image archive: ${(err as Error).message}`, err);
  }
  return { metadata, files };
}

function json(bytes: Buffer | undefined, what: string): unknown {
  if (bytes === undefined) return invalid(`archive has no ${what}`);
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch (err) {
    return invalid(`archive's ${what} is not JSON`, err);
  }
}

/** The stored file an archive path names, or ArchiveInvalidError. */
function fileAt(archive: ReadArchive, path: unknown, what: string): Stored {
  const found = typeof path === "string" ? archive.files.get(safeName(path)) : undefined;
  return found ?? invalid(`archive names ${what} ${JSON.stringify(path)} but does not hold it`);
}

/** The blob of an OCI layout, checked to be in the store with the announced size. */
function ociBlob(archive: ReadArchive, d: Digest, size: number): Stored {
  const found = archive.files.get(`blobs/sha256/${digestHex(d)}`);
  if (found === undefined) return invalid(`archive lacks blob ${d}`);
  if (found.digest !== d) throw new DigestMismatchError(`blob ${d} has digest ${found.digest}`);
  if (found.size !== size)
    throw new DigestMismatchError(`blob ${d} is ${found.size} bytes, not ${size}`);
  return found;
}

/** Images of an OCI layout, through its index.json (nested indexes choose the host's platform). */
async function fromOciLayout(archive: ReadArchive, store: BlobStore): Promise<LoadedImage[]> {
  const index = parseManifest(
    Buffer.from(JSON.stringify(json(archive.metadata.get("index.json"), "index.json"))),
    MediaType.ociIndex,
  );
  if (index.kind !== "index") return invalid("index.json is not an image index");
  const images: LoadedImage[] = [];
  for (const entry of index.manifests) {
    ociBlob(archive, entry.digest, entry.size);
    let manifestDigest = entry.digest;
    let manifest = parseManifest(await store.read(entry.digest), entry.mediaType);
    if (manifest.kind === "index") {
      const chosen = choosePlatform(manifest);
      ociBlob(archive, chosen.digest, chosen.size);
      manifestDigest = chosen.digest;
      manifest = parseManifest(await store.read(chosen.digest), chosen.mediaType);
      if (manifest.kind === "index") return invalid("an index nested more than two deep");
    }
    images.push(
      await checked(archive, store, manifestDigest, manifest, entry.annotations?.[REF_NAME]),
    );
  }
  return images;
}

/** Every blob the manifest names is present, and the config parses and lists as many layers. */
async function checked(
  archive: ReadArchive,
  store: BlobStore,
  manifestDigest: Digest,
  manifest: ImageManifest,
  name: string | undefined,
): Promise<LoadedImage> {
  ociBlob(archive, manifest.config.digest, manifest.config.size);
  for (const layer of manifest.layers) ociBlob(archive, layer.digest, layer.size);
  const config = parseImageConfig(await store.read(manifest.config.digest));
  if (config.diffIds.length !== manifest.layers.length)
    throw new ManifestInvalidError(
      `manifest ${manifestDigest} lists ${manifest.layers.length} layers but its config ${config.diffIds.length}`,
    );
  return {
    manifestDigest,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((l) => ({
      digest: l.digest,
      size: l.size,
      mediaType: l.mediaType,
    })),
    names: name !== undefined ? [name] : [],
  };
}

interface DockerEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

/**
 * Images of a `docker save` archive. It has no manifest blob, so berth writes
 * a Docker schema2 manifest for each image (uncompressed layers, as saved)
 * and stores it; the same archive always yields the same manifest digest.
 * Each layer must hash to its config's diff_id.
 */
async function fromDockerArchive(archive: ReadArchive, store: BlobStore): Promise<LoadedImage[]> {
  const entries = json(archive.metadata.get("manifest.json"), "manifest.json");
  if (!Array.isArray(entries) || entries.length === 0)
    return invalid("manifest.json lists no image");
  const images: LoadedImage[] = [];
  for (const raw of entries as DockerEntry[]) {
    const config = fileAt(archive, raw.Config, "config");
    const parsed = parseImageConfig(await store.read(config.digest));
    const paths = Array.isArray(raw.Layers) ? (raw.Layers as unknown[]) : [];
    if (paths.length !== parsed.diffIds.length)
      invalid(`manifest.json lists ${paths.length} layers but the config ${parsed.diffIds.length}`);
    const layers = paths.map((path, i) => {
      const layer = fileAt(archive, path, "layer");
      if (layer.digest !== parsed.diffIds[i])
        throw new DigestMismatchError(
          `layer ${String(path)} has digest ${layer.digest}, not its diff_id ${parsed.diffIds[i]}`,
        );
      return { digest: layer.digest, size: layer.size, mediaType: MediaType.dockerLayer };
    });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: config.digest, size: config.size },
      layers,
    });
    const manifestDigest = await store.put(Buffer.from(manifest), { digest: digestOf(manifest) });
    const names = Array.isArray(raw.RepoTags)
      ? raw.RepoTags.filter((t): t is string => typeof t === "string")
      : [];
    images.push({ manifestDigest, configDigest: config.digest, layers, names });
  }
  return images;
}

/**
 * A plain rootfs tarball (a tar with no image metadata, already read once as
 * a valid tar) as a one-layer image: the file itself is the uncompressed
 * layer, with a configuration naming no command and an OCI manifest, both
 * written by berth. A stream cannot be read twice, so only a file qualifies.
 */
async function fromRootfs(path: string, store: BlobStore): Promise<LoadedImage[]> {
  const layer = await store.put(createReadStream(path));
  const size = (await lstat(path)).size;
  const config = JSON.stringify({
    architecture: hostPlatform().architecture,
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [layer] },
  });
  const configDigest = await store.put(Buffer.from(config));
  const layers = [{ digest: layer, size, mediaType: MediaType.ociLayer as string }];
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: {
      mediaType: MediaType.ociConfig,
      digest: configDigest,
      size: Buffer.byteLength(config),
    },
    layers,
  });
  const manifestDigest = await store.put(Buffer.from(manifest));
  return [{ manifestDigest, configDigest, layers, names: [], plain: true }];
}

/**
 * Loads every image of an archive (a file path or a stream) into the store,
 * telling Docker archives (`manifest.json`) from OCI ones (`index.json` and
 * `oci-layout`) by their content. Throws ArchiveInvalidError for a
 * non-archive, a truncated one or an escaping entry name, and
 * DigestMismatchError when a blob does not match its digest.
 */
export async function loadArchive(
  source: string | Readable,
  store: BlobStore,
): Promise<LoadedImage[]> {
  const stream = typeof source === "string" ? createReadStream(source) : source;
  const archive = await readTar(stream, store);
  if (archive.metadata.has("manifest.json")) return fromDockerArchive(archive, store);
  if (archive.metadata.has("index.json") && archive.metadata.has("oci-layout"))
    return fromOciLayout(archive, store);
  if (typeof source === "string") return fromRootfs(source, store);
  return invalid(
    "archive holds neither manifest.json (docker save) nor index.json and oci-layout (OCI); a plain rootfs tarball must be given as a file",
  );
}

/**
 * Loads an OCI layout folder (`skopeo copy … oci:DIR`). Only `index.json`,
 * `oci-layout` and regular files `blobs/sha256/<hex>` are read (each verified
 * against its name), so the folder's other names and links are never followed.
 */
export async function loadLayoutDir(dir: string, store: BlobStore): Promise<LoadedImage[]> {
  const metadata = new Map<string, Buffer>();
  for (const name of ["index.json", "oci-layout"]) {
    const bytes = await readFile(join(dir, name)).catch((err: unknown) =>
      invalid(`${dir} is not an OCI layout: no ${name}`, err),
    );
    if (bytes.byteLength > MAX_METADATA_BYTES)
      invalid(`${name} is larger than ${MAX_METADATA_BYTES} bytes`);
    metadata.set(name, bytes);
  }
  const files = new Map<string, Stored>();
  const folder = join(dir, "blobs", "sha256");
  for (const hex of await readdir(folder).catch(() => [] as string[])) {
    const d = `sha256:${hex}`;
    if (!isDigest(d)) continue;
    const info = await lstat(join(folder, hex));
    // A link could point anywhere on the host: only regular files are read.
    if (!info.isFile()) continue;
    await store.put(createReadStream(join(folder, hex)), { digest: d, size: info.size });
    files.set(`blobs/sha256/${hex}`, { digest: d, size: info.size });
  }
  return fromOciLayout({ metadata, files }, store);
}
