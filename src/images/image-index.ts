/**
 * The image catalog: which images the host has and by which names, rebuilt
 * from the journal's image events by one pure fold, as container records are
 * from theirs. Nothing else records it, so replaying the `images` stream on
 * any copy of the journal tells exactly which images the host had, under
 * which names, from which bytes, at any point of its history.
 *
 * Why the index is not a stored projection: the image stream is small (one
 * event per pull, load, tag or removal), so folding it at start-up costs
 * nothing, and one source of truth cannot drift from a second copy.
 */
import { InvalidArgError } from "../errors.js";
import { digestHex, isDigest, type Digest } from "./digest.js";
import { parseReference, referenceString } from "./reference.js";

/** The journal stream that holds every image event of a host. */
export const IMAGE_STREAM = "images";

/** Image event actions, after Podman's image event statuses. */
export const IMAGE_ACTIONS = ["pull", "load", "import", "tag", "untag", "remove"] as const;

export type ImageAction = (typeof IMAGE_ACTIONS)[number];

/** The CloudEvents type of an image action. */
export const imageEventType = (action: ImageAction) => `io.berth.image.${action}`;

/** True for an event type of the image stream. */
export const isImageEventType = (type: string) => type.startsWith("io.berth.image.");

/** One layer of an image: the blob as stored and the tree it unpacks to. */
export interface ImageLayer {
  /** Digest of the blob (compressed, as the registry or archive gave it). */
  digest: Digest;
  /** Digest of the uncompressed tar: the layer's identity, and its folder's name. */
  diffId: Digest;
  size: number;
  mediaType: string;
}

/** What a pull, load or import added: the whole image, every blob of it stored and verified. */
export interface ImageAdded {
  /** Podman's image id: the hex of the config digest. */
  id: string;
  manifestDigest: Digest;
  configDigest: Digest;
  /** Bottom layer first. */
  layers: ImageLayer[];
  /** Bytes of the manifest, the config and every layer blob. */
  size: number;
  /** Canonical names (`docker.io/library/busybox:latest`) this event gives the image. */
  names: string[];
  /** Where the image came from: the reference pulled, or `archive` / `upload`. */
  source: string;
  architecture: string;
  os: string;
  /** The image's own creation time, from its config, when it has one. */
  created?: string;
}

/** An image event's data, by action. */
export type ImageFact =
  | { action: "pull" | "load" | "import"; data: ImageAdded }
  | { action: "tag" | "untag"; data: { name: string } }
  | { action: "remove"; data: { force: boolean; names: string[] } };

/** An image the host has. */
export interface ImageRecord extends Omit<ImageAdded, "names" | "source"> {
  names: string[];
  /** Every manifest digest this image was added under (a re-pull may bring another). */
  digests: Digest[];
  /** When the image was first added here. */
  addedAt: string;
  /** The stream version of the last event applied. */
  version: number;
}

/** Every image of a host, by id. */
export type ImageCatalog = ReadonlyMap<string, ImageRecord>;

/** Where an event sits: what `evolveImage` reads besides the fact. */
export interface ImageEventAt {
  id: string;
  time: string;
  version: number;
}

/**
 * Applies one image event to the index, returning a new index. Events carry
 * whole facts (the service journals an explicit `untag` of the image that
 * loses a name), so this fold never decides anything.
 */
export function evolveImage(index: ImageCatalog, fact: ImageFact, at: ImageEventAt): ImageCatalog {
  const next = new Map(index);
  const before = next.get(at.id);
  switch (fact.action) {
    case "pull":
    case "load":
    case "import": {
      const { names, source: _source, ...image } = fact.data;
      next.set(at.id, {
        ...image,
        names: union(before?.names ?? [], names),
        digests: union(before?.digests ?? [], [image.manifestDigest]),
        addedAt: before?.addedAt ?? at.time,
        version: at.version,
      });
      break;
    }
    case "tag":
      if (before)
        next.set(at.id, {
          ...before,
          names: union(before.names, [fact.data.name]),
          version: at.version,
        });
      break;
    case "untag":
      if (before)
        next.set(at.id, {
          ...before,
          names: before.names.filter((n) => n !== fact.data.name),
          version: at.version,
        });
      break;
    case "remove":
      next.delete(at.id);
      break;
  }
  return next;
}

