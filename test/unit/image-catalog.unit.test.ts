import { describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import {
  canonicalName,
  evolveImage,
  findImage,
  imageEventType,
  localName,
  replayImages,
  type ImageAdded,
  type ImageCatalog,
  type ImageFact,
} from "../../src/images/index.js";

const hex = (c: string) => c.repeat(64);
const added = (id: string, names: string[], manifest = hex("1")): ImageAdded => ({
  id,
  manifestDigest: `sha256:${manifest}`,
  configDigest: `sha256:${id}`,
  layers: [
    { digest: `sha256:${hex("l")}`, diffId: `sha256:${hex("d")}`, size: 10, mediaType: "x" },
  ],
  size: 20,
  names,
  source: "archive",
  architecture: "amd64",
  os: "linux",
});

/** Folds facts given as [image id, fact], at consecutive versions. */
function fold(...facts: [string, ImageFact][]): ImageCatalog {
  return facts.reduce<ImageCatalog>(
    (c, [id, fact], i) =>
      evolveImage(c, fact, { id, time: `2026-01-0${i + 1}T00:00:00Z`, version: i + 1 }),
    new Map(),
  );
}

const A = hex("a");
const B = hex("b");

describe("the image catalog fold", () => {
  it("adds an image with its names and keeps when it was first added across a re-pull", () => {
    const c = fold(
      [A, { action: "pull", data: added(A, ["docker.io/library/busybox:latest"]) }],
      [A, { action: "pull", data: added(A, ["docker.io/library/busybox:1"], hex("2")) }],
    );
    const image = c.get(A);
    expect(image?.names).toEqual([
      "docker.io/library/busybox:latest",
      "docker.io/library/busybox:1",
    ]);
    expect(image?.digests).toEqual([`sha256:${hex("1")}`, `sha256:${hex("2")}`]);
    expect(image?.addedAt).toBe("2026-01-01T00:00:00Z");
    expect(image?.version).toBe(2);
    expect(image).not.toHaveProperty("source");
  });

  it("applies tag, untag and remove as written, leaving a nameless image addressable by id", () => {
    const c = fold(
      [A, { action: "load", data: added(A, ["localhost/a:latest"]) }],
      [A, { action: "tag", data: { name: "localhost/a:v2" } }],
      [A, { action: "untag", data: { name: "localhost/a:latest" } }],
      [A, { action: "untag", data: { name: "localhost/a:v2" } }],
    );
    expect(c.get(A)?.names).toEqual([]);
    expect(findImage(c, A.slice(0, 12))?.id).toBe(A);
    const gone = evolveImage(
      c,
      { action: "remove", data: { force: false, names: [] } },
      {
        id: A,
        time: "t",
        version: 5,
      },
    );
    expect(gone.size).toBe(0);
    expect(c.size).toBe(1);
  });

  it("replays stored events by type and skips types it does not know", () => {
    const events = [
      { type: imageEventType("import"), subject: A, time: "t1", version: 1, data: added(A, []) },
      { type: "io.berth.image.push", subject: A, time: "t2", version: 2, data: {} },
      {
        type: imageEventType("tag"),
        subject: A,
        time: "t3",
        version: 3,
        data: { name: "localhost/x:1" },
      },
    ];
    expect(replayImages(events).get(A)?.names).toEqual(["localhost/x:1"]);
  });
});

describe("finding an image", () => {
  const catalog = fold(
    [A, { action: "pull", data: added(A, ["docker.io/library/busybox:latest"]) }],
    [B, { action: "import", data: added(B, ["localhost/tool:latest"], hex("e")) }],
  );

  it.each([
    ["busybox", A],
    ["busybox:latest", A],
    ["docker.io/library/busybox", A],
    ["index.docker.io/library/busybox:latest", A],
    ["tool", B],
    ["localhost/tool", B],
    [`sha256:${B}`, B],
    [B.slice(0, 5), B],
    [`busybox@sha256:${hex("1")}`, A],
    [`sha256:${hex("e")}`, B],
  ])("finds %s", (text, id) => {
    expect(findImage(catalog, text)?.id).toBe(id);
  });

  it.each([
    "busybox:2",
    "quay.io/busybox",
    "tool:1",
    "../etc/passwd",
    "UPPER",
    "ab",
    "",
    "x".repeat(600),
  ])("finds nothing for %j", (text) => {
    expect(findImage(catalog, text)).toBeUndefined();
  });

  it("refuses an id prefix that several images share, and reads one shorter than 3 as no id", () => {
    const ab = "ab".repeat(32);
    const abcd = `${"ab".repeat(31)}cd`;
    const c = fold(
      [ab, { action: "load", data: added(ab, []) }],
      [abcd, { action: "load", data: added(abcd, []) }],
    );
    expect(() => findImage(c, "abab")).toThrow(InvalidArgError);
    expect(findImage(c, "ab")).toBeUndefined();
    expect(findImage(c, abcd.slice(0, 63))?.id).toBe(abcd);
  });
});

describe("image names", () => {
  it.each([
    ["busybox", "localhost/busybox:latest"],
    ["demo:1", "localhost/demo:1"],
    ["team/app:2", "localhost/team/app:2"],
    ["quay.io/team/app", "quay.io/team/app:latest"],
    ["localhost:5000/app:3", "localhost:5000/app:3"],
  ])("names an import of %s as %s", (text, name) => {
    expect(localName(text)).toBe(name);
  });

  it("normalises a pull's reference as Docker does, and drops the tag of a digest reference", () => {
    expect(canonicalName("busybox")).toBe("docker.io/library/busybox:latest");
    expect(canonicalName(`busybox@sha256:${hex("f")}`)).toBe(
      `docker.io/library/busybox@sha256:${hex("f")}`,
    );
  });

  it.each(["", "UPPER", "../x", `x@sha256:${hex("f")}`])("refuses %j as an import name", (text) => {
    expect(() => localName(text)).toThrow(InvalidArgError);
  });
});
