/**
 * Image manifests and indexes, OCI and Docker schema2 (issue 11): parsed and
 * validated before berth trusts a single digest in them, and the host's
 * platform chosen from an index.
 *
 * Why the media types are a closed list: every source (registry, archive,
 * layout) hands berth JSON whose meaning depends on its media type. A type
 * berth does not know is refused by name rather than guessed at; Docker's
 * schema1 is refused on purpose, because its layers are not content-addressed
 * by the manifest's digest and its signatures are not verifiable here.
 */
import { endianness } from "node:os";
import { z } from "zod";
import { ManifestInvalidError, NoMatchingPlatformError } from "../errors.js";
import { isDigest, type Digest } from "./digest.js";

/** The media types berth reads. */
export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

const SCHEMA1 = [
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/** Largest manifest or index berth parses; registries cap theirs at 4 MiB too. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Most layers (or index entries) one manifest may list; real images stay far below. */
export const MAX_DESCRIPTORS = 1024;

const LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.dockerLayer,
  MediaType.dockerLayerGzip,
]);
const CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.ociConfig, MediaType.dockerConfig]);
/**
 * The manifest and index types parseManifest reads, single-image ones first:
 * what a registry client lists in its Accept header, in order of preference.
 */
export const IMAGE_MEDIA_TYPES = [
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.ociIndex,
  MediaType.dockerManifestList,
] as const;
const IMAGE_TYPES: ReadonlySet<string> = new Set(IMAGE_MEDIA_TYPES);

/** A content descriptor: what a blob is, its digest and its size. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
}

/** An OCI/Docker platform, as an index names it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** An index entry: a manifest for one platform. */
export interface PlatformDescriptor extends Descriptor {
  platform?: Platform;
}

/** A single-platform image manifest (OCI or Docker schema2). */
export interface ImageManifest {
  kind: "manifest";
  mediaType: typeof MediaType.ociManifest | typeof MediaType.dockerManifest;
  config: Descriptor;
  layers: Descriptor[];
}

/** A multi-platform index (OCI index or Docker manifest list). */
export interface ImageIndex {
  kind: "index";
  mediaType: typeof MediaType.ociIndex | typeof MediaType.dockerManifestList;
  manifests: PlatformDescriptor[];
}

const digestSchema = z.string().refine(isDigest, "not a sha256 digest (sha256: and 64 hex)");
const descriptorSchema = z.object({
  mediaType: z.string().min(1).max(255),
  digest: digestSchema,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  annotations: z.record(z.string(), z.string()).optional(),
});
const platformSchema = z.object({
  os: z.string().min(1).max(64),
  architecture: z.string().min(1).max(64),
  variant: z.string().max(64).optional(),
});
const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema).max(MAX_DESCRIPTORS),
});
const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z
    .array(descriptorSchema.extend({ platform: platformSchema.optional() }))
    .max(MAX_DESCRIPTORS),
});

const fail = (message: string, cause?: unknown): never => {
  throw new ManifestInvalidError(message, cause === undefined ? undefined : { cause });
};

