/**
 * Manifests and indexes (issue 11): OCI and Docker schema2 are read and
 * validated, schema1 and unknown media types are refused by name, and the
 * host's platform is chosen from an index.
 */
import { describe, expect, it } from "vitest";
import { ManifestInvalidError, NoMatchingPlatformError } from "../../src/errors.js";
import {
  choosePlatform,
  digestOf,
  hostPlatform,
  MediaType,
  parseManifest,
  type ImageIndex,
} from "../../src/images/index.js";

const d = (s: string) => digestOf(s);
const config = { mediaType: MediaType.ociConfig, digest: d("config"), size: 6 };
const layer = { mediaType: MediaType.ociLayerGzip, digest: d("layer"), size: 5 };
const ociManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] };
const json = (v: unknown) => JSON.stringify(v);

describe("parseManifest", () => {
  it("reads an OCI image manifest's config and layers", () => {
    const m = parseManifest(json(ociManifest));
    expect(m).toEqual({
      kind: "manifest",
      mediaType: MediaType.ociManifest,
      config,
      layers: [layer],
    });
  });

  it("reads a Docker schema2 manifest", () => {
    const m = parseManifest(
      json({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { ...config, mediaType: MediaType.dockerConfig },
        layers: [{ ...layer, mediaType: MediaType.dockerLayerGzip }],
      }),
    );
    expect(m.kind).toBe("manifest");
    expect(m.mediaType).toBe(MediaType.dockerManifest);
  });

  it("takes the media type from the transport when the JSON names none", () => {
    const { mediaType: _omit, ...bare } = ociManifest;
    expect(parseManifest(json(bare), MediaType.ociManifest).mediaType).toBe(MediaType.ociManifest);
    expect(parseManifest(json(bare)).kind).toBe("manifest");
  });

  it("reads an OCI index and a Docker manifest list with their platforms", () => {
    for (const mediaType of [MediaType.ociIndex, MediaType.dockerManifestList]) {
      const entry = {
        mediaType: MediaType.ociManifest,
        digest: d("m"),
        size: 10,
        platform: { os: "linux", architecture: "amd64" },
      };
      const idx = parseManifest(
        Buffer.from(json({ schemaVersion: 2, mediaType, manifests: [entry] })),
      );
      expect(idx).toEqual({ kind: "index", mediaType, manifests: [entry] });
    }
  });

  const refused: [string, unknown, RegExp][] = [
    [
      "schema1 by media type",
      { schemaVersion: 1, mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws" },
      /schema1/,
    ],
    ["schema1 by version", { schemaVersion: 1, name: "x", fsLayers: [] }, /schema1/],
    [
      "an unknown media type",
      { ...ociManifest, mediaType: "application/vnd.example+json" },
      /unknown manifest media type/,
    ],
    [
      "a bad layer digest",
      { ...ociManifest, layers: [{ ...layer, digest: "sha256:abc" }] },
      /layers\.0\.digest/,
    ],
    [
      "a layer digest in an algorithm berth cannot verify",
      { ...ociManifest, layers: [{ ...layer, digest: "md5:abc" }] },
      /layers\.0\.digest/,
    ],
    ["a negative size", { ...ociManifest, config: { ...config, size: -1 } }, /config\.size/],
    [
      "a layer type berth cannot unpack",
      { ...ociManifest, layers: [{ ...layer, mediaType: "application/x-foreign" }] },
      /cannot unpack/,
    ],
    [
      "a config that is not an image config",
      { ...ociManifest, config: { ...config, mediaType: "application/json" } },
      /not an image configuration/,
    ],
    ["a JSON array", [ociManifest], /not a JSON object/],
    ["an object of neither shape", { schemaVersion: 2 }, /neither/],
    ["too many layers", { ...ociManifest, layers: Array(1025).fill(layer) }, /layers/],
  ];
  it.each(refused)("refuses %s with ManifestInvalidError", (_name, value, message) => {
    const attempt = () => parseManifest(json(value));
    expect(attempt).toThrow(ManifestInvalidError);
    expect(attempt).toThrow(message);
  });

  it("refuses text that is not JSON and a manifest larger than 4 MiB", () => {
    expect(() => parseManifest("{not json")).toThrow(ManifestInvalidError);
    expect(() => parseManifest(" ".repeat(4 * 1024 * 1024 + 1))).toThrow(/more than/);
  });

  it("refuses a manifest whose own media type contradicts the announced one", () => {
    expect(() => parseManifest(json(ociManifest), MediaType.ociIndex)).toThrow(/announced/);
  });
});

describe("choosePlatform", () => {
  const entry = (architecture: string, variant?: string, os = "linux") => ({
    mediaType: MediaType.ociManifest as string,
    digest: d(`${os}/${architecture}/${variant}`),
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const index = (...manifests: ReturnType<typeof entry>[]): ImageIndex => ({
    kind: "index",
    mediaType: MediaType.ociIndex,
    manifests,
  });

  it("maps Node's architectures to OCI's", () => {
    expect(hostPlatform("x64")).toEqual({ os: "linux", architecture: "amd64" });
    expect(hostPlatform("arm64")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(hostPlatform("arm")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
  });

  it("names the byte order Node's ppc64 and mipsel leave out, as images are published", () => {
    expect(hostPlatform("ppc64", true)).toEqual({ os: "linux", architecture: "ppc64le" });
    expect(hostPlatform("ppc64", false)).toEqual({ os: "linux", architecture: "ppc64" });
    expect(hostPlatform("mipsel")).toEqual({ os: "linux", architecture: "mipsle" });
    expect(hostPlatform("s390x")).toEqual({ os: "linux", architecture: "s390x" });
  });

  it("picks the entry for the wanted os and architecture, not the first one", () => {
    const idx = index(entry("arm64", "v8"), entry("amd64"), entry("amd64", undefined, "windows"));
    expect(choosePlatform(idx, { os: "linux", architecture: "amd64" })).toBe(idx.manifests[1]);
  });

  it("treats an arm64 entry without a variant as v8", () => {
    const idx = index(entry("amd64"), entry("arm64"));
    expect(choosePlatform(idx, hostPlatform("arm64"))).toBe(idx.manifests[1]);
  });

  it("prefers the exact arm variant and falls back to an entry naming none", () => {
    const idx = index(entry("arm", "v6"), entry("arm"), entry("arm", "v7"));
    expect(choosePlatform(idx, hostPlatform("arm"))).toBe(idx.manifests[2]);
    const loose = index(entry("arm", "v6"), entry("arm"));
    expect(choosePlatform(loose, hostPlatform("arm"))).toBe(loose.manifests[1]);
  });

  it("refuses another variant of the wanted architecture rather than running it", () => {
    const idx = index(entry("arm", "v7"), entry("arm64", "v8"), entry("amd64"));
    const attempt = () => choosePlatform(idx, { os: "linux", architecture: "arm", variant: "v6" });
    expect(attempt).toThrow(NoMatchingPlatformError);
    expect(attempt).toThrow(/linux\/arm\/v7/);
  });

  it("skips an entry for the platform that is itself an index", () => {
    const nested = { ...entry("amd64"), mediaType: MediaType.ociIndex };
    const idx = index(nested, entry("amd64"));
    expect(choosePlatform(idx, { os: "linux", architecture: "amd64" })).toBe(idx.manifests[1]);
    expect(() => choosePlatform(index(nested), { os: "linux", architecture: "amd64" })).toThrow(
      NoMatchingPlatformError,
    );
  });

  it("refuses an index with nothing for the host, listing what it offers", () => {
    const idx = index(entry("s390x"), entry("unknown", undefined, "unknown"));
    const attempt = () => choosePlatform(idx, { os: "linux", architecture: "amd64" });
    expect(attempt).toThrow(NoMatchingPlatformError);
    expect(attempt).toThrow(/linux\/s390x/);
  });
});
