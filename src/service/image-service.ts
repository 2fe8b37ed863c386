/**
 * Image verbs: pull, load, import, tag, untag, remove and prune, each one
 * journaled as `io.berth.image.*` events in the `images` stream, and the
 * catalog those events fold into. Containers are created from what this
 * service resolves: the image's id, digests and layers are pinned in the
 * create event.
 *
 * Why blobs are stored before the event and the event is the commit: a
 * pull or load that fails or is cut off leaves only whole, verified blobs and
 * layers that no event names; they cost disk, never correctness, and prune
 * removes them. An image exists once (and only once) its event is durable.
 */
import type { Readable, Writable } from "node:stream";
import { open, stat, type FileHandle } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { ImageInUseError, InvalidArgError, NoSuchImageError } from "../errors.js";
import { envelopeOf } from "../events/index.js";
import {
  canonicalName,
  findImage,
  IMAGE_STREAM,
  imageEventType,
  localName,
  loadArchive,
  loadLayoutDir,
  matchedName,
  noSpace,
  parseReference,
  pullImage,
  replayImages,
  evolveImage,
  saveBlobDigests,
  writeImageArchive,
  type BlobProgress,
  type Credentials,
  type Digest,
  type ImageAdded,
  type ImageCatalog,
  type ImageConfig,
  type ImageFact,
  type ImageRecord,
  type ImageStore,
  type Platform,
  type SaveImage,
  type StoredImage,
  type WriteArchiveOptions,
} from "../images/index.js";
import type { ContainerRecord, RequestMeta } from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { ImageGate } from "./image-gate.js";
import { SerialQueue } from "./serial-queue.js";

/** What the image service needs. */
export interface ImageServiceDeps {
  host: string;
  journal: Journal;
  store: ImageStore;
  /** Every container record, removed ones included: what uses which image and layers. */
  containers: () => Iterable<ContainerRecord>;
}

/** How to reach the registry of a pull. */
export interface PullRequest {
  reference: string;
  /** Verify TLS (default true); false also allows plain HTTP. */
  tlsVerify?: boolean;
  /** Extra trusted CA certificates, PEM. */
  ca?: string;
  credentials?: Credentials;
  platform?: Platform;
  onProgress?: (p: BlobProgress) => void;
  signal?: AbortSignal;
}

/** What `remove` did. */
export interface ImageRemoved {
  /** The names taken off the image. */
  untagged: string[];
  /** The id of the image removed; absent when only a name was taken off. */
  deleted?: string;
  /** Containers that still use its layers (only with force). */
  usedBy: string[];
}

/** What `prune` did. */
export interface ImagesPruned {
  /** Ids of the images removed. */
  images: string[];
  blobs: number;
  layers: number;
  /** Bytes of blobs freed. */
  bytes: number;
}

/** An image a pull, load or import added, with the names that verb gave it. */
export type AddedImage = ImageRecord & { given: string[] };

/** An image and its parsed configuration: what create builds a container from. */
export interface ResolvedImage {
  image: ImageRecord;
  config: ImageConfig;
}

type Append = { id: string; fact: ImageFact };

export class ImageService {
  private catalog: ImageCatalog = new Map();
  private version = 0;
  private readonly queue = new SerialQueue();
  private readonly gate = new ImageGate();

  constructor(private readonly deps: ImageServiceDeps) {}

  /** Folds the journal's image stream and sweeps what a crash cut off. */
  async open(): Promise<void> {
    const events = await this.deps.journal.readStream(IMAGE_STREAM);
    this.catalog = replayImages(events);
    this.version = events.length;
    await this.deps.store.sweep();
  }

  /** Every image, newest first. */
  list(): ImageRecord[] {
    return [...this.catalog.values()].sort((a, b) => b.addedAt.localeCompare(a.addedAt));
  }

  /** The image `ref` names; NoSuchImageError when none does. */
  get(ref: string): ImageRecord {
    const image = findImage(this.catalog, ref);
    if (!image) throw new NoSuchImageError(`${ref}: image not known`);
    return image;
  }

  /** The image and its configuration. */
  async inspect(ref: string): Promise<ResolvedImage> {
    const image = this.get(ref);
    return { image, config: await this.deps.store.config(image.configDigest) };
  }

  /**
   * Runs `task` with the image `ref` names, which no removal or prune can
   * take away until `task` is done (create pins its layers meanwhile).
   */
  withImage<T>(ref: string, task: (resolved: ResolvedImage) => Promise<T>): Promise<T> {
    return this.gate.shared(async () => task(await this.inspect(ref)));
  }