function issues(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`)
    .join("; ");
}

function decode(source: Uint8Array | string): unknown {
  const size = typeof source === "string" ? Buffer.byteLength(source) : source.byteLength;
  if (size > MAX_MANIFEST_BYTES)
    fail(`manifest is ${size} bytes, more than the ${MAX_MANIFEST_BYTES} berth reads`);
  const text = typeof source === "string" ? source : Buffer.from(source).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return fail("manifest is not JSON", err);
  }
}

/**
 * Which kind the JSON is: its own `mediaType`, else the one the transport
 * announced (a registry's Content-Type, an index entry), else its shape (OCI
 * allows the field to be absent).
 */
function mediaTypeOf(json: Record<string, unknown>, announced?: string): string {
  const own = typeof json.mediaType === "string" ? json.mediaType : undefined;
  if (
    own !== undefined &&
    announced !== undefined &&
    own !== announced &&
    IMAGE_TYPES.has(announced)
  )
    fail(`manifest says it is ${own} but was announced as ${announced}`);
  const type = own ?? announced;
  if (type !== undefined) return type;
  if (json.schemaVersion === 1) return SCHEMA1[0]!;
  if ("manifests" in json) return MediaType.ociIndex;
  if ("config" in json) return MediaType.ociManifest;
  return fail("manifest has no mediaType and is neither an image manifest nor an index");
}

/**
 * Parses and validates a manifest or index. `announced` is the media type the
 * transport gave (Content-Type, a descriptor); it decides when the JSON has
 * none. Throws ManifestInvalidError for schema1, unknown media types, bad
 * JSON, bad digests, and layer or config media types berth cannot unpack.
 */
export function parseManifest(
  source: Uint8Array | string,
  announced?: string,
): ImageManifest | ImageIndex {
  const json = decode(source);
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return fail("manifest is not a JSON object");
  const type = mediaTypeOf(json as Record<string, unknown>, announced);
  if (SCHEMA1.includes(type) || (json as { schemaVersion?: unknown }).schemaVersion === 1)
    fail("Docker schema1 manifests are not supported: push the image again with a current client");
  if (type === MediaType.ociManifest || type === MediaType.dockerManifest) {
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success) return fail(`invalid ${type}: ${issues(parsed.error)}`, parsed.error);
    const { config, layers } = parsed.data;
    if (!CONFIG_TYPES.has(config.mediaType))
      fail(`config media type ${JSON.stringify(config.mediaType)} is not an image configuration`);
    for (const layer of layers)
      if (!LAYER_TYPES.has(layer.mediaType))
        fail(
          `layer ${layer.digest} has media type ${JSON.stringify(layer.mediaType)}, which berth cannot unpack`,
        );
    return {
      kind: "manifest",
      mediaType: type,
      config: config,
      layers: layers,
    };
  }
  if (type === MediaType.ociIndex || type === MediaType.dockerManifestList) {
    const parsed = indexSchema.safeParse(json);
    if (!parsed.success) return fail(`invalid ${type}: ${issues(parsed.error)}`, parsed.error);
    return {
      kind: "index",
      mediaType: type,
      manifests: parsed.data.manifests,
    };
  }
  return fail(`unknown manifest media type ${JSON.stringify(type)}`);
}

/**
 * Node's `process.arch` in OCI's words (GOARCH), with the variant it implies.
 * Node says `ppc64` and `mipsel` whatever the byte order or GOARCH spelling;
 * images for those hosts are published as `ppc64le` and `mipsle`.
 */
export function hostPlatform(
  arch: string = process.arch,
  littleEndian: boolean = endianness() === "LE",
): Platform {
  switch (arch) {
    case "x64":
      return { os: "linux", architecture: "amd64" };
    case "arm64":
      return { os: "linux", architecture: "arm64", variant: "v8" };
    case "arm":
      return { os: "linux", architecture: "arm", variant: "v7" };
    case "ia32":
      return { os: "linux", architecture: "386" };
    case "ppc64":
      return { os: "linux", architecture: littleEndian ? "ppc64le" : "ppc64" };
    case "mipsel":
      return { os: "linux", architecture: "mipsle" };
    default:
      return { os: "linux", architecture: arch };
  }
}

/** arm64 images usually leave the variant out; it means v8. */
const variantOf = (p: Platform): string | undefined =>
  p.variant ?? (p.architecture === "arm64" ? "v8" : undefined);

/**
 * The index entry to run on `want` (the host by default): same os and
 * architecture; an exact variant first, then an entry that names no variant.
 * Entries for another platform (attestations say `unknown/unknown`) never
 * match. Throws NoMatchingPlatformError listing what the index offers.
 */
export function choosePlatform(
  index: ImageIndex,
  want: Platform = hostPlatform(),
): PlatformDescriptor {
  const candidates = index.manifests.filter(
    (m) =>
      m.platform !== undefined &&
      m.platform.os === want.os &&
      m.platform.architecture === want.architecture &&
      (m.mediaType === MediaType.ociManifest || m.mediaType === MediaType.dockerManifest),
  );
  const wanted = variantOf(want);
  const exact = candidates.find((m) => variantOf(m.platform!) === wanted);
  const loose = candidates.find((m) => m.platform!.variant === undefined);
  const found = exact ?? loose;
  if (found !== undefined) return found;
  const offered = index.manifests
    .map((m) => (m.platform ? platformString(m.platform) : "(no platform)"))
    .join(", ");
  throw new NoMatchingPlatformError(
    `no image for ${platformString(want)} in the index; it offers ${offered || "nothing"}`,
  );
}

/** `os/architecture[/variant]`, as Docker prints a platform. */
export const platformString = (p: Platform): string =>
  [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== "").join("/");
