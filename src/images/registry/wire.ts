/**
 * The few OCI / Docker wire shapes a pull needs: media types, descriptors,
 * image manifests, indexes, and the choice of the host's platform in an index.
 *
 * INTERIM (issue 11): src/images/manifest.ts (written on another branch)
 * owns manifest and index parsing for the whole image store; at integration
 * these schemas are meant to be replaced by its exports. They are kept here,
 * small and private to the registry client, so the pull can be built and
 * tested before that module lands.
 */
import { z } from "zod";
import { isDigest, type Digest } from "../digest.js";

export const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

/** What a pull asks a registry for: the two manifest kinds and the two index kinds. */
export const MANIFEST_ACCEPT = [
  MEDIA.ociManifest,
  MEDIA.ociIndex,
  MEDIA.dockerManifest,
  MEDIA.dockerList,
].join(", ");

const digest = z.string().refine(isDigest, "a sha256 digest") as unknown as z.ZodType<Digest>;

const descriptor = z.object({
  mediaType: z.string().max(255),
  digest,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

/** A content descriptor: what a manifest says about one blob. */
export type Descriptor = z.infer<typeof descriptor>;

const platform = z.object({
  architecture: z.string().max(64),
  os: z.string().max(64),
  variant: z.string().max(64).optional(),
});

/** An OS/architecture pair, as an index names it. */
export type Platform = z.infer<typeof platform>;

// Why the bounds: a registry is not trusted to be small; 1000 layers is far
// above Docker's own limit (127) and far below what would hurt memory.
const imageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor).max(1000),
});

/** An image manifest (OCI, or Docker schema 2). */
export type ImageManifest = z.infer<typeof imageManifest>;

const imageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptor.extend({ platform: platform.optional() })).max(1000),
});

/** An OCI index or Docker manifest list. */
export type ImageIndex = z.infer<typeof imageIndex>;

/** A parsed manifest document: one image, or an index of images per platform. */
export type ManifestDocument =
  { kind: "manifest"; manifest: ImageManifest } | { kind: "index"; index: ImageIndex };

/**
 * Reads a manifest document, trusting the body's own `mediaType` first and
 * the response's Content-Type second (OCI allows the field to be left out).
 * Returns an error message instead of throwing, so the caller picks the error.
 */
export function parseManifestDocument(
  body: Buffer,
  contentType: string | undefined,
): ManifestDocument | string {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return "the manifest is not JSON";
  }
  const declared =
    (typeof json === "object" && json !== null && "mediaType" in json
      ? String(json.mediaType)
      : undefined) ?? contentType?.split(";")[0]?.trim();
  const isIndex =
    declared === MEDIA.ociIndex ||
    declared === MEDIA.dockerList ||
    (declared === undefined && typeof json === "object" && json !== null && "manifests" in json);
  const isManifest =
    declared === MEDIA.ociManifest ||
    declared === MEDIA.dockerManifest ||
    (declared === undefined && typeof json === "object" && json !== null && "layers" in json);
  if (isIndex) {
    const r = imageIndex.safeParse(json);
    return r.success ? { kind: "index", index: r.data } : `bad image index: ${r.error.message}`;
  }
  if (isManifest) {
    const r = imageManifest.safeParse(json);
    return r.success
      ? { kind: "manifest", manifest: r.data }
      : `bad image manifest: ${r.error.message}`;
  }
  return `unsupported manifest media type ${JSON.stringify(declared ?? "(none)")}`;
}

const ARCH: Partial<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

/** The platform berth runs containers for: linux on this process's architecture. */
export function hostPlatform(): Platform {
  return { os: "linux", architecture: ARCH[process.arch] ?? process.arch };
}

/**
 * The entry of `index` for `want`, or undefined. A wanted variant must match;
 * without one, an entry with no variant is preferred, then arm64's "v8".
 */
export function choosePlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  const fits = index.manifests.filter(
    (m) =>
      m.platform?.os === want.os &&
      m.platform.architecture === want.architecture &&
      (want.variant === undefined || m.platform.variant === want.variant),
  );
  const rank = (v: string | undefined) => (v === undefined ? 0 : v === "v8" ? 1 : 2);
  const best = fits.sort((a, b) => rank(a.platform?.variant) - rank(b.platform?.variant))[0];
  return best && { mediaType: best.mediaType, digest: best.digest, size: best.size };
}