  /** The overlay lower folders of `diffIds` (bottom first), as the store keeps them. */
  layerPaths(diffIds: readonly string[]): string[] {
    return diffIds.map((d) => this.deps.store.layerPath(d as Digest));
  }

  /**
   * Writes the images `refs` name as one archive (`docker save`). Every ref
   * is resolved and every blob opened under the gate, then the gate is let
   * go: a removal meanwhile cannot take bytes away from the open files, and
   * a slow reader holds up no other verb. `start` is called once all is
   * resolved and gives the stream to write to, so a missing image
   * (NoSuchImageError) fails the save before any byte. A ref naming an image
   * by name saves that name; by id or digest, no name. Two refs of one image
   * save it once, with both names.
   */
  async save(
    refs: readonly string[],
    start: (images: readonly SaveImage[]) => Writable,
    options: WriteArchiveOptions = {},
  ): Promise<void> {
    const { images, handles } = await this.gate.shared(async () => {
      const images = savedImages(this.catalog, refs);
      return { images, handles: await this.openBlobs(saveBlobDigests(images)) };
    });
    try {
      await writeImageArchive(images, handles, start(images), options);
    } finally {
      await Promise.all([...handles.values()].map((h) => h.close().catch(() => undefined)));
    }
  }

  /** Opens the stored blobs `digests` for reading, all or none. */
  private async openBlobs(digests: readonly Digest[]): Promise<Map<Digest, FileHandle>> {
    const handles = new Map<Digest, FileHandle>();
    try {
      for (const d of digests) handles.set(d, await open(this.deps.store.blobs.path(d), "r"));
    } catch (err) {
      await Promise.all([...handles.values()].map((h) => h.close().catch(() => undefined)));
      throw err;
    }
    return handles;
  }

