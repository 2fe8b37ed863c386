/**
 * The image service over a real LevelDB journal and a real store on disk:
 * what each verb journals, how names move between images, what removal and
 * prune keep, and that reopening folds the same catalog from the journal.
 */
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ImageInUseError, NoSuchImageError } from "../../src/errors.js";
import { layout } from "../../src/effects/index.js";
import { busyboxTar, tempDir } from "../../src/harness/index.js";
import { IMAGE_STREAM, ImageStore } from "../../src/images/index.js";
import type { ContainerRecord, RequestMeta } from "../../src/machines/index.js";
import { ImageService } from "../../src/service/image-service.js";
import { LevelJournal } from "../../src/store/index.js";
import { tarOf } from "../support/oci-build.js";

const meta: RequestMeta = { actor: "test", requestId: "r1" };
let dir: string;
let journal: LevelJournal;
let containers: ContainerRecord[];
let service: ImageService;

async function open(): Promise<ImageService> {
  const l = layout(join(dir, "root"));
  const s = new ImageService({
    host: "h",
    journal,
    store: new ImageStore(l),
    containers: () => containers,
  });
  await s.open();
  return s;
}

const actions = async () =>
  (await journal.readStream(IMAGE_STREAM)).map((e) => [
    e.type.slice("io.berth.image.".length),
    e.subject.slice(0, 6),
  ]);

beforeEach(async () => {
  dir = await tempDir("berth-image-service-");
  journal = await LevelJournal.open(join(dir, "journal"));
  containers = [];
  service = await open();
});

afterEach(async () => {
  await journal.close();
});

async function otherTar(): Promise<string> {
  const file = join(dir, "other.tar");
  await writeFile(
    file,
    await tarOf([
      { name: "etc/", type: "directory" },
      { name: "etc/motd", content: "hi\n" },
    ]),
  );
  return file;
}

describe("the image service", () => {
  it("moves a name from one image to another, journaling the untag in the same append", async () => {
    const [a] = await service.load(busyboxTar(), meta, { name: "app" });
    const [b] = await service.load(await otherTar(), meta, { name: "app" });
    expect(service.get("app").id).toBe(b!.id);
    expect(service.get(a!.id).names).toEqual([]);
    const id = (x: string) => x.slice(0, 6);
    expect(await actions()).toEqual([
      ["import", id(a!.id)],
      ["untag", id(a!.id)],
      ["import", id(b!.id)],
    ]);
    const events = await journal.readStream(IMAGE_STREAM);
    expect(events[1]?.seq).toBe((events[2]?.seq ?? 0) - 1);
  });

  it("untags only the name given when the image has others, as rmi does", async () => {
    const [a] = await service.load(busyboxTar(), meta, { name: "app" });
    await service.tag("app", "app:v2", meta);
    expect(await service.remove("app:v2", false, meta)).toEqual({
      untagged: ["localhost/app:v2"],
      usedBy: [],
    });
    expect(service.get(a!.id).names).toEqual(["localhost/app:latest"]);
  });

  it("refuses to remove an image a container uses, removes it with force, and keeps the container's layers through prune", async () => {
    const [a] = await service.load(busyboxTar(), meta, { name: "app" });
    containers = [
      {
        id: "c".repeat(64),
        state: "exited",
        imagePin: {
          id: a!.id,
          manifestDigest: a!.manifestDigest,
          configDigest: a!.configDigest,
          layers: a!.layers.map((l) => l.diffId),
        },
      } as ContainerRecord,
    ];
    await expect(service.remove("app", false, meta)).rejects.toBeInstanceOf(ImageInUseError);
    const removed = await service.remove("app", true, meta);
    expect(removed).toEqual({
      untagged: ["localhost/app:latest"],
      deleted: a!.id,
      usedBy: ["c".repeat(64)],
    });
    expect(() => service.get("app")).toThrow(NoSuchImageError);
    const pruned = await service.prune(true, meta);
    expect(pruned.layers).toBe(0);
    const layersDir = join(dir, "root", "layers");
    expect(await readdir(layersDir)).toEqual(a!.layers.map((l) => l.diffId.slice(7)));
    containers = [];
    expect((await service.prune(true, meta)).layers).toBe(1);
    expect(await readdir(layersDir)).toEqual([]);
  });

  it("prunes nameless unused images, and with all every unused one, then the blobs nothing names", async () => {
    const [a] = await service.load(busyboxTar(), meta, { name: "app" });
    const [b] = await service.load(await otherTar(), meta);
    // What a failed load would leave: a blob no image names.
    await service.load(join(dir, "missing.tar"), meta).catch(() => undefined);
    await writeFile(join(dir, "root", "blobs", "sha256", "f".repeat(64)), "orphan");
    const first = await service.prune(false, meta);
    expect(first.images).toEqual([b!.id]);
    expect(first.blobs).toBe(4);
    expect(service.get("app").id).toBe(a!.id);
    const second = await service.prune(true, meta);
    expect(second.images).toEqual([a!.id]);
    expect(await readdir(join(dir, "root", "blobs", "sha256"))).toEqual([]);
  });

  it("folds the same catalog from the journal after a reopen, with no effect run", async () => {
    await service.load(busyboxTar(), meta, { name: "app" });
    await service.tag("app", "quay.io/team/app:1", meta);
    await service.load(await otherTar(), meta, { name: "tool" });
    const before = service.list();
    const again = await open();
    expect(again.list()).toEqual(before);
  });
});
