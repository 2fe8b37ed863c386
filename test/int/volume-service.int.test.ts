/**
 * The volume service over a real LevelDB journal and real folders: a create
 * in flight holds its volumes against removal, reopening folds the same
 * catalog, folders no event names are swept, and a volume made again under a
 * removed name starts empty.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VolumeInUseError } from "../../src/errors.js";
import { tempDir } from "../../src/harness/index.js";
import type { ContainerRecord, RequestMeta } from "../../src/machines/index.js";
import { VolumeService } from "../../src/service/volume-service.js";
import { LevelJournal } from "../../src/store/index.js";
import { VOLUME_STREAM, VolumeStore } from "../../src/volumes/index.js";

const meta: RequestMeta = { actor: "test", requestId: "r1" };

let dir: string;
let root: string;
let journal: LevelJournal;
let containers: ContainerRecord[];

async function open(): Promise<VolumeService> {
  const s = new VolumeService({
    host: "h",
    journal,
    store: new VolumeStore(root),
    root,
    containers: () => containers,
  });
  await s.open();
  return s;
}

beforeEach(async () => {
  dir = await tempDir("berth-volume-service-");
  root = join(dir, "root");
  await mkdir(root);
  journal = await LevelJournal.open(join(dir, "journal"));
  containers = [];
});

afterEach(async () => {
  await journal.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the volume service", () => {
  it("holds a volume a create in flight resolved, until the create lets it go", async () => {
    const service = await open();
    const claim = service.claim();
    const mounts = await claim.resolve(["pending:/p"], meta);
    expect(mounts[0]).toMatchObject({ type: "volume", name: "pending" });
    await expect(service.remove("pending", false, meta)).rejects.toBeInstanceOf(VolumeInUseError);
    await expect(service.remove("pending", false, meta)).rejects.toThrow(/1 create\(s\) in flight/);
    expect((await service.prune(meta)).removed).toEqual([]);
    claim.release();
    claim.release();
    expect((await service.prune(meta)).removed).toEqual(["pending"]);
  });

  it("counts a container only until it is removed", async () => {
    const service = await open();
    await service.create({ name: "d" }, meta);
    const user = {
      id: "c".repeat(64),
      state: "exited",
      mounts: [{ type: "volume", name: "d", source: "", destination: "/d", options: [] }],
    } as unknown as ContainerRecord;
    containers = [user];
    await expect(service.remove("d", true, meta)).rejects.toThrow(/cccccccccccc/);
    containers = [{ ...user, state: "removed" }];
    await service.remove("d", false, meta);
    expect(service.list()).toEqual([]);
  });

  it("folds the same catalog when reopened, and sweeps folders no event names", async () => {
    const first = await open();
    await first.create({ name: "a", labels: { k: "v" } }, meta);
    await first.create({ name: "b" }, meta);
    await first.remove("b", false, meta);
    const stray = join(root, "volumes", "crashed-before-journal");
    await mkdir(join(stray, "_data"), { recursive: true });
    const second = await open();
    expect(second.list()).toEqual(first.list());
    expect(existsSync(stray)).toBe(false);
    expect(await readdir(join(root, "volumes"))).toEqual(["a"]);
    expect((await journal.readStream(VOLUME_STREAM)).map((e) => e.type)).toEqual([
      "io.berth.volume.create",
      "io.berth.volume.create",
      "io.berth.volume.remove",
    ]);
  });

  it("starts a volume made again under a removed name empty", async () => {
    const service = await open();
    const v = await service.create({ name: "again" }, meta);
    await writeFile(join(v.mountpoint, "old"), "old data");
    await service.remove("again", false, meta);
    // A folder the removal could not delete (a crash in between) must not leak into the new one.
    await mkdir(v.mountpoint, { recursive: true });
    await writeFile(join(v.mountpoint, "old"), "old data");
    const again = await service.create({ name: "again" }, meta);
    expect(again.id).not.toBe(v.id);
    expect(await readdir(again.mountpoint)).toEqual([]);
  });

  it("makes 50 volumes of concurrent creates once each, in one gapless stream", async () => {
    const service = await open();
    const claims = Array.from({ length: 50 }, () => service.claim());
    await Promise.all(claims.map((c, i) => c.resolve([`shared:/s`, `own-${i}:/o`], meta)));
    expect(service.list()).toHaveLength(51);
    const events = await journal.readStream(VOLUME_STREAM);
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    for (const c of claims) c.release();
  });
});