  /** Pulls from a registry; journals `pull` once every blob and layer is stored. */
  async pull(request: PullRequest, meta: RequestMeta): Promise<AddedImage> {
    const ref = parseReference(request.reference);
    const name = ref.digest === undefined ? canonicalName(request.reference) : undefined;
    return this.gate.shared(async () => {
      // Each layer is unpacked as soon as it is stored, while the others download.
      const unpacks: Promise<void>[] = [];
      const early = (layer: { digest: Digest }, diffId: Digest) =>
        unpacks.push(
          this.deps.store
            .ensureLayer(layer.digest, diffId, request.signal)
            // `complete` below unpacks it again and reports the failure.
            .catch(() => undefined),
        );
      const pulled = await pullImage(
        {
          registry: ref.registry,
          repository: ref.repository,
          ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
          ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
        },
        this.deps.store.blobs,
        {
          ...(request.tlsVerify !== undefined ? { tlsVerify: request.tlsVerify } : {}),
          ...(request.ca !== undefined ? { ca: request.ca } : {}),
          ...(request.credentials ? { credentials: request.credentials } : {}),
          ...(request.platform ? { platform: request.platform } : {}),
          ...(request.onProgress ? { onProgress: request.onProgress } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
          onLayerStored: early,
        },
      )
        .catch((err: unknown) => {
          throw noSpace(err, `pulling ${request.reference}`);
        })
        // No unpack may outlive the pull: prune waits for the pull, not for them.
        .finally(() => Promise.allSettled(unpacks));
      const stored: StoredImage = {
        manifestDigest: pulled.manifestDigest,
        configDigest: pulled.configDigest,
        layers: pulled.layers.map((l) => ({
          digest: l.digest,
          size: l.size,
          mediaType: l.mediaType,
        })),
      };
      const [image] = await this.add(
        "pull",
        [{ stored, names: name ? [name] : [] }],
        request.reference,
        meta,
        request.signal,
      );
      return image as AddedImage;
    });
  }

  /**
   * Loads a `docker save` / `podman save` archive, an OCI archive, or (a file
   * only) a plain rootfs tarball. `name`, when given, is added to every image
   * loaded (a plain rootfs has no name of its own). Journals `load`, or
   * `import` for a plain rootfs.
   */
  async load(
    source: string | Readable,
    meta: RequestMeta,
    options: { name?: string; signal?: AbortSignal } = {},
  ): Promise<AddedImage[]> {
    const extra = options.name !== undefined ? [localName(options.name)] : [];
    const kind = typeof source === "string" ? await hostSource(source) : "file";
    return this.gate.shared(async () => {
      const loaded = await (
        kind === "layout" && typeof source === "string"
          ? loadLayoutDir(source, this.deps.store.blobs)
          : loadArchive(source, this.deps.store.blobs)
      ).catch((err: unknown) => {
        throw noSpace(err, "loading the archive");
      });
      const rootfs = loaded.length === 1 && loaded[0]?.names.length === 0 && loaded[0].plain;
      return this.add(
        rootfs ? "import" : "load",
        loaded.map((l) => ({ stored: l, names: [...normalNames(l.names), ...extra] })),
        typeof source === "string" ? "archive" : "upload",
        meta,
        options.signal,
      );
    });
  }

  /** Adds a name to an image; the image that had the name loses it (journaled as `untag`). */
  tag(ref: string, name: string, meta: RequestMeta): Promise<ImageRecord> {
    const canonical = localName(name);
    return this.queue.run(async () => {
      const image = this.get(ref);
      if (image.names.includes(canonical)) return image;
      await this.append(
        [
          ...this.takeNames([canonical], image.id),
          { id: image.id, fact: { action: "tag", data: { name: canonical } } },
        ],
        meta,
      );
      return this.get(image.id);
    });
  }

  /** Takes a name off an image; the image stays (by id) even with no name left. */
  untag(ref: string, name: string, meta: RequestMeta): Promise<ImageRecord> {
    const canonical = localName(name);
    return this.queue.run(async () => {
      const image = this.get(ref);
      if (!image.names.includes(canonical))
        throw new NoSuchImageError(`${name}: image ${image.id.slice(0, 12)} has no such name`);
      await this.append(
        [{ id: image.id, fact: { action: "untag", data: { name: canonical } } }],
        meta,
      );
      return this.get(image.id);
    });
  }

  /**
   * Removes an image, as Podman's `rmi`: named by one of several names, only
   * that name is taken off (journaled as `untag`). Otherwise the image goes,
   * refused (ImageInUseError) while a container that is not removed uses it,
   * unless `force`: then its names go too, and the containers keep their
   * pinned layers until they are removed themselves (Podman would remove the
   * containers; berth never removes a container as a side effect of an
   * image verb).
   */
  remove(ref: string, force: boolean, meta: RequestMeta): Promise<ImageRemoved> {
    return this.gate.exclusive(() =>
      this.queue.run(async () => {
        const image = this.get(ref);
        const name = matchedName(image, ref);
        if (name !== undefined && image.names.length > 1) {
          await this.append([{ id: image.id, fact: { action: "untag", data: { name } } }], meta);
          return { untagged: [name], usedBy: [] };
        }
        const usedBy = this.users(image.id);
        if (usedBy.length > 0 && !force)
          throw new ImageInUseError(
            `image ${image.id.slice(0, 12)} is in use by ${usedBy.length} container(s) (${usedBy
              .slice(0, 3)
              .map((id) => id.slice(0, 12))
              .join(", ")}): remove them first, or force`,
          );
        await this.append(
          [{ id: image.id, fact: { action: "remove", data: { force, names: image.names } } }],
          meta,
        );
        return { untagged: image.names, deleted: image.id, usedBy };
      }),
    );
  }

  /**
   * Removes unused images (only those without a name, unless `all`), then
   * every blob and layer that no image or container refers to, such as what
   * a failed pull left.
   */
  prune(all: boolean, meta: RequestMeta): Promise<ImagesPruned> {
    return this.gate.exclusive(() =>
      this.queue.run(async () => {
        const doomed = this.list().filter(
          (i) => (all || i.names.length === 0) && this.users(i.id).length === 0,
        );
        if (doomed.length > 0)
          await this.append(
            doomed.map((i) => ({
              id: i.id,
              fact: { action: "remove", data: { force: false, names: i.names } },
            })),
            meta,
          );
        const { blobs, layers } = this.referenced();
        const swept = await this.deps.store.prune(blobs, layers);
        return { images: doomed.map((i) => i.id), ...swept };
      }),
    );
  }

  /** Ids of containers (not removed) that were created from image `id`. */
  private users(id: string): string[] {
    const ids: string[] = [];
    for (const c of this.deps.containers())
      if (c.state !== "removed" && c.imagePin?.id === id) ids.push(c.id);
    return ids;
  }

  /** Every blob and layer an image or a container that is not removed refers to. */
  private referenced(): { blobs: Set<Digest>; layers: Set<Digest> } {
    const blobs = new Set<Digest>();
    const layers = new Set<Digest>();
    for (const i of this.catalog.values()) {
      for (const d of [...i.digests, i.manifestDigest, i.configDigest]) blobs.add(d);
      for (const l of i.layers) {
        blobs.add(l.digest);
        layers.add(l.diffId);
      }
    }
    for (const c of this.deps.containers()) {
      if (c.state === "removed" || !c.imagePin) continue;
      blobs.add(c.imagePin.manifestDigest as Digest);
      blobs.add(c.imagePin.configDigest as Digest);
      for (const d of c.imagePin.layers) layers.add(d as Digest);
    }
    return { blobs, layers };
  }

  /** Unpacks the images' layers, then journals them (with the untags their names cause). */
  private async add(
    action: "pull" | "load" | "import",
    images: { stored: StoredImage; names: string[] }[],
    source: string,
    meta: RequestMeta,
    signal?: AbortSignal,
  ): Promise<AddedImage[]> {
    const added: ImageAdded[] = [];
    for (const { stored, names } of images) {
      const complete = await this.deps.store.complete(stored, signal);
      added.push({ ...complete, names: [...new Set(names)], source });
    }
    return this.queue.run(async () => {
      const appends: Append[] = [];
      for (const a of added) {
        appends.push(...this.takeNames(a.names, a.id));
        appends.push({ id: a.id, fact: { action, data: a } });
      }
      await this.append(appends, meta);
      return added.map((a) => ({ ...this.get(a.id), given: a.names }));
    });
  }

  /** `untag` events for every other image that holds one of `names`. */
  private takeNames(names: readonly string[], keeper: string): Append[] {
    const untags: Append[] = [];
    for (const name of names)
      for (const other of this.catalog.values())
        if (other.id !== keeper && other.names.includes(name))
          untags.push({ id: other.id, fact: { action: "untag", data: { name } } });
    return untags;
  }

  /** Journals image facts in one atomic append, then folds them into the catalog. */
  private async append(appends: Append[], meta: RequestMeta): Promise<void> {
    const time = new Date().toISOString();
    await this.deps.journal.append({
      stream: IMAGE_STREAM,
      expectedVersion: this.version,
      events: appends.map((a) =>
        envelopeOf(
          imageEventType(a.fact.action),
          a.fact.data as unknown as Record<string, unknown>,
          {
            host: this.deps.host,
            subject: a.id,
            time,
            meta,
          },
        ),
      ),
    });
    for (const a of appends)
      this.catalog = evolveImage(this.catalog, a.fact, { id: a.id, time, version: ++this.version });
  }
}

/**
 * The images a save of `refs` writes, in the order first named. A missing
 * image is a NoSuchImageError in dockerd's words ("reference does not exist").
 */
function savedImages(catalog: ImageCatalog, refs: readonly string[]): SaveImage[] {
  const byId = new Map<
    string,
    { configDigest: Digest; layers: ImageRecord["layers"]; names: string[] }
  >();
  for (const ref of refs) {
    const image = findImage(catalog, ref);
    if (!image) throw new NoSuchImageError(`reference does not exist: ${ref}`);
    const entry = byId.get(image.id) ?? {
      configDigest: image.configDigest,
      layers: image.layers,
      names: [],
    };
    const name = matchedName(image, ref);
    if (name !== undefined && !entry.names.includes(name)) entry.names.push(name);
    byId.set(image.id, entry);
  }
  return [...byId.values()];
}

/**
 * An archive named on the daemon's own host must be an absolute path to a
 * regular file or an OCI layout folder: a relative one would be read from
 * wherever the daemon was started, and a device or FIFO could block the load
 * forever.
 */
async function hostSource(file: string): Promise<"file" | "layout"> {
  if (!isAbsolute(file))
    throw new InvalidArgError(
      `image archive ${JSON.stringify(file)} must be an absolute path on the daemon's host`,
    );
  const info = await stat(file).catch((err: unknown) => {
    throw new InvalidArgError(`cannot read image archive ${file}: ${String(err)}`, { cause: err });
  });
  // A folder can only be an OCI layout (`skopeo copy … oci:DIR`); loadLayoutDir reads nothing else in it.
  if (info.isDirectory()) return "layout";
  if (!info.isFile())
    throw new InvalidArgError(
      `image archive ${file} is not a regular file or an OCI layout folder`,
    );
  return "file";
}

/**
 * Names an archive gives, canonical. An OCI `org.opencontainers.image.ref.name`
 * is often a bare tag (`latest`, `v1`): a word with neither `/` nor `:` is
 * read as one and files the image under no name.
 */
function normalNames(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    if (!n.includes("/") && !n.includes(":")) continue;
    try {
      out.push(canonicalName(n));
    } catch {
      // Not a reference either: the image is still loaded, by id.
    }
  }
  return out;
}
