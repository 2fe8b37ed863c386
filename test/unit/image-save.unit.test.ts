/**
 * The metadata of a `docker save` archive, built without touching a blob:
 * `manifest.json`, the OCI manifest of each saved image and `index.json`,
 * and the checks the Docker route puts on the names and platform it is given.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_SAVE_NAME_LENGTH,
  MAX_SAVE_NAMES,
  saveNames,
  savePlatform,
} from "../../src/docker/image-routes.js";
import { familiarName } from "../../src/docker/image-json.js";
import { InvalidArgError } from "../../src/errors.js";
import {
  blobPath,
  digestOf,
  dockerArchiveManifest,
  MediaType,
  saveBlobDigests,
  saveIndexEntries,
  savedImageManifest,
  type Digest,
  type SaveImage,
} from "../../src/images/index.js";

const d = (c: string): Digest => `sha256:${c.repeat(64)}`;

const busybox: SaveImage = {
  configDigest: d("c"),
  layers: [
    { digest: d("1"), diffId: d("1") },
    { digest: d("2"), diffId: d("3") },
  ],
  names: ["docker.io/library/busybox:latest", "localhost/mine:v1"],
};

describe("the manifest.json of a save", () => {
  it("names the config and each layer by its diff_id under blobs/sha256, bottom first", () => {
    const [entry] = dockerArchiveManifest([busybox]);
    expect(entry).toEqual({
      Config: `blobs/sha256/${"c".repeat(64)}`,
      RepoTags: ["docker.io/library/busybox:latest", "localhost/mine:v1"],
      Layers: [`blobs/sha256/${"1".repeat(64)}`, `blobs/sha256/${"3".repeat(64)}`],
    });
  });

  it("writes the names as the caller's tagName spells them, Docker's familiar form here", () => {
    expect(dockerArchiveManifest([busybox], familiarName)[0]?.RepoTags).toEqual([
      "busybox:latest",
      "localhost/mine:v1",
    ]);
  });

  it("writes null RepoTags for an image saved by id, as docker does", () => {
    expect(dockerArchiveManifest([{ ...busybox, names: [] }])[0]?.RepoTags).toBeNull();
  });

  it("keeps one entry per image, in the order given", () => {
    const other = { ...busybox, configDigest: d("e"), names: ["docker.io/library/alpine:3"] };
    expect(dockerArchiveManifest([other, busybox]).map((e) => e.Config)).toEqual([
      blobPath(d("e")),
      blobPath(d("c")),
    ]);
  });
});

describe("the OCI manifest of a saved image", () => {
  it("describes the config and the uncompressed layers the archive holds", () => {
    const text = savedImageManifest({ digest: d("c"), size: 400 }, [
      { diffId: d("1"), size: 1024 },
      { diffId: d("3"), size: 2048 },
    ]);
    expect(JSON.parse(text)).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: d("c"), size: 400 },
      layers: [
        { mediaType: MediaType.ociLayer, digest: d("1"), size: 1024 },
        { mediaType: MediaType.ociLayer, digest: d("3"), size: 2048 },
      ],
    });
  });

  it("is the same bytes for the same image, so its digest is stable", () => {
    const once = savedImageManifest({ digest: d("c"), size: 1 }, [{ diffId: d("1"), size: 2 }]);
    const again = savedImageManifest({ digest: d("c"), size: 1 }, [{ diffId: d("1"), size: 2 }]);
    expect(digestOf(once)).toBe(digestOf(again));
  });
});

describe("the index.json of a save", () => {
  const manifest = { digest: d("m"), size: 400 };

  it("has one entry per name, with the full name and the tag as docker 25+ writes them", () => {
    const entries = saveIndexEntries([
      { names: ["docker.io/library/busybox:latest", "localhost:5000/team/app:v2"], manifest },
    ]);
    expect(entries).toEqual([
      {
        mediaType: MediaType.ociManifest,
        digest: d("m"),
        size: 400,
        annotations: {
          "io.containerd.image.name": "docker.io/library/busybox:latest",
          "org.opencontainers.image.ref.name": "latest",
        },
      },
      {
        mediaType: MediaType.ociManifest,
        digest: d("m"),
        size: 400,
        annotations: {
          "io.containerd.image.name": "localhost:5000/team/app:v2",
          "org.opencontainers.image.ref.name": "v2",
        },
      },
    ]);
  });

  it("does not take a registry port for a tag", () => {
    const [entry] = saveIndexEntries([{ names: ["localhost:5000/app"], manifest }]);
    expect(entry?.annotations).toEqual({ "io.containerd.image.name": "localhost:5000/app" });
  });

  it("has one entry without annotations for an image saved by id", () => {
    expect(saveIndexEntries([{ names: [], manifest }])).toEqual([
      { mediaType: MediaType.ociManifest, digest: d("m"), size: 400 },
    ]);
  });
});

describe("the blobs a save reads", () => {
  it("are each layer's stored blob and each config, once, shared ones included", () => {
    const other: SaveImage = {
      configDigest: d("e"),
      layers: [{ digest: d("1"), diffId: d("1") }],
      names: [],
    };
    expect(saveBlobDigests([busybox, other])).toEqual([d("1"), d("2"), d("c"), d("e")]);
  });
});

describe("the names a Docker save takes", () => {
  it("passes ordinary names, ids and digest references through", () => {
    const names = ["busybox", "localhost:5000/a/b:v1", "sha256:" + "a".repeat(64), "abc123"];
    expect(saveNames(names)).toEqual(names);
  });

  it("refuses no names, an empty name, an overlong one and control characters", () => {
    for (const names of [
      [],
      [""],
      ["a".repeat(MAX_SAVE_NAME_LENGTH + 1)],
      ["busy\u0000box"],
      ["busybox\n"],
      Array.from({ length: MAX_SAVE_NAMES + 1 }, (_, i) => `n${i}`),
    ])
      expect(() => saveNames(names)).toThrow(InvalidArgError);
  });

  it("leaves a path-like name to the catalog lookup, which can only miss", () => {
    expect(saveNames(["../../etc/passwd"])).toEqual(["../../etc/passwd"]);
  });
});

describe("the platform a Docker save asks for", () => {
  const url = (q: string) => new URL(`http://docker/images/get?names=busybox${q}`);

  it("is undefined when not given or empty", () => {
    expect(savePlatform(url(""))).toBeUndefined();
    expect(savePlatform(url("&platform="))).toBeUndefined();
  });

  it("reads the os and architecture of the JSON the CLI sends", () => {
    const p = encodeURIComponent(JSON.stringify({ os: "linux", architecture: "arm64" }));
    expect(savePlatform(url(`&platform=${p}`))).toEqual({ os: "linux", architecture: "arm64" });
  });

  it("refuses a platform that is not a JSON object", () => {
    expect(() => savePlatform(url("&platform=linux/amd64"))).toThrow(InvalidArgError);
    expect(() => savePlatform(url("&platform=%5B%5D"))).toThrow(InvalidArgError);
  });
});