const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];

/** The part of a stored event the fold reads. */
export interface StoredImageEvent {
  type: string;
  subject: string;
  time: string;
  version: number;
  data: unknown;
}

const byType = new Map<string, ImageAction>(IMAGE_ACTIONS.map((a) => [imageEventType(a), a]));

/** Folds the image stream's events (in order) into the index. */
export function replayImages(events: Iterable<StoredImageEvent>): ImageCatalog {
  let index: ImageCatalog = new Map();
  for (const e of events) {
    const action = byType.get(e.type);
    if (action === undefined) continue;
    const fact = { action, data: e.data } as ImageFact;
    index = evolveImage(index, fact, { id: e.subject, time: e.time, version: e.version });
  }
  return index;
}

/** The name an import without a registry gets, as Podman names it: `localhost/NAME:TAG`. */
export function localName(text: string): string {
  const ref = parseReference(hasHost(text) ? text : `localhost/${text}`);
  if (ref.digest !== undefined)
    throw new InvalidArgError(`image name ${JSON.stringify(text)} must not name a digest`);
  return referenceString(ref);
}

/** The canonical name a pull of `text` stores, refusing references that cannot name one. */
export function canonicalName(text: string): string {
  const ref = parseReference(text);
  return referenceString({ ...ref, ...(ref.digest !== undefined ? { tag: undefined } : {}) });
}

const hasHost = (text: string): boolean => {
  const slash = text.indexOf("/");
  if (slash === -1) return false;
  const first = text.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost";
};

const ID_PREFIX = /^[a-f0-9]{3,64}$/;

/**
 * Finds the image `text` names: a name (canonical, or short as Docker and
 * Podman read it, where `busybox` is `docker.io/library/busybox:latest` or a
 * local `localhost/busybox:latest`), a `name@sha256:…` digest reference, an
 * id (`sha256:` optional) or an unambiguous id prefix. Undefined when none
 * matches; InvalidArgError when a prefix matches several images.
 */
export function findImage(index: ImageCatalog, text: string): ImageRecord | undefined {
  const images = [...index.values()];
  for (const name of nameCandidates(text)) {
    const hit = images.find((i) => i.names.includes(name));
    if (hit) return hit;
  }
  const byDigest = digestCandidate(text);
  if (byDigest !== undefined) {
    const hit = images.find((i) => i.digests.includes(byDigest) || i.configDigest === byDigest);
    if (hit) return hit;
  }
  const hex = text.startsWith("sha256:") ? text.slice("sha256:".length) : text;
  if (!ID_PREFIX.test(hex)) return undefined;
  const hits = images.filter((i) => i.id.startsWith(hex));
  if (hits.length > 1)
    throw new InvalidArgError(`image id prefix ${hex} is ambiguous: ${hits.length} images match`);
  return hits[0];
}

/** The name of `image` that `text` matched, when it matched by name (not by id or digest). */
export function matchedName(image: ImageRecord, text: string): string | undefined {
  return nameCandidates(text).find((n) => image.names.includes(n));
}

function nameCandidates(text: string): string[] {
  try {
    const ref = parseReference(text);
    if (ref.digest !== undefined) return [];
    const names = [referenceString(ref)];
    if (!hasHost(text)) names.push(localName(text));
    return names;
  } catch {
    return [];
  }
}

function digestCandidate(text: string): Digest | undefined {
  if (isDigest(text)) return text;
  const at = text.lastIndexOf("@");
  const d = at === -1 ? "" : text.slice(at + 1);
  return isDigest(d) ? d : undefined;
}

/** The id of an image whose config has digest `config`. */
export const imageIdOf = (config: Digest) => digestHex(config);
